"""SQL of notifications: the delivery log and the question facts the mails mention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.kit import session_state
from services.kit.db import Conn
from services.notifications.domain import DeliveryStatus, PlannedDelivery, QuestionFacts, message_id
from services.notifications.signal_digest import SignalFact

# --- question facts -------------------------------------------------------------------------------


async def save_question(conn: Conn, facts: QuestionFacts, received_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO questions (question_id, municipality, life_domains, languages, meeting_preference, needs,"
        " received_at, reference) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (question_id) DO UPDATE SET municipality = EXCLUDED.municipality,"
        " life_domains = EXCLUDED.life_domains, languages = EXCLUDED.languages,"
        " meeting_preference = EXCLUDED.meeting_preference, needs = EXCLUDED.needs,"
        " received_at = EXCLUDED.received_at, reference = EXCLUDED.reference",
        facts.question_id,
        facts.municipality,
        list(facts.life_domains),
        list(facts.languages),
        facts.meeting_preference,
        list(facts.needs),
        received_at,
        facts.reference,
    )


async def question_facts(conn: Conn, question_id: str) -> QuestionFacts | None:
    row = await conn.fetchrow(
        "SELECT question_id, municipality, life_domains, languages, meeting_preference, needs, reference"
        " FROM questions WHERE question_id = $1",
        question_id,
    )
    return None if row is None else _facts(row)


def _facts(row: Any) -> QuestionFacts:
    return QuestionFacts(
        row["question_id"],
        row["municipality"],
        tuple(row["life_domains"]),
        tuple(row["languages"]),
        row["meeting_preference"],
        tuple(row["needs"]),
        row["reference"],
    )


# --- deliveries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a delivery: ``claimed`` with the attempt number, or its final status."""

    claimed: bool
    status: DeliveryStatus
    attempts: int


async def unlock(conn: Conn, key: str) -> None:
    await session_state.unlock(conn, key)


@dataclass(frozen=True)
class Opening:
    """What :func:`open_delivery` found, in one round trip: whether this session holds the delivery's
    lock, how the question ended (if it did), whether the resident opted out, and the claim (None when
    not locked, when the delivery is to be skipped, or when it was not to be claimed)."""

    locked: bool
    ended: str | None
    stopped: bool
    opted_out: bool
    claim: Claim | None


#: Lock, the two reads and the claim of one delivery. The lock's CTE is volatile, so it runs once and
#: before the claim that reads it; the claim inserts only when locked, not stopped by the question's
#: end, not opted out, and wanted now ($9: an SMS in quiet hours is queued, not claimed).
_OPEN = """
WITH lock AS (SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked),
facts AS (
    SELECT lock.locked, ends.ended,
        COALESCE(ends.ended = ANY($10::text[]), false) AS stopped,
        ($8::text IS NOT NULL AND EXISTS (SELECT 1 FROM opt_outs WHERE resident_ref_hash = $8)) AS opted_out
    FROM lock LEFT JOIN question_ends ends ON ends.question_id = $6
),
claimed AS (
    INSERT INTO deliveries (delivery_key, message_id, status, attempts, recipient_role, channel, template,
        question_id, cause_event_id)
    SELECT $1, $2, 'sending', 1, $3, $4, $5, $6, $7 FROM facts
    WHERE $9::bool AND facts.locked AND NOT facts.stopped AND NOT facts.opted_out
    ON CONFLICT (delivery_key) DO UPDATE SET attempts = deliveries.attempts + 1 WHERE deliveries.status = 'sending'
    RETURNING attempts
)
SELECT facts.locked, facts.ended, facts.stopped, facts.opted_out, (SELECT attempts FROM claimed) AS attempts
FROM facts
"""


async def open_delivery(
    conn: Conn,
    key: str,
    planned: PlannedDelivery,
    question_id: str | None,
    cause_event_id: str,
    *,
    ref_hash: str | None,
    stopping_ends: tuple[str, ...],
    claim_now: bool,
) -> Opening:
    """Take the delivery's session advisory lock (held while sending, released when the connection goes
    back to the pool or by a crash with the session: it keeps two instances that got the same event, a
    rebalance, from sending the same mail at once), read the question's end and the resident's opt-out,
    and claim the delivery unless one of them stops it: one statement instead of four.

    The claim creates the delivery or takes it up again, counting the attempt; a sent, failed, skipped
    or queued one stays as it is (and its status is read: a redelivered event).

    ``stopping_ends`` are the ends of the question that hold this message back; ``ref_hash`` the
    resident whose opt-out holds it back (None: none).
    """
    session_state.mark(conn)  # the lock outlives the statement: the pool resets the connection
    row = await conn.fetchrow(
        _OPEN,
        key,
        message_id(key),
        planned.role,
        planned.channel,
        planned.template,
        question_id,
        cause_event_id,
        ref_hash,
        claim_now,
        list(stopping_ends),
    )
    assert row is not None
    found: Claim | None = None
    if row["attempts"] is not None:
        found = Claim(True, "sending", row["attempts"])
    elif row["locked"] and claim_now and not row["stopped"] and not row["opted_out"]:
        # Claimed before and no longer sending: its final status (rare: a redelivered event).
        done = await conn.fetchrow("SELECT status, attempts FROM deliveries WHERE delivery_key = $1", key)
        assert done is not None
        found = Claim(False, done["status"], done["attempts"])
    return Opening(row["locked"], row["ended"], row["stopped"], row["opted_out"], found)


