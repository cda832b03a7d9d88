-- "Ik wil meedenken" (issue 16): residents who opt in to be invited by the councils, per municipality
-- and theme (life domain), with explicit consent (when, and the wording's version), withdrawable. A
-- member is known by the question through which they joined (their contact stays with the question,
-- sealed); erasure of the resident removes the membership and its invitations.
CREATE TABLE panel_members (
    question_id     uuid        PRIMARY KEY REFERENCES questions (question_id),
    municipality    text        NOT NULL,
    life_domains    text[]      NOT NULL,
    consent_version text        NOT NULL,
    consented_at    timestamptz NOT NULL,
    withdrawn_at    timestamptz
);
CREATE INDEX panel_members_area ON panel_members (municipality) WHERE withdrawn_at IS NULL;

-- One invitation per member per meeting or poll: inviting again does not invite twice.
CREATE TABLE panel_invitations (
    invitation_id  uuid        PRIMARY KEY,
    question_id    uuid        NOT NULL REFERENCES panel_members (question_id) ON DELETE CASCADE,
    council        text        NOT NULL,
    subject_kind   text        NOT NULL CHECK (subject_kind IN ('meeting', 'poll')),
    subject_id     text        NOT NULL,
    invited_at     timestamptz NOT NULL,
    UNIQUE (question_id, subject_kind, subject_id)
);
