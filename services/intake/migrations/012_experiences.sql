-- Participation (issue 6): the resident's age band, the support a question got, the personal link
-- that invites a resident to share their experience, and the experiences themselves.

-- Self-declared age band (contracts/codes.py AGE_BANDS); NULL: the resident preferred not to say.
ALTER TABLE questions ADD COLUMN age_band text
    CHECK (age_band IN ('under_18', '18_26', '27_44', '45_64', '65_74', '75_plus'));

-- One row per assignment matching announced for a question (two for a duo). Intake keeps which
-- organisation and kind of supporter helped (for the experience, never a supporter id) and when the
-- support was accepted, declined or ended: the question closes when no support is active any more.
CREATE TABLE question_supports (
    assignment_id   text        PRIMARY KEY,
    question_id     uuid        NOT NULL REFERENCES questions (question_id),
    organisation    text        NOT NULL,
    supporter_kind  text        CHECK (supporter_kind IN ('professional', 'volunteer', 'experience_expert')),
    assigned_at     timestamptz,
    accepted_at     timestamptz,
    declined_at     timestamptz,
    ended_at        timestamptz
);
CREATE INDEX question_supports_question ON question_supports (question_id);

-- The resident's personal link to the experience form: only the SHA-256 of the token is kept.
-- One row per question, so a new link replaces the earlier one. used_at is set once shared.
CREATE TABLE experience_invitations (
    question_id   uuid        PRIMARY KEY REFERENCES questions (question_id),
    token_digest  text        NOT NULL UNIQUE,
    issued_at     timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz
);

-- An experience as shared: codes and a score, and the optional text sealed with the key ring.
-- No question id and no resident ref here; ExperienceShared carries no text at all.
CREATE TABLE experiences (
    experience_id     uuid        PRIMARY KEY,
    municipality      text        NOT NULL,
    life_domains      text[]      NOT NULL,
    age_band          text,
    organisation      text,
    supporter_kind    text,
    knew_where_to_go  text,
    helped_quickly    text,
    supporter_on_my_side text,
    score             integer     NOT NULL CHECK (score BETWEEN 1 AND 10),
    text              text,
    shared_at         timestamptz NOT NULL
);

-- The only link between a question and its experience: it refuses a second experience for the same
-- question, and lets erasure of the resident remove the experience's text.
CREATE TABLE question_experiences (
    question_id    uuid PRIMARY KEY REFERENCES questions (question_id),
    experience_id  uuid NOT NULL UNIQUE REFERENCES experiences (experience_id)
);
