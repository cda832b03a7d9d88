"""A supporter's own cases, as their pages show them, and the first contact they record (all the SQL).

A case is the supporter's latest assignment of one question, with the question as matching received
it (no personal data: that stays in intake) and how the assignment ended, if it did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from services.kit.db import Conn

#: Closed cases shown on the list: the most recent ones (open cases are always all shown).
CLOSED_SHOWN = 30

_CASE_SELECT = (
    "SELECT a.assignment_id, a.question_id, a.supporter_id, s.organisation, a.status, a.role, a.partner_id,"
    " a.assigned_at, a.accepted_at, a.closed_at, a.close_reason, a.first_contact_on, a.first_contact_method,"
    " a.first_contact_recorded_at, coalesce(a.municipality, q.municipality) AS municipality, q.question,"
    " d.declined_by"
    " FROM assignments a JOIN supporters s ON s.id = a.supporter_id"
    " LEFT JOIN questions q ON q.question_id = a.question_id"
    " LEFT JOIN declines d ON d.assignment_id = a.assignment_id"
)


@dataclass(frozen=True)
class CaseRow:
    """One supporter's assignment of one question, with the question's facts (a QuestionReceived payload)."""

    assignment_id: str
    question_id: str
    supporter_id: str
    organisation: str
    status: str
    role: str
    partner_id: str | None
    assigned_at: datetime
    accepted_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None
    first_contact_on: date | None
    first_contact_method: str | None
    first_contact_recorded_at: datetime | None
    municipality: str | None
    question: dict[str, Any] | None
    declined_by: str | None

    @property
    def open(self) -> bool:
        return self.status in ("assigned", "accepted")


def _case(row: asyncpg.Record) -> CaseRow:
    values = dict(row)
    values["question"] = json.loads(values["question"]) if values["question"] is not None else None
    return CaseRow(**values)


async def cases_of(conn: Conn, supporter_id: str) -> list[CaseRow]:
    """The supporter's cases, newest first: every open one, and the latest closed ones."""
    rows = await conn.fetch(
        f"SELECT * FROM ({_CASE_SELECT} WHERE a.supporter_id = $1 AND a.status IN ('assigned', 'accepted')) o"
        f" UNION ALL SELECT * FROM ({_CASE_SELECT} WHERE a.supporter_id = $1"
        "  AND a.status NOT IN ('assigned', 'accepted') ORDER BY a.assigned_at DESC LIMIT $2) c"
        " ORDER BY assigned_at DESC",
        supporter_id,
        CLOSED_SHOWN,
    )
    return [_case(r) for r in rows]


async def case_of(conn: Conn, supporter_id: str, question_id: str) -> CaseRow | None:
    """The supporter's latest assignment of the question; None when they never had it."""
    row = await conn.fetchrow(
        f"{_CASE_SELECT} WHERE a.supporter_id = $1 AND a.question_id = $2"
        " ORDER BY a.status IN ('assigned', 'accepted') DESC, a.assigned_at DESC LIMIT 1",
        supporter_id,
        question_id,
    )
    return _case(row) if row else None


async def record_first_contact(
    conn: Conn, assignment_id: str, reached_on: date, method: str, recorded_at: datetime
) -> bool:
    """Store the first contact on an accepted assignment; False when it was recorded already (or not open)."""
    result: str = await conn.execute(
        "UPDATE assignments SET first_contact_on = $2, first_contact_method = $3, first_contact_recorded_at = $4"
        " WHERE assignment_id = $1 AND status = 'accepted' AND first_contact_recorded_at IS NULL",
        assignment_id,
        reached_on,
        method,
        recorded_at,
    )
    return result.endswith(" 1")


async def first_contact_of(conn: Conn, assignment_id: str) -> tuple[date, str, datetime] | None:
    """The first contact recorded on an assignment: (day, method, recorded at), or None."""
    row = await conn.fetchrow(
        "SELECT first_contact_on, first_contact_method, first_contact_recorded_at FROM assignments"
        " WHERE assignment_id = $1 AND first_contact_recorded_at IS NOT NULL",
        assignment_id,
    )
    return (row[0], row[1], row[2]) if row else None


async def supporter_names(conn: Conn, supporter_ids: list[str]) -> dict[str, tuple[str, str]]:
    """(name, organisation id) of each supporter (a duo's other member, shown by name)."""
    rows = await conn.fetch("SELECT id, name, organisation FROM supporters WHERE id = ANY($1::text[])", supporter_ids)
    return {r["id"]: (r["name"], r["organisation"]) for r in rows}
