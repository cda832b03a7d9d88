"""SQL of the closed loop. Every function runs on the caller's connection (and so in its transaction)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from contracts.events import Reason
from services.intake.closedloop.domain import Referral
from services.intake.domain import QuestionStatus
from services.kit.db import Conn


def _uuid(question_id: str | uuid.UUID) -> uuid.UUID | None:
    if isinstance(question_id, uuid.UUID):
        return question_id
    try:
        return uuid.UUID(question_id)
    except ValueError:
        return None


async def referral(conn: Conn, question_id: str | uuid.UUID) -> Referral | None:
    """Who referred the question (None for an unknown question)."""
    qid = _uuid(question_id)
    if qid is None:
        return None
    row = await conn.fetchrow(
        "SELECT referrer, partner_reference, municipality FROM questions WHERE question_id = $1", qid
    )
    if row is None:
        return None
    return Referral(str(qid), row["referrer"], row["partner_reference"], row["municipality"])


async def lock_question(conn: Conn, question_id: uuid.UUID) -> tuple[QuestionStatus, Referral] | None:
    """The question's status and referral, locked for this transaction; None when intake does not know it."""
    row = await conn.fetchrow(
        "SELECT status, referrer, partner_reference, municipality FROM questions WHERE question_id = $1 FOR UPDATE",
        question_id,
    )
    if row is None:
        return None
    return row["status"], Referral(str(question_id), row["referrer"], row["partner_reference"], row["municipality"])


async def record_withdrawal(
    conn: Conn, question_id: uuid.UUID, reason: Reason, note: str | None, at: datetime, by: str | None = None
) -> None:
    """Add the 'withdrawn' history row (with the caller's note, kept in intake only) and set the status
    (and who withdrew: resident, staff, partner)."""
    await conn.execute(
        "INSERT INTO question_history (question_id, status, reason, reason_code, note, at)"
        " VALUES ($1, 'withdrawn', $2, $3, $4, $5)",
        question_id,
        reason.text,
        reason.code,
        note,
        at,
    )
    await conn.execute(
        "UPDATE questions SET status = 'withdrawn', withdrawn_by = $3, updated_at = greatest(updated_at, $2)"
        " WHERE question_id = $1",
        question_id,
        at,
        by,
    )


async def record_close(conn: Conn, question_id: uuid.UUID, reason: Reason, at: datetime) -> None:
    """Add the 'closed' history row and set the status (staff closed the question)."""
    await conn.execute(
        "INSERT INTO question_history (question_id, status, reason, reason_code, at) VALUES ($1, 'closed', $2, $3, $4)",
        question_id,
        reason.text,
        reason.code,
        at,
    )
    await conn.execute(
        "UPDATE questions SET status = 'closed', updated_at = greatest(updated_at, $2) WHERE question_id = $1",
        question_id,
        at,
    )


# --- webhooks -------------------------------------------------------------------------------------


async def save_webhook(conn: Conn, organisation: str, url: str, secret_sealed: str) -> None:
    """Register (or replace, with a new secret) the organisation's webhook; the secret comes sealed."""
    await conn.execute(
        "INSERT INTO partner_webhooks (organisation, url, secret_sealed) VALUES ($1, $2, $3)"
        " ON CONFLICT (organisation) DO UPDATE"
        " SET url = EXCLUDED.url, secret_sealed = EXCLUDED.secret_sealed, updated_at = now()",
        organisation,
        url,
        secret_sealed,
    )


async def webhook(conn: Conn | asyncpg.Pool, organisation: str) -> tuple[str, str] | None:
    """``(url, sealed secret)`` of the organisation's webhook, or None."""
    row = await conn.fetchrow("SELECT url, secret_sealed FROM partner_webhooks WHERE organisation = $1", organisation)
    return (row["url"], row["secret_sealed"]) if row else None


async def delete_webhook(conn: Conn | asyncpg.Pool, organisation: str) -> bool:
    result: str = await conn.execute("DELETE FROM partner_webhooks WHERE organisation = $1", organisation)
    return result.endswith(" 1")
