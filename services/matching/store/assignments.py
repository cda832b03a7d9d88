"""Assignments: a supporter (or a duo's two) offered a question, accepted, declined or ended."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from contracts.events import Reason
from services.kit.db import Conn


async def insert_assignment(
    conn: Conn,
    assignment_id: str,
    question_id: str,
    supporter_id: str,
    score: float,
    reasons: list[Reason],
    assigned_at: datetime,
    *,
    municipality: str | None = None,
    role: str = "lead",
    partner_id: str | None = None,
    override_by: str | None = None,
    override_reason: str | None = None,
) -> None:
    """Record an assignment; ``role`` is ``lead`` (a single supporter, or a duo's professional) or
    ``partner`` (a duo's volunteer or experience expert), ``partner_id`` the duo's other member."""
    await conn.execute(
        "INSERT INTO assignments (assignment_id, question_id, supporter_id, score, reasons, status, assigned_at,"
        " municipality, role, partner_id, override_by, override_reason)"
        " VALUES ($1, $2, $3, $4, $5::jsonb, 'assigned', $6, $7, $8, $9, $10, $11)",
        assignment_id,
        question_id,
        supporter_id,
        score,
        _reasons_json(reasons),
        assigned_at,
        municipality,
        role,
        partner_id,
        override_by,
        override_reason,
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
    municipality: str | None = None
    accepted_at: datetime | None = None
    closed_at: datetime | None = None
    override_reason: str | None = None
    role: str = "lead"
    partner_id: str | None = None


_ASSIGNMENT_SELECT = (
    "SELECT a.assignment_id, a.question_id, a.supporter_id, s.organisation, s.kind, a.score, a.reasons,"
    " a.status, a.assigned_at, coalesce(a.municipality, q.municipality) AS municipality, a.accepted_at,"
    " a.closed_at, a.override_reason, a.role, a.partner_id"
    " FROM assignments a JOIN supporters s ON s.id = a.supporter_id"
    " LEFT JOIN questions q ON q.question_id = a.question_id"
)


def _assignment(row: asyncpg.Record) -> AssignmentView:
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
        municipality=row["municipality"],
        accepted_at=row["accepted_at"],
        closed_at=row["closed_at"],
        override_reason=row["override_reason"],
        role=row["role"],
        partner_id=row["partner_id"],
    )


async def get_assignment(conn: Conn, question_id: str) -> AssignmentView | None:
    """The question's open assignment (a duo's lead), else its latest closed one."""
    row = await conn.fetchrow(
        f"{_ASSIGNMENT_SELECT} WHERE a.question_id = $1"
        " ORDER BY a.status IN ('assigned', 'accepted') DESC, a.assigned_at DESC, a.role LIMIT 1",
        question_id,
    )
    return _assignment(row) if row else None


async def open_assignments(conn: Conn, question_id: str) -> list[AssignmentView]:
    """The question's open assignments (one, or a duo's two: lead first), locked for this transaction."""
    rows = await conn.fetch(
        f"{_ASSIGNMENT_SELECT} WHERE a.question_id = $1 AND a.status IN ('assigned', 'accepted')"
        " ORDER BY a.role FOR UPDATE OF a",
        question_id,
    )
    return [_assignment(r) for r in rows]


async def accept_assignment(conn: Conn, assignment_id: str, at: datetime) -> None:
    await conn.execute(
        "UPDATE assignments SET status = 'accepted', accepted_at = $2 WHERE assignment_id = $1 AND status = 'assigned'",
        assignment_id,
        at,
    )


async def close_assignment(conn: Conn, assignment_id: str, status: str, at: datetime, reason_code: str) -> None:
    """Mark an open assignment ``declined`` or ``ended``."""
    assert status in ("declined", "ended")
    await conn.execute(
        "UPDATE assignments SET status = $2, closed_at = $3, close_reason = $4"
        " WHERE assignment_id = $1 AND status IN ('assigned', 'accepted')",
        assignment_id,
        status,
        at,
        reason_code,
    )


async def open_cases(conn: Conn, supporter_id: str) -> list[AssignmentView]:
    """The supporter's open assignments, oldest first."""
    rows = await conn.fetch(
        f"{_ASSIGNMENT_SELECT} WHERE a.supporter_id = $1 AND a.status IN ('assigned', 'accepted')"
        " ORDER BY a.assigned_at",
        supporter_id,
    )
    return [_assignment(r) for r in rows]


def _reasons_json(reasons: list[Reason]) -> str:
    return json.dumps([r.model_dump() for r in reasons], ensure_ascii=False)


@dataclass(frozen=True)
class SupporterOfQuestion:
    """Who supports a question, by display name (what the resident's page shows)."""

    name: str
    organisation_name: str
    kind: str
    status: str
    assigned_at: datetime


async def open_supporters(conn: Conn | asyncpg.Pool, question_id: str) -> list[SupporterOfQuestion]:
    """The supporters of the question's open assignments (a duo's two, lead first)."""
    rows = await conn.fetch(
        "SELECT s.name, coalesce(o.name, s.organisation) AS organisation_name, s.kind, a.status, a.assigned_at"
        " FROM assignments a JOIN supporters s ON s.id = a.supporter_id"
        " LEFT JOIN organisations o ON o.id = s.organisation"
        " WHERE a.question_id = $1 AND a.status IN ('assigned', 'accepted') ORDER BY a.role",
        question_id,
    )
    return [SupporterOfQuestion(**dict(r)) for r in rows]
