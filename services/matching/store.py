"""PostgreSQL access of matching: organisations, the supporter pool, capacity and outcomes.

Every function takes a connection (plain or from a pool) so callers choose the transaction. The
capacity guard lives here, in SQL: :func:`book_capacity` is the one place that raises
``active_cases``, and only while it stays below ``capacity``; the table's CHECK backs it up.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from contracts.events import CandidateVerdict, Reason
from services.kit.db import Conn
from services.matching.domain import Organisation, SupporterRecord, supporter_problems

_SUPPORTER_COLUMNS = (
    "id, name, email, kind, organisation, municipalities, life_domains, languages, specialisms,"
    " capacity, active_cases, postcode, active"
)
#: First key of the two-key advisory locks that serialise work on one question.
_QUESTION_LOCK_SPACE = zlib.crc32(b"samenloket-matching-question") & 0x7FFFFFFF


# --- organisations and supporters -----------------------------------------------------------------


async def upsert_organisation(conn: Conn, id: str, name: str, decides_on_provisions: bool) -> None:
    """Create or update an organisation."""
    await conn.execute(
        "INSERT INTO organisations (id, name, decides_on_provisions) VALUES ($1, $2, $3)"
        " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, decides_on_provisions = EXCLUDED.decides_on_provisions",
        id,
        name,
        decides_on_provisions,
    )


async def upsert_supporter(conn: Conn, supporter: SupporterRecord) -> None:
    """Create a supporter, or update their profile.

    ``active_cases`` is taken from the record only when the supporter is new: afterwards matching
    itself keeps the count, so reloading a profile never forgets bookings. Raises ``ValueError`` for
    an invalid record; the organisation must exist (foreign key).
    """
    problems = supporter_problems(supporter)
    if problems:
        raise ValueError(f"invalid supporter {supporter.id!r}: {'; '.join(problems)}")
    await conn.execute(
        f"INSERT INTO supporters ({_SUPPORTER_COLUMNS})"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, kind = EXCLUDED.kind,"
        " organisation = EXCLUDED.organisation, municipalities = EXCLUDED.municipalities,"
        " life_domains = EXCLUDED.life_domains, languages = EXCLUDED.languages,"
        " specialisms = EXCLUDED.specialisms, capacity = EXCLUDED.capacity, postcode = EXCLUDED.postcode,"
        " active = EXCLUDED.active",
        supporter.id,
        supporter.name,
        supporter.email,
        supporter.kind,
        supporter.organisation,
        list(supporter.municipalities),
        list(supporter.life_domains),
        list(supporter.languages),
        list(supporter.specialisms),
        supporter.capacity,
        supporter.active_cases,
        supporter.postcode,
        supporter.active,
    )


def _supporter(row: asyncpg.Record) -> SupporterRecord:
    return SupporterRecord(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        kind=row["kind"],
        organisation=row["organisation"],
        municipalities=row["municipalities"],
        life_domains=row["life_domains"],
        languages=row["languages"],
        specialisms=row["specialisms"],
        capacity=row["capacity"],
        active_cases=row["active_cases"],
        postcode=row["postcode"],
        active=row["active"],
    )


async def list_supporters(conn: Conn, municipality: str | None = None) -> list[SupporterRecord]:
    """All supporters (active or not), or those serving ``municipality``, by id."""
    if municipality is None:
        rows = await conn.fetch(f"SELECT {_SUPPORTER_COLUMNS} FROM supporters ORDER BY id")
    else:
        rows = await conn.fetch(
            f"SELECT {_SUPPORTER_COLUMNS} FROM supporters WHERE municipalities @> ARRAY[$1]::text[] ORDER BY id",
            municipality,
        )
    return [_supporter(r) for r in rows]


async def get_supporter(conn: Conn, supporter_id: str) -> SupporterRecord | None:
    row = await conn.fetchrow(f"SELECT {_SUPPORTER_COLUMNS} FROM supporters WHERE id = $1", supporter_id)
    return _supporter(row) if row else None


async def load_candidates(conn: Conn, municipality: str) -> list[SupporterRecord]:
    """Active supporters serving ``municipality`` (full ones included: they decide wait or consult)."""
    rows = await conn.fetch(
        f"SELECT {_SUPPORTER_COLUMNS} FROM supporters WHERE active AND municipalities @> ARRAY[$1]::text[]",
        municipality,
    )
    return [_supporter(r) for r in rows]


async def load_organisations(conn: Conn) -> dict[str, Organisation]:
    """Every organisation by id (a region has tens of them)."""
    rows = await conn.fetch("SELECT id, name, decides_on_provisions FROM organisations")
    return {r["id"]: Organisation(r["id"], r["name"], r["decides_on_provisions"]) for r in rows}


# --- capacity -------------------------------------------------------------------------------------


async def book_capacity(conn: Conn, supporter_id: str) -> bool:
    """Take one place of the supporter's capacity; False when none is left (or they stopped).

    The row lock of the UPDATE makes concurrent bookings wait for each other and re-check the
    condition, so several matching instances can never overbook a supporter.
    """
    booked = await conn.fetchval(
        "UPDATE supporters SET active_cases = active_cases + 1"
        " WHERE id = $1 AND active AND active_cases < capacity RETURNING active_cases",
        supporter_id,
    )
    return booked is not None


# --- outcomes per question ------------------------------------------------------------------------


async def lock_question(conn: Conn, question_id: str) -> None:
    """Serialise work on one question across instances until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", _QUESTION_LOCK_SPACE, question_id)


