-- Reporting: a durable store of every event received, and the read models projected from it.
--
-- The event store keeps each event once (event_id is the CloudEvents id), so the projections can
-- be rebuilt from it later. It never holds personal data: reporting does not read
-- samenloket.referrals.inbound, and shared topics carry none.
CREATE TABLE events (
    event_id      text        PRIMARY KEY,
    topic         text        NOT NULL,
    type          text        NOT NULL,
    subject       text        NOT NULL,
    municipality  text,
    time          timestamptz NOT NULL,
    data          jsonb       NOT NULL,
    stored_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_type_time ON events (type, time);

-- One row per question. A row may be partial (complete = false) when an assignment event arrived
-- before the QuestionReceived that completes it. status is derived from the milestones
-- (services/reporting/domain.py) so it does not depend on the order events arrived in.
CREATE TABLE question_facts (
    question_id      text        PRIMARY KEY,
    municipality     text,
    life_domains     text[],
    channel          text,
    referrer         text,
    received_at      timestamptz,
    assigned_at      timestamptz,
    waiting_since    timestamptz,
    consultation_at  timestamptz,
    status           text        NOT NULL
                     CHECK (status IN ('received', 'waiting', 'consultation', 'assigned')),
    complete         boolean     NOT NULL DEFAULT false
);
CREATE INDEX question_facts_municipality_status ON question_facts (municipality, status);

CREATE TABLE signal_facts (
    signal_id     text        PRIMARY KEY,
    municipality  text        NOT NULL,
    theme         text        NOT NULL,
    life_domain   text,
    level         text        NOT NULL,
    raised_by     text        NOT NULL,
    raised_at     timestamptz NOT NULL
);
CREATE INDEX signal_facts_municipality ON signal_facts (municipality);
