"""Booking places and recording assignments: what every use case that assigns a question shares.

Capacity is only ever booked and freed through the SQL guards in :mod:`services.matching.store.capacity`;
the in-memory pools of this process learn every count the database returns.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from contracts.events import QuestionReceived, Reason, SupporterAssigned
from services.kit.db import Conn
from services.kit.outbox import publish
from services.matching import store
from services.matching.domain.scoring import Scored
from services.matching.live import note_cases_everywhere


async def free(conn: Conn, supporter_id: str) -> None:
    """Give back one of the supporter's places (the in-memory pools of this process learn the count)."""
    note_cases_everywhere(supporter_id, await store.free_capacity(conn, supporter_id))


async def book_all(conn: Conn, supporter_ids: Sequence[str]) -> bool:
    """Book a place with every one of ``supporter_ids`` (a duo's two), or with none."""
    booked: list[str] = []
    for supporter_id in supporter_ids:
        if not await store.book_capacity(conn, supporter_id):
            for done in booked:
                await free(conn, done)
            return False
        booked.append(supporter_id)
    return True


async def record_assignment(
    conn: Conn,
    received: QuestionReceived,
    best: Scored,
    source: str,
    *,
    lead: Sequence[Reason] = (),
    noted: Sequence[Reason] = (),
    role: str = "lead",
    partner_id: str | None = None,
    override_by: str | None = None,
    override_reason: str | None = None,
    assigned_at: datetime | None = None,
) -> str:
    """Record one assignment (capacity already booked) and publish SupporterAssigned; return its id.

    ``lead`` reasons come first, in the stored reasons and in the event's top reasons; ``noted``
    reasons are only stored (after ``lead``), e.g. the rules a coordinator overrode. A duo's two
    share one ``assigned_at`` (the question's assignment is then its lead's, see ``get_assignment``).
    """
    assignment_id = str(uuid.uuid4())
    assigned_at = assigned_at or datetime.now(UTC)
    supporter = best.supporter
    await store.insert_assignment(
        conn,
        assignment_id,
        received.question_id,
        supporter.id,
        best.score,
        [*lead, *noted, *(c.reason for c in best.components)],
        assigned_at,
        municipality=received.municipality,
        role=role,
        partner_id=partner_id,
        override_by=override_by,
        override_reason=override_reason,
    )
    event = SupporterAssigned(
        question_id=received.question_id,
        assignment_id=assignment_id,
        supporter_id=supporter.id,
        organisation=supporter.organisation,
        supporter_kind=supporter.kind,  # type: ignore[arg-type]  # validated when stored
        municipality=received.municipality,
        score=round(best.score, 4),
        reasons=[*lead, *best.top_reasons(3 - len(lead))],
        received_at=received.received_at,
        assigned_at=assigned_at,
        partner_supporter_id=partner_id,
        reference=received.reference,
    )
    await publish(conn, event, source)
    return assignment_id


async def record_duo(conn: Conn, received: QuestionReceived, members: Sequence[Scored], source: str) -> None:
    """Record a duo (both places already booked): the professional as lead, the other as partner."""
    lead, partner = members
    at = datetime.now(UTC)
    await record_assignment(conn, received, lead, source, role="lead", partner_id=partner.supporter.id, assigned_at=at)
    await record_assignment(
        conn, received, partner, source, role="partner", partner_id=lead.supporter.id, assigned_at=at
    )
