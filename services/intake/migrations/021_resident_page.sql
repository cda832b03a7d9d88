-- The resident's own page ("Mijn vraag", issue 13): one short reference per question, private status
-- links, and the resident's last request for a new link.

-- The reference a resident reads out on the phone and staff search by (GET /api/v1/questions?reference=).
-- New ones are 8 characters without look-alikes (services/intake/mine/domain.py). Questions from before
-- keep what their confirmation page showed: the first 8 hex digits of the id (12 when two shared those).
ALTER TABLE questions ADD COLUMN reference text;
UPDATE questions SET reference = upper(left(replace(question_id::text, '-', ''), 8));
UPDATE questions SET reference = upper(left(replace(question_id::text, '-', ''), 12))
WHERE reference IN (SELECT reference FROM questions GROUP BY reference HAVING count(*) > 1);
ALTER TABLE questions ALTER COLUMN reference SET NOT NULL;
CREATE UNIQUE INDEX questions_reference ON questions (reference);

-- Private links to a question's page (/mijn-vraag/<token>): only the SHA-256 of the token is kept.
-- A question has one per message that carried one; asking for a new link revokes the earlier ones.
-- Erasure deletes them (services/intake/privacy.py).
CREATE TABLE question_links (
    token_sha256  text        PRIMARY KEY,
    question_id   uuid        NOT NULL REFERENCES questions (question_id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);
CREATE INDEX question_links_question ON question_links (question_id);

-- When the resident last asked for a new link by e-mail: at most one mail per address per quarter hour.
ALTER TABLE residents ADD COLUMN link_requested_at timestamptz;

-- What the resident needs and how they want to be matched (also on QuestionReceived, as codes).
ALTER TABLE questions
    ADD COLUMN needs           text[]  NOT NULL DEFAULT '{}',
    ADD COLUMN wants_duo       boolean,
    ADD COLUMN choose_together boolean NOT NULL DEFAULT false;

-- Who withdrew a question (resident, staff, partner, erasure): the resident's page says "U heeft ..."
-- only when it was them.
ALTER TABLE questions ADD COLUMN withdrawn_by text
    CHECK (withdrawn_by IN ('resident', 'staff', 'partner', 'erasure'));
