-- Idempotency-Key on POST /api/v1/questions (issue 3, item 3): the same key from the same
-- organisation with the same body answers the first response and creates nothing new.
-- request_digest is an HMAC-SHA256 (keyed with intake's index key) of the canonical body, so the
-- table holds nothing personal: a body cannot be recovered or confirmed from it without the key.
CREATE TABLE idempotency_keys (
    organisation     text        NOT NULL,
    idempotency_key  text        NOT NULL,
    request_digest   text        NOT NULL,
    question_id      uuid        NOT NULL REFERENCES questions (question_id) ON DELETE CASCADE,
    status_code      integer     NOT NULL,
    response         jsonb       NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation, idempotency_key)
);
CREATE INDEX idempotency_keys_question ON idempotency_keys (question_id);

-- Listing for partners (their own referrals) and staff (a municipality), newest change first.
CREATE INDEX questions_referrer_updated ON questions (referrer, updated_at DESC) WHERE referrer IS NOT NULL;
CREATE INDEX questions_municipality_updated ON questions (municipality, updated_at DESC);
