"""Intake's SQL. Every function runs on the caller's connection (and so in its transaction)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from contracts.codes import Channel
from contracts.events import QuestionSubmission
from services.intake.domain import Candidate, Identifiers, QuestionStatus
from services.intake.vault import SealedContact
from services.kit.db import Conn

#: First key of intake's transaction-level advisory locks (the second is the identifier's hash).
_RESIDENT_LOCK_CLASS = 0x1A7E


async def lock_identifiers(conn: Conn, ids: Identifiers) -> None:
    """Serialise submissions sharing an identifier, so two at once cannot both create a resident."""
    # One statement; the locks are taken in the array's (sorted) order, so two submissions never deadlock.
    await conn.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext(v)) FROM unnest($2::text[]) AS v",
        _RESIDENT_LOCK_CLASS,
        sorted(ids.values()),
    )


async def find_candidates(conn: Conn, ids: Identifiers) -> list[Candidate]:
    """The residents sharing an identifier with ``ids``, each with its wrapped data key."""
    rows = await conn.fetch(
        "SELECT resident_ref::text AS ref, email_index, phone_index, data_key FROM residents"
        " WHERE email_index = $1 OR phone_index = $2",
        ids.email,
        ids.phone,
    )
    return [Candidate(r["ref"], r["email_index"], r["phone_index"], r["data_key"]) for r in rows]


async def insert_resident(conn: Conn, ref: str, contact: SealedContact, ids: Identifiers, data_key: str) -> None:
    """Store a new resident: contact details sealed with their data key, the key wrapped (vault.py)."""
    await conn.execute(
        "INSERT INTO residents (resident_ref, name, email, phone, email_index, phone_index, data_key,"
        " preferred_channel) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        ref,
        contact.name,
        contact.email,
        contact.phone,
        ids.email,
        ids.phone,
        data_key,
        contact.preferred_channel,
    )


async def refresh_resident(conn: Conn, ref: str, contact: SealedContact, ids: Identifiers) -> None:
    """Keep the latest name, contact details and channel choice; add identifiers the resident did not have yet."""
    await conn.execute(
        "UPDATE residents SET name = $2, email = COALESCE($3, email), phone = COALESCE($4, phone),"
        " email_index = COALESCE($5, email_index), phone_index = COALESCE($6, phone_index),"
        " preferred_channel = COALESCE($7, preferred_channel), updated_at = now()"
        " WHERE resident_ref = $1",
        ref,
        contact.name,
        contact.email,
        contact.phone,
        ids.email,
        ids.phone,
        contact.preferred_channel,
    )


@dataclass(frozen=True)
class NewQuestion:
    question_id: str
    resident_ref: str
    submission: QuestionSubmission
    channel: Channel
    referrer: str | None
    partner_reference: str | None
    received_at: datetime
    #: The description as stored: sealed with the resident's data key (vault.py), never plain.
    description: str
    #: The short reference the resident and staff use (services/intake/mine/domain.py).
    reference: str = ""


async def insert_question(conn: Conn, q: NewQuestion, reason: str) -> None:
    """Store the question and its first history row ('received')."""
    s = q.submission
    await conn.execute(
        "WITH q AS ("
        " INSERT INTO questions (question_id, resident_ref, municipality, life_domains, description,"
        "  preferred_supporter_kind, languages, postcode, channel, referrer, partner_reference,"
        "  share_with_supporter, status, received_at, updated_at, age_band, reference, needs, wants_duo,"
        "  choose_together)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'received', $13, $13, $15, $16, $17, $18, $19)"
        " RETURNING question_id)"
        " INSERT INTO question_history (question_id, status, reason, reason_code, at)"
        " SELECT question_id, 'received', $14, 'received', $13 FROM q",
        q.question_id,
        q.resident_ref,
        s.municipality,
        list(s.life_domains),
        q.description,
        s.preferred_supporter_kind,
        list(s.languages),
        s.postcode,
        q.channel,
        q.referrer,
        q.partner_reference,
        s.consent.share_with_supporter,
        q.received_at,
        reason,
        s.age_band,
        q.reference,
        list(s.needs),
        s.wants_duo,
        s.choose_together,
    )


async def reference_taken(conn: Conn, reference: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM questions WHERE reference = $1", reference))


async def find_referral(conn: Conn, referrer: str, partner_reference: str) -> str | None:
    value: uuid.UUID | None = await conn.fetchval(
        "SELECT question_id FROM questions WHERE referrer = $1 AND partner_reference = $2",
        referrer,
        partner_reference,
    )
    return str(value) if value else None


async def lock_status(conn: Conn, question_id: str) -> QuestionStatus | None:
    """The question's status, locked for this transaction; None when intake does not know it."""
    try:
        qid = uuid.UUID(question_id)
    except ValueError:
        return None
    status: QuestionStatus | None = await conn.fetchval(
        "SELECT status FROM questions WHERE question_id = $1 FOR UPDATE", qid
    )
    return status


