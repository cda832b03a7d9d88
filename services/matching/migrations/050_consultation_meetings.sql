-- The conversation of the joint consultation with the resident (issue 13: choosing together): when it
-- is planned and when it was held, and the resident's own view in a short note. One row per question
-- in (or once in) the consultation queue; it stays after the choice, as its context, until the question
-- ends (services/matching/handlers/withdrawal.py clears the note) or the resident is erased.
-- The note is the resident's words as a coordinator wrote them down: it never leaves matching (no
-- topic, no report), and the pages refuse a BSN in it.
CREATE TABLE consultation_meetings (
    question_id     text        PRIMARY KEY,
    municipality    text        NOT NULL,
    planned_for     timestamptz,
    planned_by      text,
    planned_at      timestamptz,
    held_at         timestamptz,
    held_by         text,
    resident_view   text        CHECK (char_length(resident_view) <= 600),
    view_by         text,
    view_at         timestamptz,
    CHECK (held_at IS NULL OR planned_for IS NOT NULL)
);
