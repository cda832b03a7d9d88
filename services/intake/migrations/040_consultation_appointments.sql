-- The joint consultation with the resident (issue 13: choosing together).

-- A coordinator of the joint consultation reads a question (its text and, with consent, the contact)
-- to call the resident for the conversation: the audit log names them as a kind of their own.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_kind_check
    CHECK (actor_kind IN ('api_key', 'internal', 'staff', 'supporter', 'coordinator'));

-- The conversation as matching announced it (ConsultationAppointmentPlanned / ...Held): the resident's
-- own page shows "U heeft een afspraak op <datum, tijd> om samen te kiezen". Only the moments; the
-- latest plan holds (planned_at orders plans that arrive twice or late).
CREATE TABLE consultation_appointments (
    question_id  uuid        PRIMARY KEY REFERENCES questions (question_id),
    planned_for  timestamptz NOT NULL,
    planned_at   timestamptz NOT NULL,
    held_at      timestamptz
);
