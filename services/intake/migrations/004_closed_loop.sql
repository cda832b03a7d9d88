-- The closed loop (issue 3, item 4): a reason code with every status change, the note given when a
-- question is withdrawn, and one webhook per partner organisation.

-- A stable code next to the Dutch reason text (e.g. no_capacity, no_eligible_supporter, assigned).
ALTER TABLE question_history ADD COLUMN reason_code text;
-- Free text a referrer or staff gave when withdrawing the question, sealed (AES-GCM, key ring).
-- Stays in intake: never on a topic, never in the public status view. Erasure clears it.
ALTER TABLE question_history ADD COLUMN note text;
UPDATE question_history SET reason_code = CASE status
    WHEN 'received' THEN 'received'
    WHEN 'waiting' THEN 'no_capacity'
    WHEN 'consultation' THEN 'no_eligible_supporter'
    WHEN 'assigned' THEN 'assigned'
    ELSE status
END
WHERE reason_code IS NULL;

-- Where notifications posts a partner's ReferralStatusChanged events. The signing secret is shown
-- to the partner once and kept sealed (AES-GCM, services/kit/crypto.py, bound to the organisation).
CREATE TABLE partner_webhooks (
    organisation   text        PRIMARY KEY,
    url            text        NOT NULL,
    secret_sealed  text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
