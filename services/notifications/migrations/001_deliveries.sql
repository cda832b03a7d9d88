-- The delivery log: one row per (event id, recipient role, channel). No addresses are stored here:
-- contact details are fetched from their owners when a delivery needs them and kept in memory only.
CREATE TABLE deliveries (
    delivery_key    text        PRIMARY KEY,
    message_id      text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    recipient_role  text        NOT NULL,
    channel         text        NOT NULL,
    template        text        NOT NULL,
    question_id     text,
    cause_event_id  text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    last_error      text
);
CREATE INDEX deliveries_created_at ON deliveries (created_at DESC);
CREATE INDEX deliveries_status_created_at ON deliveries (status, created_at DESC);

-- What the mails say about a question, learnt from QuestionReceived (no personal data).
CREATE TABLE questions (
    question_id   text        PRIMARY KEY,
    municipality  text        NOT NULL,
    life_domains  text[]      NOT NULL,
    received_at   timestamptz NOT NULL
);
