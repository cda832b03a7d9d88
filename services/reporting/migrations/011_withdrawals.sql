-- Withdrawn questions (issue 13): who withdrew and why (codes only, never a person's words), counted
-- in the reports like every other figure (suppressed). After this migration on an installation with
-- older events, run `samenloket reporting rebuild` to fill it from the event store.
CREATE TABLE withdrawal_facts (
    question_id   text        PRIMARY KEY,
    municipality  text        NOT NULL,
    withdrawn_by  text        NOT NULL,
    reason_code   text        NOT NULL,
    reason_text   text        NOT NULL,
    withdrawn_at  timestamptz NOT NULL
);
CREATE INDEX withdrawal_facts_withdrawn_at ON withdrawal_facts (withdrawn_at);
