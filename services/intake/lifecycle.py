"""The end of a question, announced to every service: QuestionWithdrawn and QuestionClosed.

Intake is where a question ends, whoever ends it: the resident on their page, staff or the referring
partner through the API, an erasure, or the last support of it ending (matching's SupportEnded). Each
of those paths records the new status and then calls one function here, in the same transaction, so
the event is committed with the change (the outbox) or not at all. Matching then frees the booked
places and forgets the question, notifications tells the supporters and stops mailing the resident,
and reporting counts the ends. The events carry codes only: a person's own words stay in intake.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from contracts.codes import WithdrawnBy
from contracts.events import QuestionClosed, QuestionStatus, QuestionWithdrawn, Reason
from services.intake import store
from services.kit.db import Conn
from services.kit.outbox import publish


async def announce_withdrawn(
    conn: Conn,
    source: str,
    question_id: str,
    municipality: str,
    withdrawn_by: WithdrawnBy,
    reason: Reason,
    previous: QuestionStatus | None,
    at: datetime,
) -> None:
    event = QuestionWithdrawn(
        question_id=question_id,
        municipality=municipality,
        withdrawn_by=withdrawn_by,
        reason=reason,
        previous_status=previous,
        withdrawn_at=at,
    )
    await publish(conn, event, source)


async def announce_closed(
    conn: Conn, source: str, question_id: str, municipality: str, reason: Reason | None, at: datetime
) -> None:
    await publish(
        conn, QuestionClosed(question_id=question_id, municipality=municipality, reason=reason, closed_at=at), source
    )


async def announce_closed_by_id(conn: Conn, source: str, question_id: str, reason: Reason | None, at: datetime) -> None:
    """:func:`announce_closed` for a question known by id only (its municipality is looked up)."""
    municipality = await store.municipality_of(conn, uuid.UUID(question_id))
    if municipality is not None:
        await announce_closed(conn, source, question_id, municipality, reason, at)
