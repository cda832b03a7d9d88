-- The end of a question (issue 13): who was told of it, and that it ended.
--
-- question_supporters: each supporter told of a case (their SupporterAssigned mail went out, or was
-- about to), so a withdrawal or closure reaches exactly them. question_ends: the questions intake
-- withdrew or closed; nothing more goes to their residents, and no supporter hears of them as a new case.
-- Ids and codes only: no names or addresses (those come from intake and matching when a mail is sent).
CREATE TABLE question_supporters (
    question_id   text        NOT NULL,
    supporter_id  text        NOT NULL,
    told_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (question_id, supporter_id)
);

CREATE TABLE question_ends (
    question_id  text        PRIMARY KEY,
    ended        text        NOT NULL CHECK (ended IN ('withdrawn', 'closed')),
    reason_code  text,
    ended_at     timestamptz NOT NULL,
    -- The event that ended it: only its redelivery mails the supporters again (exactly once by the log).
    cause_event_id text NOT NULL
);
