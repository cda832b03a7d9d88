-- Short polls (issue 16, new forms of participation): a council asks a few questions on one theme,
-- of its panel (through personal invitations) or publicly. Answers are anonymous: no question id,
-- no resident; an answer through an invitation keeps the invitation only to count it once.
CREATE TABLE council_polls (
    poll_id       uuid        PRIMARY KEY,
    council       text        NOT NULL,
    municipality  text,
    life_domain   text        NOT NULL,
    title         text        NOT NULL,
    questions     jsonb       NOT NULL,
    audience      text        NOT NULL CHECK (audience IN ('panel', 'public')),
    created_at    timestamptz NOT NULL
);
CREATE INDEX council_polls_council ON council_polls (council);

CREATE TABLE poll_answers (
    answer_id      uuid        PRIMARY KEY,
    poll_id        uuid        NOT NULL REFERENCES council_polls (poll_id),
    choices        integer[]   NOT NULL,
    invitation_id  uuid        UNIQUE,
    answered_at    timestamptz NOT NULL
);
CREATE INDEX poll_answers_poll ON poll_answers (poll_id);
