-- Council meetings (issue 6): planned by a council (the organisation of its API key), and who took
-- part, described coarsely (role, organisation, municipality, age band, life domains): never names.
-- municipality NULL: a regional meeting. participants is NULL until the meeting is recorded as held;
-- recording again replaces the list (and announces CouncilMeetingHeld again).
CREATE TABLE council_meetings (
    meeting_id             uuid        PRIMARY KEY,
    council                text        NOT NULL,
    municipality           text,
    planned_for            date        NOT NULL,
    themes                 text[]      NOT NULL,
    invited_organisations  text[]      NOT NULL,
    planned_at             timestamptz NOT NULL,
    held_on                date,
    participants           jsonb,
    recorded_at            timestamptz
);
CREATE INDEX council_meetings_council ON council_meetings (council, planned_for);