async def question_outcome(conn: Conn, question_id: str) -> str | None:
    """``assigned``, ``waiting`` or ``consultation`` when the question was handled before, else None."""
    outcome: str | None = await conn.fetchval(
        "SELECT 'assigned' FROM assignments WHERE question_id = $1"
        " UNION ALL SELECT 'waiting' FROM waiting WHERE question_id = $1"
        " UNION ALL SELECT 'consultation' FROM consultations WHERE question_id = $1 LIMIT 1",
        question_id,
    )
    return outcome


async def insert_assignment(
    conn: Conn,
    assignment_id: str,
    question_id: str,
    supporter_id: str,
    score: float,
    reasons: list[Reason],
    assigned_at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO assignments (assignment_id, question_id, supporter_id, score, reasons, status, assigned_at)"
        " VALUES ($1, $2, $3, $4, $5::jsonb, 'assigned', $6)",
        assignment_id,
        question_id,
        supporter_id,
        score,
        _reasons_json(reasons),
        assigned_at,
    )


async def insert_waiting(conn: Conn, question_id: str, question: dict[str, Any], since: datetime) -> None:
    await conn.execute(
        "INSERT INTO waiting (question_id, question, since) VALUES ($1, $2::jsonb, $3)",
        question_id,
        json.dumps(question),
        since,
    )


async def insert_consultation(
    conn: Conn, question_id: str, reason: Reason, candidates: list[CandidateVerdict], required_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO consultations (question_id, reason, candidates, required_at)"
        " VALUES ($1, $2::jsonb, $3::jsonb, $4)",
        question_id,
        json.dumps(reason.model_dump()),
        json.dumps([c.model_dump() for c in candidates]),
        required_at,
    )


@dataclass(frozen=True)
class AssignmentView:
    assignment_id: str
    question_id: str
    supporter_id: str
    organisation: str
    supporter_kind: str
    score: float
    reasons: list[Reason]
    status: str
    assigned_at: datetime


async def get_assignment(conn: Conn, question_id: str) -> AssignmentView | None:
    row = await conn.fetchrow(
        "SELECT a.assignment_id, a.question_id, a.supporter_id, s.organisation, s.kind, a.score, a.reasons,"
        " a.status, a.assigned_at FROM assignments a JOIN supporters s ON s.id = a.supporter_id"
        " WHERE a.question_id = $1",
        question_id,
    )
    if row is None:
        return None
    return AssignmentView(
        assignment_id=row["assignment_id"],
        question_id=row["question_id"],
        supporter_id=row["supporter_id"],
        organisation=row["organisation"],
        supporter_kind=row["kind"],
        score=row["score"],
        reasons=[Reason.model_validate(r) for r in json.loads(row["reasons"])],
        status=row["status"],
        assigned_at=row["assigned_at"],
    )


def _reasons_json(reasons: list[Reason]) -> str:
    return json.dumps([r.model_dump() for r in reasons], ensure_ascii=False)
