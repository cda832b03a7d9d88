-- Dead letters of the inbound topic hold a partner's referral: name, contact details, a description.
-- They go to samenloket.referrals.inbound.dlq sealed with a data key of their own; the key is kept
-- here (wrapped by the master key ring) with the blind indexes of the e-mail address and phone
-- number the referral named, so erasing that resident deletes the key and the letter cannot be
-- opened again (crypto-shredding). Keys older than the retention are deleted too.
CREATE TABLE dead_letter_keys (
    letter_id    uuid        PRIMARY KEY,
    data_key     text        NOT NULL,
    email_index  text,
    phone_index  text,
    topic        text        NOT NULL,
    kafka_partition int      NOT NULL,
    kafka_offset bigint      NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letter_keys_email ON dead_letter_keys (email_index) WHERE email_index IS NOT NULL;
CREATE INDEX dead_letter_keys_phone ON dead_letter_keys (phone_index) WHERE phone_index IS NOT NULL;
CREATE INDEX dead_letter_keys_created ON dead_letter_keys (created_at);
