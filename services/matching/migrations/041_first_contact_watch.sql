-- The promise "contact within 3 working days" kept, and coordinators bound to their organisation.

-- First contacts as matching heard of them (FirstContactMade on the assignments topic): the overdue
-- watch reads only this table, whoever records first contact and wherever they store it.
CREATE TABLE first_contacts_heard (
    assignment_id text PRIMARY KEY,
    question_id   text        NOT NULL,
    supporter_id  text        NOT NULL,
    reached_on    date        NOT NULL,
    recorded_at   timestamptz NOT NULL,
    heard_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX first_contacts_heard_question ON first_contacts_heard (question_id);

-- Each FirstContactOverdue sent, once per assignment and stage: the primary key is what makes two
-- matching instances never send the same notice twice (the insert and the outbox row share one
-- transaction; the second instance's insert finds the key taken and publishes nothing).
CREATE TABLE first_contact_notices (
    assignment_id text        NOT NULL,
    stage         text        NOT NULL CHECK (stage IN ('reminder', 'escalation')),
    question_id   text        NOT NULL,
    working_days  int         NOT NULL,
    noticed_at    timestamptz NOT NULL,
    PRIMARY KEY (assignment_id, stage)
);

-- Where the escalation goes: the coordinator of the supporter's organisation (set by that
-- organisation's coordinators; notifications falls back to its global coordinator address).
ALTER TABLE organisations ADD COLUMN coordinator_email text;
-- A coordinator address is no part of the pool: setting it must not make every instance reload it.
DROP TRIGGER organisations_changed ON organisations;
CREATE TRIGGER organisations_changed AFTER INSERT OR DELETE OR TRUNCATE ON organisations
    FOR EACH STATEMENT EXECUTE FUNCTION bump_pool_version();
CREATE TRIGGER organisations_profile_changed AFTER UPDATE OF id, name, decides_on_provisions ON organisations
    FOR EACH STATEMENT EXECUTE FUNCTION bump_pool_version();

-- Who changed what of a supporter, when: the names of the fields (never their values, so no
-- address is ever written here), and the key (organisation/key id) that did it.
CREATE TABLE supporter_audit (
    id           bigserial PRIMARY KEY,
    supporter_id text        NOT NULL,
    action       text        NOT NULL CHECK (action IN ('registered', 'changed')),
    fields       text[]      NOT NULL DEFAULT '{}',
    actor        text        NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX supporter_audit_supporter ON supporter_audit (supporter_id, at);
