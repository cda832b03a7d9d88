-- Questions that ended in intake (QuestionWithdrawn, QuestionClosed, issue 13): matching has let go of
-- them (places freed, off the waiting list and the consultation queue) and never assigns them again.
-- A row may come before the question itself (an end replayed first): the question is then never matched.
CREATE TABLE question_ends (
    question_id  text        PRIMARY KEY,
    ended        text        NOT NULL CHECK (ended IN ('withdrawn', 'closed')),
    reason_code  text,
    ended_at     timestamptz NOT NULL
);
