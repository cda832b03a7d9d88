-- Council meetings organised jointly (issue 16): the other councils that organise a meeting with the
-- planning council (each sees it and counts it towards its planned number), and what came of it: the
-- outcomes and follow-up actions (the councils' words, kept in intake, never on a topic).
ALTER TABLE council_meetings ADD COLUMN co_organisers text[] NOT NULL DEFAULT '{}';
ALTER TABLE council_meetings ADD COLUMN outcomes text;
ALTER TABLE council_meetings ADD COLUMN follow_up text[] NOT NULL DEFAULT '{}';
CREATE INDEX council_meetings_co_organisers ON council_meetings USING gin (co_organisers);
