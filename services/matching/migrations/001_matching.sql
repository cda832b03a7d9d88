-- Matching owns the cross-organisation supporter pool, capacity and assignments.

CREATE TABLE organisations (
    id                    text PRIMARY KEY,
    name                  text    NOT NULL,
    -- An organisation that prepares or takes municipal decisions (e.g. a social team) is not independent.
    decides_on_provisions boolean NOT NULL DEFAULT false
);

CREATE TABLE supporters (
    id             text PRIMARY KEY,
    name           text    NOT NULL,
    email          text    NOT NULL,
    kind           text    NOT NULL CHECK (kind IN ('professional', 'volunteer', 'experience_expert')),
    organisation   text    NOT NULL REFERENCES organisations (id),
    municipalities text[]  NOT NULL DEFAULT '{}',
    life_domains   text[]  NOT NULL DEFAULT '{}',
    languages      text[]  NOT NULL DEFAULT '{nl}',
    specialisms    text[]  NOT NULL DEFAULT '{}',
    capacity       int     NOT NULL CHECK (capacity >= 0),
    active_cases   int     NOT NULL DEFAULT 0,
    postcode       text,
    active         boolean NOT NULL DEFAULT true,
    CHECK (active_cases <= capacity),
    CHECK (active_cases >= 0)
);

-- Candidates are loaded per question by municipality (`municipalities @> ARRAY[$1]`).
CREATE INDEX supporters_municipalities_gin ON supporters USING gin (municipalities);
CREATE INDEX supporters_organisation ON supporters (organisation);

CREATE TABLE assignments (
    assignment_id text PRIMARY KEY,
    question_id   text             NOT NULL UNIQUE,
    supporter_id  text             NOT NULL REFERENCES supporters (id),
    score         double precision NOT NULL,
    reasons       jsonb            NOT NULL,
    status        text             NOT NULL DEFAULT 'assigned',
    assigned_at   timestamptz      NOT NULL
);
CREATE INDEX assignments_supporter ON assignments (supporter_id);

-- Questions with eligible supporters that all lack room; `question` is the QuestionReceived payload
-- (no personal data), kept so a later re-matching run needs nothing else.
CREATE TABLE waiting (
    question_id text PRIMARY KEY,
    question    jsonb       NOT NULL,
    since       timestamptz NOT NULL
);
CREATE INDEX waiting_since ON waiting (since);

-- Questions no supporter satisfies: the joint consultation (gezamenlijk overleg) decides.
CREATE TABLE consultations (
    question_id text PRIMARY KEY,
    reason      jsonb       NOT NULL,
    candidates  jsonb       NOT NULL,
    required_at timestamptz NOT NULL
);
