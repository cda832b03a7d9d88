"""SQL of the experience invitations: one row per question whose support ended (see ``participation.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from services.kit import session_state
from services.kit.db import Conn
from services.notifications import store
from services.notifications.domain import InvitationStatus, PlannedDelivery


@dataclass(frozen=True)
class InvitationRecord:
    """The question's invitation: which SupportEnded carries it, and how far it got."""

    question_id: str
    cause_event_id: str
    status: InvitationStatus
    reason: str | None


async def wait_for_lock(conn: Conn, key: str, seconds: float) -> bool:
    """Take a session advisory lock on ``key``, waiting up to ``seconds`` for another session to let go.

    The session's ``lock_timeout`` (and the lock) are reset when the connection goes back to the pool.
    """
    return await session_state.lock(conn, key, seconds)


async def begin(conn: Conn, question_id: str, event_id: str) -> InvitationRecord:
    """Start the question's invitation for ``event_id``, or return the one already there.

    A skipped invitation is taken up again by a *different* SupportEnded of the question (a duo's
    last one may find the support ended where the first did not); the same event redelivered finds
    its own outcome and changes nothing.
    """
    await conn.execute(
        "INSERT INTO experience_invitations (question_id, cause_event_id, status) VALUES ($1, $2, 'pending')"
        " ON CONFLICT (question_id) DO UPDATE SET cause_event_id = EXCLUDED.cause_event_id, status = 'pending',"
        " reason = NULL, updated_at = now()"
        " WHERE experience_invitations.status = 'skipped'"
        " AND experience_invitations.cause_event_id <> EXCLUDED.cause_event_id",
        question_id,
        event_id,
    )
    found = await find(conn, question_id)
    assert found is not None
    return found


async def find(conn: Conn, question_id: str) -> InvitationRecord | None:
    row = await conn.fetchrow(
        "SELECT question_id, cause_event_id, status, reason FROM experience_invitations WHERE question_id = $1",
        question_id,
    )
    if row is None:
        return None
    return InvitationRecord(row["question_id"], row["cause_event_id"], row["status"], row["reason"])


async def finish(
    conn: Conn, question_id: str, cause_event_id: str, status: InvitationStatus, reason: str | None = None
) -> None:
    """Record the outcome (only for the invitation ``cause_event_id`` carries; a newer one is left alone)."""
    await conn.execute(
        "UPDATE experience_invitations SET status = $3, reason = $4, updated_at = now()"
        " WHERE question_id = $1 AND cause_event_id = $2",
        question_id,
        cause_event_id,
        status,
        reason,
    )


async def skip(
    conn: Conn,
    question_id: str,
    cause_event_id: str,
    reason: str,
    key: str | None = None,
    planned: PlannedDelivery | None = None,
) -> bool:
    """Record a skipped invitation; with a delivery, log it as skipped too. True if the delivery was logged now.

    Call it in a transaction: the invitation and the delivery log agree.
    """
    await finish(conn, question_id, cause_event_id, "skipped", reason)
    if key is None or planned is None:
        return False
    return await store.mark_skipped(conn, key, planned, question_id, cause_event_id, reason)