#: Marks a claimed delivery sent (with :func:`services.kit.outbox.execute_then_publish`).
MARK_SENT = "UPDATE deliveries SET status = 'sent', sent_at = $2 WHERE delivery_key = $1 RETURNING 1"


async def record_error(conn: Conn, key: str, error: str) -> None:
    await conn.execute("UPDATE deliveries SET last_error = $2 WHERE delivery_key = $1", key, error)


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


# --- signals and their daily digest ---------------------------------------------------------------


async def save_signal(conn: Conn, fact: SignalFact) -> None:
    await conn.execute(
        "INSERT INTO signals (signal_id, theme, municipality, level, raised_at) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (signal_id) DO NOTHING",
        fact.signal_id,
        fact.theme,
        fact.municipality,
        fact.level,
        fact.raised_at,
    )


async def open_digest(conn: Conn, digest_id: str, day: date) -> int:
    """Put every pending signal into a new digest ``digest_id``; return how many (0: no digest made).

    Call it in a transaction: the lock keeps two runs at once from making an empty digest.
    """
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('notifications-digest'))")
    pending = await conn.fetchval("SELECT count(*) FROM signals WHERE digest_id IS NULL")
    if not pending:
        return 0
    await conn.execute("INSERT INTO digests (digest_id, day) VALUES ($1, $2)", digest_id, day)
    status: str = await conn.execute("UPDATE signals SET digest_id = $1 WHERE digest_id IS NULL", digest_id)
    return int(status.split()[-1])


async def unclosed_digests(conn: Conn) -> list[tuple[str, date]]:
    rows = await conn.fetch("SELECT digest_id, day FROM digests WHERE closed_at IS NULL ORDER BY created_at")
    return [(r["digest_id"], r["day"]) for r in rows]


async def digest_signals(conn: Conn, digest_id: str) -> list[SignalFact]:
    rows = await conn.fetch(
        "SELECT signal_id, theme, municipality, level, raised_at FROM signals WHERE digest_id = $1", digest_id
    )
    return [SignalFact(r["signal_id"], r["theme"], r["municipality"], r["level"], r["raised_at"]) for r in rows]


async def close_digest(conn: Conn, digest_id: str) -> None:
    await conn.execute("UPDATE digests SET closed_at = now() WHERE digest_id = $1", digest_id)


# --- opt-outs -------------------------------------------------------------------------------------


async def record_opt_out(conn: Conn, ref_hash: str) -> None:
    await conn.execute(
        "INSERT INTO opt_outs (resident_ref_hash) VALUES ($1) ON CONFLICT (resident_ref_hash) DO NOTHING", ref_hash
    )


async def opted_out(conn: Conn, ref_hash: str) -> bool:
    found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM opt_outs WHERE resident_ref_hash = $1)", ref_hash)
    return found


async def forget_opt_out(conn: Conn, ref_hash: str) -> None:
    await conn.execute("DELETE FROM opt_outs WHERE resident_ref_hash = $1", ref_hash)


async def mark_skipped(
    conn: Conn, key: str, planned: PlannedDelivery, question_id: str | None, cause_event_id: str, reason: str
) -> bool:
    """Record a delivery not sent (an opt-out); an unfinished one becomes skipped too. True if recorded now."""
    status: str = await conn.execute(
        "INSERT INTO deliveries (delivery_key, message_id, status, attempts, recipient_role, channel, template,"
        " question_id, cause_event_id, last_error) VALUES ($1, $2, 'skipped', 0, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (delivery_key) DO UPDATE SET status = 'skipped', last_error = EXCLUDED.last_error"
        " WHERE deliveries.status = 'sending'",
        key,
        message_id(key),
        planned.role,
        planned.channel,
        planned.template,
        question_id,
        cause_event_id,
        reason,
    )
    return status.endswith(" 1")


# --- the SMS queue (quiet hours) ------------------------------------------------------------------


@dataclass(frozen=True)
class QueuedSms:
    delivery_key: str
    cause_event_id: str
    question_id: str | None
    template: str
    body: str


