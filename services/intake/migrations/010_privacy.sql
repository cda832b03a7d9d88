-- Privacy by design: encryption at rest, crypto-shredding, erasure and the audit log.
--
-- residents.name/email/phone and questions.description now hold sealed values
-- ("v1.dek.<base64>", services/kit/crypto.py) encrypted with the resident's own data key;
-- residents.data_key is that key, wrapped by the master key ring ("v1.<key id>.<base64>").
-- signals.text is sealed with the master key ring directly. Erasing a resident deletes the
-- resident row (and with it the data key: crypto-shredding) and keeps their questions only as
-- pseudonymous facts: no resident_ref, no description, no partner reference.
ALTER TABLE residents ADD COLUMN data_key text;
ALTER TABLE residents ALTER COLUMN name DROP NOT NULL;

ALTER TABLE questions ALTER COLUMN resident_ref DROP NOT NULL;
ALTER TABLE questions ALTER COLUMN description DROP NOT NULL;
ALTER TABLE questions ADD COLUMN erased_at timestamptz;

-- Who read or erased personal data, when and why. resident_ref holds a one-way digest of the ref
-- (services/kit/crypto.py:digest): the log proves what happened to a resident without naming them,
-- and still answers a privacy officer who asks about a ref they know.
CREATE TABLE audit_log (
    id            bigserial   PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    actor         text        NOT NULL,
    actor_kind    text        NOT NULL CHECK (actor_kind IN ('api_key', 'internal', 'staff')),
    action        text        NOT NULL,
    resident_ref  text,
    question_id   uuid,
    purpose       text        NOT NULL
);
CREATE INDEX audit_log_resident ON audit_log (resident_ref, id) WHERE resident_ref IS NOT NULL;
CREATE INDEX audit_log_at ON audit_log (at);
