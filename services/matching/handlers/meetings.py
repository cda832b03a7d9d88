"""The conversation of the joint consultation with the resident: plan it, record that it was held, and
keep the resident's own view (what they want from a supporter).

The seeds' joint consultation decides *with the resident* who supports them. A coordinator plans the
conversation (ConsultationAppointmentPlanned: intake shows the moment on the resident's own page),
records that it took place (ConsultationAppointmentHeld), writes down the resident's own view in a
short note, and then makes the choice with :func:`~.consultation.assign_by_hand` or
:func:`~.consultation.assign_duo_by_hand`. The note stays in matching: no event, no report, and it is
cleared when the question ends or its resident is erased. Each step runs in the caller's transaction,
for a question in the consultation queue of the coordinator's municipality only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from contracts.bsn import contains_bsn
from contracts.events import ConsultationAppointmentHeld, ConsultationAppointmentPlanned
from services.kit.db import Conn
from services.kit.outbox import publish
from services.matching import store
from services.matching.handlers.consultation import open_consultation
from services.matching.handlers.errors import Conflict, InvalidField

#: How far ahead a conversation may be planned (the promise is contact within 5 working days).
PLAN_AHEAD: Final = timedelta(days=92)
#: A moment a little in the past still counts as now (a form filled in at the start of the call).
GRACE: Final = timedelta(minutes=15)
VIEW_MIN: Final = 5
VIEW_MAX: Final = 600


async def plan_appointment(
    conn: Conn,
    question_id: str,
    planned_for: datetime,
    by: str,
    source: str,
    *,
    municipality: str | None = None,
    now: datetime | None = None,
) -> store.Meeting:
    """Plan (or plan again) the conversation with the resident; publishes ConsultationAppointmentPlanned."""
    now = now or datetime.now(UTC)
    if planned_for.tzinfo is None:
        raise InvalidField("planned_for", "give the moment with its time zone")
    if planned_for < now - GRACE:
        raise InvalidField("planned_for", "the moment has passed")
    if planned_for > now + PLAN_AHEAD:
        raise InvalidField("planned_for", "more than three months ahead")
    await store.lock_question(conn, question_id)
    place = await _municipality(conn, question_id, municipality)
    meeting = await store.plan_meeting(conn, question_id, place, planned_for, by, now)
    event = ConsultationAppointmentPlanned(
        question_id=question_id, municipality=place, planned_for=planned_for, planned_at=now
    )
    await publish(conn, event, source)
    return meeting


async def appointment_held(
    conn: Conn,
    question_id: str,
    by: str,
    source: str,
    *,
    municipality: str | None = None,
    now: datetime | None = None,
) -> store.Meeting:
    """Record that the planned conversation took place; publishes ConsultationAppointmentHeld.

    Conflict when nothing was planned, or it was recorded as held already.
    """
    now = now or datetime.now(UTC)
    await store.lock_question(conn, question_id)
    await open_consultation(conn, question_id, municipality, for_update=True)
    held = await store.mark_held(conn, question_id, by, now)
    if held is None:
        earlier = await store.get_meeting(conn, question_id)
        if earlier is not None and earlier.held_at is not None:
            raise Conflict("held_already", "Het gesprek met de inwoner is al vastgelegd.")
        raise Conflict("not_planned", "Er is nog geen afspraak met de inwoner. Plan eerst de afspraak.")
    assert held.planned_for is not None
    event = ConsultationAppointmentHeld(
        question_id=question_id, municipality=held.municipality, planned_for=held.planned_for, held_at=now
    )
    await publish(conn, event, source)
    return held


def view_problem(text: str) -> str | None:
    """What is wrong with a note of the resident's own view (a machine message), or None."""
    if len(text) < VIEW_MIN:
        return f"at least {VIEW_MIN} characters"
    if len(text) > VIEW_MAX:
        return f"at most {VIEW_MAX} characters"
    if contains_bsn(text):
        return "holds a citizen service number (BSN)"
    return None


async def record_resident_view(
    conn: Conn,
    question_id: str,
    text: str,
    by: str,
    *,
    municipality: str | None = None,
    now: datetime | None = None,
) -> store.Meeting:
    """Keep the resident's own view in a short note (replacing an earlier one). Never published."""
    text = text.strip()
    problem = view_problem(text)
    if problem:
        raise InvalidField("resident_view", problem)
    await store.lock_question(conn, question_id)
    place = await _municipality(conn, question_id, municipality)
    return await store.save_view(conn, question_id, place, text, by, now or datetime.now(UTC))


async def _municipality(conn: Conn, question_id: str, municipality: str | None) -> str:
    """The municipality of a question in the consultation queue (locked), as the coordinator may see it."""
    consultation = await open_consultation(conn, question_id, municipality, for_update=True)
    if consultation.municipality is None:
        raise Conflict("question_unknown", f"De gegevens van vraag {question_id} ontbreken bij matching.")
    return consultation.municipality
