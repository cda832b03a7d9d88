"""SQL of notifications: the delivery log and the question facts the mails mention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.kit.db import Conn
from services.notifications.domain import DeliveryStatus, PlannedDelivery, QuestionFacts, message_id

# --- question facts -------------------------------------------------------------------------------


async def save_question(conn: Conn, facts: QuestionFacts, received_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO questions (question_id, municipality, life_domains, received_at) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (question_id) DO UPDATE SET municipality = EXCLUDED.municipality,"
        " life_domains = EXCLUDED.life_domains, received_at = EXCLUDED.received_at",
        facts.question_id,
        facts.municipality,
        list(facts.life_domains),
        received_at,
    )


async def question_facts(conn: Conn, question_id: str) -> QuestionFacts | None:
    row = await conn.fetchrow(
        "SELECT question_id, municipality, life_domains FROM questions WHERE question_id = $1", question_id
    )
    if row is None:
        return None
    return QuestionFacts(row["question_id"], row["municipality"], tuple(row["life_domains"]))


# --- deliveries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a delivery: ``claimed`` with the attempt number, or its final status."""

    claimed: bool
    status: DeliveryStatus
    attempts: int


async def try_lock(conn: Conn, key: str) -> bool:
    """A session advisory lock on the delivery: held while sending, released by a crash with the session.

    It keeps two instances that got the same event (a rebalance) from sending the same mail at once.
    """
    locked: bool = await conn.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", key)
    return locked


async def unlock(conn: Conn, key: str) -> None:
    await conn.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", key)


async def claim(conn: Conn, key: str, planned: PlannedDelivery, question_id: str | None, cause_event_id: str) -> Claim:
    """Create the delivery or take it up again, counting the attempt; a sent or failed one stays as it is."""
    await conn.execute(
        "INSERT INTO deliveries (delivery_key, message_id, status, attempts, recipient_role, channel, template,"
        " question_id, cause_event_id) VALUES ($1, $2, 'sending', 0, $3, $4, $5, $6, $7)"
        " ON CONFLICT (delivery_key) DO NOTHING",
        key,
        message_id(key),
        planned.role,
        planned.channel,
        planned.template,
        question_id,
        cause_event_id,
    )
    attempts = await conn.fetchval(
        "UPDATE deliveries SET attempts = attempts + 1 WHERE delivery_key = $1 AND status = 'sending'"
        " RETURNING attempts",
        key,
    )
    if attempts is not None:
        return Claim(True, "sending", attempts)
    row = await conn.fetchrow("SELECT status, attempts FROM deliveries WHERE delivery_key = $1", key)
    assert row is not None
    return Claim(False, row["status"], row["attempts"])


async def record_error(conn: Conn, key: str, error: str) -> None:
    await conn.execute("UPDATE deliveries SET last_error = $2 WHERE delivery_key = $1", key, error)


async def mark_sent(conn: Conn, key: str) -> datetime:
    sent_at: datetime = await conn.fetchval(
        "UPDATE deliveries SET status = 'sent', sent_at = now() WHERE delivery_key = $1 RETURNING sent_at", key
    )
    return sent_at


async def mark_failed(conn: Conn, key: str, error: str) -> datetime:
    failed_at: datetime = await conn.fetchval(
        "UPDATE deliveries SET status = 'failed', last_error = $2 WHERE delivery_key = $1 RETURNING now()",
        key,
        error,
    )
    return failed_at


DELIVERY_COLUMNS = (
    "delivery_key, message_id, status, attempts, recipient_role, channel, template, question_id,"
    " cause_event_id, created_at, sent_at, last_error"
)


async def list_deliveries(
    conn: Conn,
    *,
    status: str | None = None,
    recipient_role: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """The delivery log, newest first; ``since`` inclusive, ``until`` exclusive (on ``created_at``)."""
    conditions: list[str] = []
    params: list[Any] = []
    for clause, value in (
        ("status = ${}", status),
        ("recipient_role = ${}", recipient_role),
        ("created_at >= ${}", since),
        ("created_at < ${}", until),
    ):
        if value is not None:
            params.append(value)
            conditions.append(clause.format(len(params)))
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    params.append(limit)
    rows = await conn.fetch(
        f"SELECT {DELIVERY_COLUMNS} FROM deliveries{where} ORDER BY created_at DESC, delivery_key LIMIT ${len(params)}",
        *params,
    )
    return [dict(r) for r in rows]