async def change_status(
    conn: Conn,
    question_id: str,
    status: QuestionStatus,
    reason: str,
    at: datetime,
    event_id: str,
    reason_code: str | None = None,
) -> bool:
    """Record a status change caused by event ``event_id``; False when that event was recorded already."""
    added = await conn.fetchval(
        "INSERT INTO question_history (question_id, status, reason, at, event_id, reason_code)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (question_id, event_id) DO NOTHING RETURNING 1",
        uuid.UUID(question_id),
        status,
        reason,
        at,
        event_id,
        reason_code,
    )
    if not added:
        return False
    await conn.execute(
        "UPDATE questions SET status = $2, updated_at = greatest(updated_at, $3) WHERE question_id = $1",
        uuid.UUID(question_id),
        status,
        at,
    )
    return True


async def question_view(conn: Conn | asyncpg.Pool, question_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT question_id, status, municipality, life_domains, received_at, updated_at, reference,"
        " choose_together FROM questions WHERE question_id = $1",
        question_id,
    )


async def history(conn: Conn | asyncpg.Pool, question_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT status, reason, reason_code, at FROM question_history WHERE question_id = $1 ORDER BY id", question_id
    )


async def contact(conn: Conn | asyncpg.Pool, question_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT q.question_id, q.resident_ref, r.name, r.email, r.phone, r.data_key, r.preferred_channel,"
        " q.share_with_supporter, q.status, q.reference"
        " FROM questions q JOIN residents r USING (resident_ref) WHERE q.question_id = $1",
        question_id,
    )


# --- sealed dead letters of the inbound topic (services/intake/deadletters.py) --------------------


async def save_dead_letter_key(
    conn: Conn, letter_id: str, wrapped: str, ids: Identifiers, topic: str, partition: int, offset: int
) -> None:
    await conn.execute(
        "INSERT INTO dead_letter_keys (letter_id, data_key, email_index, phone_index, topic, kafka_partition,"
        " kafka_offset) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        uuid.UUID(letter_id),
        wrapped,
        ids.email,
        ids.phone,
        topic,
        partition,
        offset,
    )


async def dead_letter_key(conn: Conn, letter_id: str) -> str | None:
    try:
        letter = uuid.UUID(letter_id)
    except ValueError:
        return None
    found: str | None = await conn.fetchval("SELECT data_key FROM dead_letter_keys WHERE letter_id = $1", letter)
    return found


async def delete_dead_letter_keys(conn: Conn, ids: Identifiers) -> int:
    if not ids.values():
        return 0
    status = await conn.execute(
        "DELETE FROM dead_letter_keys WHERE email_index = ANY($1::text[]) OR phone_index = ANY($1::text[])",
        ids.values(),
    )
    return int(status.split()[-1])


async def delete_dead_letter_keys_before(conn: Conn, moment: datetime) -> int:
    status = await conn.execute("DELETE FROM dead_letter_keys WHERE created_at < $1", moment)
    return int(status.split()[-1])


async def municipality_of(conn: Conn | asyncpg.Pool, question_id: uuid.UUID) -> str | None:
    municipality: str | None = await conn.fetchval(
        "SELECT municipality FROM questions WHERE question_id = $1", question_id
    )
    return municipality
