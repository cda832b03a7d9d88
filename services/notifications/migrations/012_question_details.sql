-- Issue 12: the supporter's mail says which languages the resident speaks, how they want to meet and
-- what they need (codes from QuestionReceived; never a name, contact detail or free text).
ALTER TABLE questions
    ADD COLUMN languages           text[] NOT NULL DEFAULT '{}',
    ADD COLUMN meeting_preference  text,
    ADD COLUMN needs               text[] NOT NULL DEFAULT '{}';
