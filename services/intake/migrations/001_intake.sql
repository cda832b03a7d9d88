-- Intake's own data. Personal data (names, contact details, free text) lives only here.
-- Encryption at rest (per-resident keys, crypto-shredding) follows in a later migration.

-- One row per pseudonymous resident. email_index and phone_index are HMAC-SHA256 blind indexes of
-- the normalised identifiers, so a returning resident keeps the same resident_ref. They are not
-- unique: two different people may share a phone number, and a conflicting submission gets a
-- new resident of its own rather than being merged into another person.
CREATE TABLE residents (
    resident_ref  uuid        PRIMARY KEY,
    name          text        NOT NULL,
    email         text,
    phone         text,
    email_index   text,
    phone_index   text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX residents_email_index ON residents (email_index) WHERE email_index IS NOT NULL;
CREATE INDEX residents_phone_index ON residents (phone_index) WHERE phone_index IS NOT NULL;

CREATE TABLE questions (
    question_id               uuid        PRIMARY KEY,
    resident_ref              uuid        NOT NULL REFERENCES residents (resident_ref),
    municipality              text        NOT NULL,
    life_domains              text[]      NOT NULL,
    description               text        NOT NULL,
    preferred_supporter_kind  text        NOT NULL,
    languages                 text[]      NOT NULL,
    postcode                  text        NOT NULL,
    channel                   text        NOT NULL,
    referrer                  text,
    partner_reference         text,
    share_with_supporter      boolean     NOT NULL,
    status                    text        NOT NULL DEFAULT 'received' CHECK (
        status IN ('received', 'waiting', 'consultation', 'assigned', 'accepted', 'closed', 'withdrawn')
    ),
    received_at               timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL
);
CREATE INDEX questions_resident ON questions (resident_ref);
-- Partners may resend a referral with a new ce_id: the referral itself is the idempotency key.
CREATE UNIQUE INDEX questions_referral ON questions (referrer, partner_reference)
    WHERE partner_reference IS NOT NULL;

CREATE TABLE question_history (
    id           bigserial   PRIMARY KEY,
    question_id  uuid        NOT NULL REFERENCES questions (question_id),
    status       text        NOT NULL,
    reason       text,
    at           timestamptz NOT NULL,
    -- The event that caused the change (NULL for intake's own 'received'); one row per event.
    event_id     text,
    UNIQUE (question_id, event_id)
);
CREATE INDEX question_history_question ON question_history (question_id, id);

CREATE TABLE signals (
    signal_id     uuid        PRIMARY KEY,
    theme         text        NOT NULL,
    life_domain   text,
    municipality  text        NOT NULL,
    level         text        NOT NULL,
    raised_by     text        NOT NULL,
    text          text        NOT NULL,
    raised_at     timestamptz NOT NULL
);
CREATE INDEX signals_municipality ON signals (municipality, raised_at);
