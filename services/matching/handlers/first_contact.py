"""The supporter reached the resident for the first time: store it on their assignment and publish
FirstContactMade, in the caller's transaction.

Only an accepted assignment can have a first contact (accept first). Recording it again changes
nothing and publishes nothing: the first one counts. The day cannot lie in the future, nor before the
question was assigned to this supporter (both in Dutch time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from contracts.codes import CONTACT_METHODS, ContactMethod
from contracts.events import FirstContactMade
from services.kit.db import Conn
from services.kit.dutch import DUTCH_TIME
from services.kit.outbox import publish
from services.matching import store
from services.matching.handlers.errors import Conflict, InvalidField
from services.matching.store import workspace


@dataclass(frozen=True)
class FirstContact:
    """The first contact of one assignment, and whether this call recorded it (False: it was already)."""

    assignment_id: str
    reached_on: date
    method: str
    recorded_at: datetime
    recorded_now: bool


def day_problem(reached_on: date, assigned_at: datetime, today: date) -> str | None:
    """Why ``reached_on`` cannot be the day of first contact (Dutch), or None."""
    if reached_on > today:
        return "Deze datum ligt in de toekomst. Vul de dag in waarop u de inwoner sprak."
    if reached_on < assigned_at.astimezone(DUTCH_TIME).date():
        return "Deze datum ligt vóór de dag waarop u de vraag kreeg. Kijk de datum nog eens na."
    return None


async def record_first_contact(
    conn: Conn,
    question_id: str,
    supporter_id: str,
    reached_on: date,
    method: ContactMethod,
    source: str,
    *,
    at: datetime | None = None,
) -> FirstContact:
    """Record the supporter's first contact with the resident of ``question_id`` (FirstContactMade)."""
    if method not in CONTACT_METHODS:
        raise InvalidField("method", f"unknown contact method {method!r}; allowed: {', '.join(CONTACT_METHODS)}")
    await store.lock_question(conn, question_id)
    mine = [a for a in await store.open_assignments(conn, question_id) if a.supporter_id == supporter_id]
    if not mine:
        raise Conflict("not_open", f"Vraag {question_id} heeft geen lopende toewijzing aan deze ondersteuner.")
    view = mine[0]
    if view.municipality is None:
        raise Conflict("question_unknown", f"De gegevens van vraag {question_id} ontbreken bij matching.")
    if view.status != "accepted":
        raise Conflict("not_accepted", "Neem de vraag eerst aan. Daarna kunt u het eerste contact vastleggen.")
    already = await workspace.first_contact_of(conn, view.assignment_id)
    if already is not None:
        return FirstContact(view.assignment_id, already[0], already[1], already[2], recorded_now=False)
    at = at or datetime.now(UTC)
    problem = day_problem(reached_on, view.assigned_at, at.astimezone(DUTCH_TIME).date())
    if problem:
        raise InvalidField("reached_on", problem)
    await workspace.record_first_contact(conn, view.assignment_id, reached_on, method, at)
    event = FirstContactMade(
        question_id=question_id,
        assignment_id=view.assignment_id,
        supporter_id=supporter_id,
        organisation=view.organisation,
        municipality=view.municipality,
        method=method,
        reached_on=reached_on,
        recorded_at=at,
    )
    await publish(conn, event, source)
    return FirstContact(view.assignment_id, reached_on, method, at, recorded_now=True)
