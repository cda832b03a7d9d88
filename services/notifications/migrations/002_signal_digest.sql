-- Signals for the daily digest to the municipality and councils, learnt from SignalRaised. No free
-- text and no personal data: the event carries none, and only these facts are kept.
CREATE TABLE digests (
    digest_id    text        PRIMARY KEY,
    day          date        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    closed_at    timestamptz
);

CREATE TABLE signals (
    signal_id     text        PRIMARY KEY,
    theme         text        NOT NULL,
    municipality  text        NOT NULL,
    level         text        NOT NULL,
    raised_at     timestamptz NOT NULL,
    digest_id     text        REFERENCES digests (digest_id)
);
CREATE INDEX signals_pending ON signals (raised_at) WHERE digest_id IS NULL;
