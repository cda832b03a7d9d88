"""SQL of the resident's own page. Every function runs on the caller's connection (and so in its transaction)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from contracts.events import PreferredChannel
from services.intake.domain import QuestionStatus
from services.kit.db import Conn


async def insert_link(conn: Conn, question_id: uuid.UUID, digest: str, at: datetime) -> None:
    await conn.execute(
        "INSERT INTO question_links (token_sha256, question_id, created_at) VALUES ($1, $2, $3)",
        digest,
        question_id,
        at,
    )


async def revoke_links(conn: Conn, question_id: uuid.UUID, at: datetime) -> None:
    """Every link to the question stops working (a new one is on its way)."""
    await conn.execute(
        "UPDATE question_links SET revoked_at = $2 WHERE question_id = $1 AND revoked_at IS NULL", question_id, at
    )


@dataclass(frozen=True)
class LinkedQuestion:
    """What the page needs of the question behind a link: no name, address or description."""

    question_id: uuid.UUID
    reference: str
    status: QuestionStatus
    municipality: str
    received_at: datetime
    updated_at: datetime
    choose_together: bool
    withdrawn_by: str | None
    resident_ref: uuid.UUID | None
    preferred_channel: PreferredChannel | None
    has_email: bool
    has_phone: bool


async def by_token(conn: Conn | asyncpg.Pool, digest: str, *, lock: bool = False) -> LinkedQuestion | None:
    """The question behind a working link (not revoked, resident not erased); locked when ``lock``."""
    suffix = " FOR UPDATE OF q" if lock else ""
    row = await conn.fetchrow(
        "SELECT q.question_id, q.reference, q.status, q.municipality, q.received_at, q.updated_at,"
        " q.choose_together, q.withdrawn_by, q.resident_ref, r.preferred_channel,"
        " r.email IS NOT NULL AS has_email, r.phone IS NOT NULL AS has_phone"
        " FROM question_links l JOIN questions q ON q.question_id = l.question_id"
        " JOIN residents r ON r.resident_ref = q.resident_ref"
        f" WHERE l.token_sha256 = $1 AND l.revoked_at IS NULL AND q.erased_at IS NULL{suffix}",
        digest,
    )
    return LinkedQuestion(**dict(row)) if row else None


async def reference_of(conn: Conn | asyncpg.Pool, question_id: uuid.UUID) -> str | None:
    """The question's reference, None when unknown or its resident was erased."""
    reference: str | None = await conn.fetchval(
        "SELECT reference FROM questions WHERE question_id = $1 AND erased_at IS NULL", question_id
    )
    return reference


async def set_channel(conn: Conn, resident_ref: uuid.UUID, channel: PreferredChannel) -> None:
    await conn.execute(
        "UPDATE residents SET preferred_channel = $2, updated_at = now() WHERE resident_ref = $1", resident_ref, channel
    )


async def history(conn: Conn | asyncpg.Pool, question_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT status, at FROM question_history WHERE question_id = $1 ORDER BY at, id", question_id
    )


@dataclass(frozen=True)
class OpenQuestion:
    question_id: uuid.UUID
    municipality: str


async def claim_link_request(
    conn: Conn, email_index: str, now: datetime, every: timedelta, limit: int
) -> list[OpenQuestion]:
    """The open questions of the residents with this address, newest first (at most ``limit``), and
    the request recorded; none when the address asked less than ``every`` ago (or is unknown)."""
    refs = await conn.fetch(
        "UPDATE residents SET link_requested_at = $2 WHERE email_index = $1"
        " AND (link_requested_at IS NULL OR link_requested_at <= $3) RETURNING resident_ref",
        email_index,
        now,
        now - every,
    )
    if not refs:
        return []
    rows = await conn.fetch(
        "SELECT question_id, municipality FROM questions WHERE resident_ref = ANY($1::uuid[])"
        " AND status NOT IN ('closed', 'withdrawn') AND erased_at IS NULL"
        " ORDER BY received_at DESC LIMIT $2",
        [r["resident_ref"] for r in refs],
        limit,
    )
    return [OpenQuestion(r["question_id"], r["municipality"]) for r in rows]


# --- the conversation of the joint consultation (from matching's events) -----------------------------


@dataclass(frozen=True)
class Appointment:
    planned_for: datetime
    planned_at: datetime
    held_at: datetime | None


async def plan_appointment(conn: Conn, question_id: uuid.UUID, planned_for: datetime, planned_at: datetime) -> bool:
    """Keep the latest plan (a plan made earlier than the one kept changes nothing); False: unknown question."""
    if await conn.fetchval("SELECT 1 FROM questions WHERE question_id = $1", question_id) is None:
        return False
    await conn.execute(
        "INSERT INTO consultation_appointments (question_id, planned_for, planned_at) VALUES ($1, $2, $3)"
        " ON CONFLICT (question_id) DO UPDATE SET planned_for = EXCLUDED.planned_for,"
        " planned_at = EXCLUDED.planned_at, held_at = NULL"
        " WHERE consultation_appointments.planned_at < EXCLUDED.planned_at",
        question_id,
        planned_for,
        planned_at,
    )
    return True


async def appointment_held(conn: Conn, question_id: uuid.UUID, planned_for: datetime, held_at: datetime) -> bool:
    """The planned conversation took place (a later plan than the one held is kept); False: unknown question."""
    if await conn.fetchval("SELECT 1 FROM questions WHERE question_id = $1", question_id) is None:
        return False
    await conn.execute(
        "INSERT INTO consultation_appointments (question_id, planned_for, planned_at, held_at) VALUES ($1, $2, $3, $3)"
        " ON CONFLICT (question_id) DO UPDATE SET held_at = EXCLUDED.held_at"
        " WHERE consultation_appointments.planned_for = EXCLUDED.planned_for",
        question_id,
        planned_for,
        held_at,
    )
    return True


async def appointment_of(conn: Conn | asyncpg.Pool, question_id: uuid.UUID) -> Appointment | None:
    row = await conn.fetchrow(
        "SELECT planned_for, planned_at, held_at FROM consultation_appointments WHERE question_id = $1", question_id
    )
    return Appointment(row["planned_for"], row["planned_at"], row["held_at"]) if row else None