async def queue(
    conn: Conn,
    key: str,
    planned: PlannedDelivery,
    question_id: str | None,
    cause_event_id: str,
    body: str,
    not_before: datetime,
) -> bool:
    """Hold an SMS until ``not_before``; True if queued now (False: the delivery exists already)."""
    status: str = await conn.execute(
        "INSERT INTO deliveries (delivery_key, message_id, status, attempts, recipient_role, channel, template,"
        " question_id, cause_event_id, body, not_before) VALUES ($1, $2, 'queued', 0, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (delivery_key) DO NOTHING",
        key,
        message_id(key),
        planned.role,
        planned.channel,
        planned.template,
        question_id,
        cause_event_id,
        body,
        not_before,
    )
    return status.endswith(" 1")


async def delivery_status(conn: Conn, key: str) -> str | None:
    found: str | None = await conn.fetchval("SELECT status FROM deliveries WHERE delivery_key = $1", key)
    return found


async def take_due_sms(conn: Conn, now: datetime, limit: int = 100) -> list[QueuedSms]:
    """Queued SMS due at ``now``, switched to ``sending`` (so :func:`open_delivery` takes them up)."""
    rows = await conn.fetch(
        "UPDATE deliveries SET status = 'sending' WHERE delivery_key IN ("
        " SELECT delivery_key FROM deliveries WHERE status = 'queued' AND not_before <= $1"
        " ORDER BY not_before LIMIT $2 FOR UPDATE SKIP LOCKED)"
        " RETURNING delivery_key, cause_event_id, question_id, template, body",
        now,
        limit,
    )
    return [QueuedSms(r["delivery_key"], r["cause_event_id"], r["question_id"], r["template"], r["body"]) for r in rows]


async def requeue(conn: Conn, key: str, not_before: datetime) -> None:
    await conn.execute(
        "UPDATE deliveries SET status = 'queued', not_before = $2 WHERE delivery_key = $1 AND status = 'sending'",
        key,
        not_before,
    )


async def clear_body(conn: Conn, key: str) -> None:
    await conn.execute("UPDATE deliveries SET body = NULL WHERE delivery_key = $1", key)


async def mark_skipped_now(conn: Conn, key: str, reason: str) -> None:
    await conn.execute(
        "UPDATE deliveries SET status = 'skipped', last_error = $2, body = NULL WHERE delivery_key = $1", key, reason
    )


# --- the end of a question -----------------------------------------------------------------------

#: First key of the transaction-level advisory lock that orders a question's "new case" and its end.
_QUESTION_END_LOCK = 0x5E4D


async def lock_question_end(conn: Conn, question_id: str) -> None:
    """Serialise telling a supporter of a case with the case's end (until the transaction ends)."""
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", _QUESTION_END_LOCK, question_id)


async def question_ended(conn: Conn, question_id: str) -> str | None:
    """``withdrawn`` or ``closed`` once intake announced it, else None."""
    ended: str | None = await conn.fetchval("SELECT ended FROM question_ends WHERE question_id = $1", question_id)
    return ended


async def tell_supporter_unless_ended(
    conn: Conn, question_id: str, supporter_id: str
) -> tuple[str | None, QuestionFacts | None]:
    """How the question ended (None: open, and the supporter is now noted as told) and its facts, in
    one statement. Call it after :func:`lock_question_end`, in its transaction (a statement of its
    own, so that it reads what an end committed before the lock was had)."""
    row = await conn.fetchrow(
        "WITH ended AS (SELECT ended FROM question_ends WHERE question_id = $1),"
        " told AS (INSERT INTO question_supporters (question_id, supporter_id) SELECT $1, $2"
        " WHERE NOT EXISTS (SELECT 1 FROM ended) ON CONFLICT DO NOTHING)"
        " SELECT (SELECT ended FROM ended) AS ended, q.question_id, q.municipality, q.life_domains, q.languages,"
        " q.meeting_preference, q.needs, q.reference FROM (SELECT 1) AS one"
        " LEFT JOIN questions q ON q.question_id = $1",
        question_id,
        supporter_id,
    )
    assert row is not None
    return row["ended"], _facts(row) if row["question_id"] is not None else None


async def end_question(
    conn: Conn, question_id: str, ended: str, reason_code: str | None, at: datetime, cause_event_id: str
) -> tuple[str, list[str]]:
    """Record the end (a later end keeps the first) and return the event that ended the question and
    the supporters told of the case."""
    await conn.execute(
        "INSERT INTO question_ends (question_id, ended, reason_code, ended_at, cause_event_id)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (question_id) DO NOTHING",
        question_id,
        ended,
        reason_code,
        at,
        cause_event_id,
    )
    first: str = await conn.fetchval("SELECT cause_event_id FROM question_ends WHERE question_id = $1", question_id)
    rows = await conn.fetch(
        "SELECT supporter_id FROM question_supporters WHERE question_id = $1 ORDER BY told_at, supporter_id",
        question_id,
    )
    return first, [r["supporter_id"] for r in rows]
