-- Reporting, issue 6: richer question facts, and read models for assignments, supporters, signal
-- steps, experiences and council meetings. None holds a resident reference or any free text a
-- resident wrote. After this migration on an installation with older events, run
-- `samenloket reporting rebuild` so the new columns are filled from the event store.

ALTER TABLE question_facts
    ADD COLUMN found_via            text,
    ADD COLUMN age_band             text,
    ADD COLUMN first_assignment_id  text,
    ADD COLUMN organisation         text,
    ADD COLUMN supporter_kind       text,
    ADD COLUMN accepted_at          timestamptz,
    ADD COLUMN ended_at             timestamptz;
ALTER TABLE question_facts DROP CONSTRAINT question_facts_status_check;
ALTER TABLE question_facts ADD CONSTRAINT question_facts_status_check
    CHECK (status IN ('received', 'waiting', 'consultation', 'assigned', 'accepted', 'closed'));
CREATE INDEX question_facts_received_at ON question_facts (received_at);

-- A signal step (acknowledged, answered) may arrive before the SignalRaised it belongs to:
-- such a row is partial until raised_at is known.
ALTER TABLE signal_facts
    ALTER COLUMN municipality DROP NOT NULL,
    ALTER COLUMN theme DROP NOT NULL,
    ALTER COLUMN level DROP NOT NULL,
    ALTER COLUMN raised_by DROP NOT NULL,
    ALTER COLUMN raised_at DROP NOT NULL,
    ADD COLUMN acknowledged_at  timestamptz,
    ADD COLUMN answered_at      timestamptz,
    ADD COLUMN status           text NOT NULL DEFAULT 'raised'
                                CHECK (status IN ('raised', 'acknowledged', 'answered'));

CREATE TABLE assignment_facts (
    assignment_id   text        PRIMARY KEY,
    question_id     text,
    municipality    text,
    organisation    text,
    supporter_kind  text,
    assigned_at     timestamptz,
    accepted_at     timestamptz,
    declined_at     timestamptz,
    declined_by     text,
    decline_code    text,
    decline_text    text,
    ended_at        timestamptz,
    state           text        NOT NULL CHECK (state IN ('assigned', 'accepted', 'declined', 'ended'))
);
CREATE INDEX assignment_facts_municipality_state ON assignment_facts (municipality, state);
CREATE INDEX assignment_facts_question ON assignment_facts (question_id);

CREATE TABLE supporter_facts (
    supporter_id    text        PRIMARY KEY,
    organisation    text        NOT NULL,
    kind            text        NOT NULL,
    capacity        integer     NOT NULL,
    availability    text        NOT NULL,
    paused_until    date,
    municipalities  text[]      NOT NULL,
    as_of           timestamptz NOT NULL
);

CREATE TABLE experience_facts (
    experience_id         text        PRIMARY KEY,
    municipality          text        NOT NULL,
    life_domains          text[]      NOT NULL,
    age_band              text,
    organisation          text,
    supporter_kind        text,
    knew_where_to_go      text,
    helped_quickly        text,
    supporter_on_my_side  text,
    score                 integer     NOT NULL,
    has_text              boolean     NOT NULL,
    shared_at             timestamptz NOT NULL
);
CREATE INDEX experience_facts_shared_at ON experience_facts (shared_at);

-- participants: a JSON array of {role, organisation, municipality, age_band, life_domains}, never a name.
CREATE TABLE meeting_facts (
    meeting_id    text        PRIMARY KEY,
    council       text,
    municipality  text,
    planned_for   date,
    planned_at    timestamptz,
    held_on       date,
    recorded_at   timestamptz,
    participants  jsonb       NOT NULL DEFAULT '[]'
);

-- The order events were stored in, for a rebuild that replays them as they came.
CREATE INDEX events_stored_at ON events (stored_at, event_id);

-- When StatisticsPublished last went out: several instances of reporting share one schedule.
CREATE TABLE statistics_schedule (
    id                 integer     PRIMARY KEY CHECK (id = 1),
    last_published_at  timestamptz
);
