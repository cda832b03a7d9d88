"""Council meetings' commands. Each stores its change and writes the event announcing it to the outbox
in the caller's transaction (topic ``samenloket.experiences``, keyed by meeting id)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from contracts.events import CouncilMeetingHeld, CouncilMeetingPlanned, Participant
from services.intake.councils import store
from services.intake.councils.domain import MeetingHeld, MeetingPlan
from services.kit.db import Conn
from services.kit.outbox import publish


async def plan(conn: Conn, source: str, council: str, body: MeetingPlan) -> str:
    meeting = store.NewMeeting(
        meeting_id=str(uuid.uuid4()),
        council=council,
        municipality=body.municipality,
        planned_for=body.planned_for,
        themes=list(body.themes),
        invited_organisations=list(body.invited_organisations),
        planned_at=datetime.now(UTC),
        co_organisers=tuple(o for o in body.co_organisers if o != council),
    )
    await store.insert_meeting(conn, meeting)
    event = CouncilMeetingPlanned(
        meeting_id=meeting.meeting_id,
        council=council,
        municipality=meeting.municipality,
        planned_for=meeting.planned_for,
        themes=list(body.themes),
        invited_organisations=meeting.invited_organisations,
        co_organisers=list(meeting.co_organisers),
        planned_at=meeting.planned_at,
    )
    await publish(conn, event, source)
    return meeting.meeting_id


async def record_held(
    conn: Conn, source: str, meeting_id: uuid.UUID, council: str, municipality: str | None, body: MeetingHeld
) -> None:
    """Record (or correct) who took part in a locked meeting, and announce the full list again."""
    participants: list[Participant] = body.contract_participants()
    at = datetime.now(UTC)
    await store.record_participants(conn, meeting_id, body.held_on, participants, at)
    event = CouncilMeetingHeld(
        meeting_id=str(meeting_id),
        council=council,
        municipality=municipality,
        held_on=body.held_on,
        participants=participants,
        recorded_at=at,
    )
    await publish(conn, event, source)
