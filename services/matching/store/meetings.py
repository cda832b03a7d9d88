"""The conversation of the joint consultation with the resident: when planned, when held, and the
resident's own view (a short note that never leaves matching)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.kit.db import Conn


@dataclass(frozen=True)
class Meeting:
    question_id: str
    municipality: str
    planned_for: datetime | None
    planned_by: str | None
    planned_at: datetime | None
    held_at: datetime | None
    held_by: str | None
    resident_view: str | None
    view_by: str | None
    view_at: datetime | None


_COLUMNS = (
    "question_id, municipality, planned_for, planned_by, planned_at, held_at, held_by, resident_view, view_by, view_at"
)


def _meeting(row: asyncpg.Record | None) -> Meeting:
    assert row is not None, "an upsert returns its row"
    return Meeting(**dict(row))


async def get_meeting(conn: Conn | asyncpg.Pool, question_id: str) -> Meeting | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM consultation_meetings WHERE question_id = $1", question_id)
    return _meeting(row) if row else None


async def meetings_of(conn: Conn | asyncpg.Pool, question_ids: Sequence[str]) -> dict[str, Meeting]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM consultation_meetings WHERE question_id = ANY($1::text[])", list(question_ids)
    )
    return {r["question_id"]: _meeting(r) for r in rows}


async def plan_meeting(
    conn: Conn, question_id: str, municipality: str, planned_for: datetime, by: str, at: datetime
) -> Meeting:
    """Plan (or plan again) the conversation; planning again starts over: it is not held yet."""
    row = await conn.fetchrow(
        "INSERT INTO consultation_meetings (question_id, municipality, planned_for, planned_by, planned_at)"
        " VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (question_id) DO UPDATE SET planned_for = EXCLUDED.planned_for,"
        " planned_by = EXCLUDED.planned_by, planned_at = EXCLUDED.planned_at, held_at = NULL, held_by = NULL"
        f" RETURNING {_COLUMNS}",
        question_id,
        municipality,
        planned_for,
        by,
        at,
    )
    return _meeting(row)


async def mark_held(conn: Conn, question_id: str, by: str, at: datetime) -> Meeting | None:
    """Record that the planned conversation took place; None when none was planned (or it was held already)."""
    row = await conn.fetchrow(
        "UPDATE consultation_meetings SET held_at = $3, held_by = $2"
        f" WHERE question_id = $1 AND planned_for IS NOT NULL AND held_at IS NULL RETURNING {_COLUMNS}",
        question_id,
        by,
        at,
    )
    return _meeting(row) if row else None


async def save_view(conn: Conn, question_id: str, municipality: str, view: str, by: str, at: datetime) -> Meeting:
    """Keep the resident's own view (replacing an earlier note)."""
    row = await conn.fetchrow(
        "INSERT INTO consultation_meetings (question_id, municipality, resident_view, view_by, view_at)"
        " VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (question_id) DO UPDATE SET resident_view = EXCLUDED.resident_view,"
        " view_by = EXCLUDED.view_by, view_at = EXCLUDED.view_at"
        f" RETURNING {_COLUMNS}",
        question_id,
        municipality,
        view,
        by,
        at,
    )
    return _meeting(row)


async def forget_views(conn: Conn, question_ids: Sequence[str]) -> int:
    """The question ended or its resident was erased: the note in their own words goes."""
    result: str = await conn.execute(
        "UPDATE consultation_meetings SET resident_view = NULL, view_by = NULL, view_at = NULL"
        " WHERE question_id = ANY($1::text[]) AND resident_view IS NOT NULL",
        list(question_ids),
    )
    return int(result.rsplit(" ", 1)[-1])
