-- One row per question whose support ended: whether the resident was invited to share their
-- experience. It makes the invitation once per question (a duo's two SupportEnded events meet
-- here), and ``cause_event_id`` names the SupportEnded whose delivery carries the invitation.
-- No link, address or name is kept: the link is fetched from intake right before sending.
CREATE TABLE experience_invitations (
    question_id     text        PRIMARY KEY,
    cause_event_id  text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('pending', 'sent', 'queued', 'skipped', 'failed')),
    reason          text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
