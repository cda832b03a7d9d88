-- The supporter registry and the life of an assignment: accept, decline, end; the consultation queue.

-- Lived-experience themes of experience experts, and a pause with an end date. A supporter is
-- available when `active` (not stopped) and not paused until a later day (see store.AVAILABLE,
-- which every capacity guard uses; the same rule as domain.rule_active).
ALTER TABLE supporters
    ADD COLUMN experience_themes text[]      NOT NULL DEFAULT '{}',
    ADD COLUMN paused_until      date,
    ADD COLUMN registered_at     timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN updated_at        timestamptz NOT NULL DEFAULT now();

-- Every question matching decided on, as its QuestionReceived payload (no personal data), so a
-- decline can re-match it and the consultation queue can show it.
-- `resident_ref` (pseudonymous) finds a returning resident's earlier supporters (continuity); an
-- erasure clears it (store.forget_resident).
CREATE TABLE questions (
    question_id  text PRIMARY KEY,
    municipality text        NOT NULL,
    resident_ref text,
    question     jsonb       NOT NULL,
    received_at  timestamptz NOT NULL
);
CREATE INDEX questions_resident ON questions (resident_ref) WHERE resident_ref IS NOT NULL;
INSERT INTO questions (question_id, municipality, resident_ref, question, received_at)
SELECT question_id, question->>'municipality', question->>'resident_ref', question,
       (question->>'received_at')::timestamptz
FROM waiting
ON CONFLICT DO NOTHING;

-- A question may now have several assignments over time (declined, then another), and a duo has two
-- at once: the professional ('lead', like any single supporter) and the volunteer or experience
-- expert ('partner'). At most one open lead and one open partner per question; open is 'assigned'
-- (offered) or 'accepted', closed is 'declined' or 'ended'.
ALTER TABLE assignments DROP CONSTRAINT assignments_question_id_key;
ALTER TABLE assignments
    ADD COLUMN role            text NOT NULL DEFAULT 'lead' CHECK (role IN ('lead', 'partner')),
    ADD COLUMN partner_id      text,
    ADD CONSTRAINT assignments_status CHECK (status IN ('assigned', 'accepted', 'declined', 'ended')),
    ADD COLUMN municipality    text,
    ADD COLUMN accepted_at     timestamptz,
    ADD COLUMN closed_at       timestamptz,
    ADD COLUMN close_reason    text,
    -- A coordinator's assignment by hand (joint consultation): who, and why in their own words.
    ADD COLUMN override_by     text,
    ADD COLUMN override_reason text;
CREATE UNIQUE INDEX assignments_open_question ON assignments (question_id, role)
    WHERE status IN ('assigned', 'accepted');
CREATE INDEX assignments_question ON assignments (question_id, assigned_at DESC);

-- Who declined a question: it is never offered to that supporter again.
CREATE TABLE declines (
    question_id   text        NOT NULL,
    supporter_id  text        NOT NULL REFERENCES supporters (id),
    assignment_id text        NOT NULL REFERENCES assignments (assignment_id),
    declined_by   text        NOT NULL CHECK (declined_by IN ('supporter', 'resident')),
    reason_code   text        NOT NULL,
    -- The person's own words (BSN refused at the door); never published.
    reason_text   text,
    declined_at   timestamptz NOT NULL,
    PRIMARY KEY (question_id, supporter_id)
);

CREATE INDEX consultations_required_at ON consultations (required_at);
