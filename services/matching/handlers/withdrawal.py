"""A question ends in intake (QuestionWithdrawn, QuestionClosed): matching lets go of it.

Whoever ended it (the resident, staff, the referrer, an erasure, or the last support ending), the
question is no longer anyone's case: its open assignments end (``close_reason`` ``withdrawn`` or
``closed``) and their places free through the SQL guard, it leaves the waiting list and the
consultation queue (the note of the resident's own view goes too), and :func:`store.record_end`
makes sure it is never assigned again (a later QuestionReceived, a decline's re-match, the
waiting-list pass and assigning by hand all find it ended). No SupportEnded is published: the end
is the question's, announced by intake, and a SupportEnded would invite the resident to share an
experience of support that never happened.

Like every step that frees a place, it takes the waiting-list pass's lock first, then the question's:
a booking of the same question that is under way (QuestionReceived in another transaction) finishes
first, and its place is then freed here, in the same transaction that gives it to a waiting question.
Freed places reach this process's in-memory pools at once (:func:`booking.free`); the pool version
does not move, since no profile changed.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from contracts.envelope import CloudEvent
from contracts.events import QuestionClosed, QuestionWithdrawn
from services.kit.db import Conn
from services.matching import store
from services.matching.container import Container, EventHandler
from services.matching.domain.scoring import Scoring
from services.matching.handlers.booking import free
from services.matching.handlers.waiting import waiting_pass

log = logging.getLogger(__name__)

Ended = Literal["withdrawn", "closed"]


async def let_go(
    conn: Conn,
    question_id: str,
    ended: Ended,
    reason_code: str | None,
    at: datetime,
    source: str,
    scoring: Scoring | None = None,
) -> int:
    """End what matching holds of the question (see the module docstring); return the places freed.

    Runs in the caller's transaction; a second end of the same question changes nothing.
    """
    await store.lock_waiting_pass(conn)
    await store.lock_question(conn, question_id)
    if not await store.record_end(conn, question_id, ended, reason_code, at):
        log.info("question ended already", extra={"question_id": question_id, "ended": ended})
        return 0
    freed = 0
    for view in await store.open_assignments(conn, question_id):
        await store.close_assignment(conn, view.assignment_id, "ended", at, ended)
        await free(conn, view.supporter_id)
        freed += 1
    waited = await store.delete_waiting(conn, question_id)
    consulted = await store.delete_consultation(conn, question_id)
    await store.forget_views(conn, [question_id])  # the resident's own words: nobody needs them any more
    if freed:
        await waiting_pass(conn, source, scoring)
    log.info(
        "question let go",
        extra={
            "question_id": question_id,
            "ended": ended,
            "places_freed": freed,
            "left_waiting_list": waited,
            "left_consultation": consulted,
        },
    )
    return freed


def on_question_withdrawn(c: Container) -> EventHandler[QuestionWithdrawn]:
    async def question_withdrawn(conn: Conn, event: CloudEvent, payload: QuestionWithdrawn) -> None:
        await let_go(
            conn, payload.question_id, "withdrawn", payload.reason.code, payload.withdrawn_at, c.source, c.scoring
        )

    return question_withdrawn


def on_question_closed(c: Container) -> EventHandler[QuestionClosed]:
    async def question_closed(conn: Conn, event: CloudEvent, payload: QuestionClosed) -> None:
        code = payload.reason.code if payload.reason else None
        await let_go(conn, payload.question_id, "closed", code, payload.closed_at, c.source, c.scoring)

    return question_closed
