-- The question's short reference (QuestionReceived.reference, K7QM3XPA): supporters and coordinators
-- read the same number in their mails as the resident does. Random, no personal data; NULL for
-- questions from before it travelled on the event.
ALTER TABLE questions ADD COLUMN reference text;
