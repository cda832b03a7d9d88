"""Council meetings' SQL. Every function runs on the caller's connection (and so in its transaction)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from contracts.events import Participant
from services.kit.db import Conn

_COLUMNS = (
    "meeting_id::text AS meeting_id, council, municipality, planned_for, themes, invited_organisations,"
    " planned_at, held_on, participants, recorded_at, co_organisers, outcomes, follow_up"
)


@dataclass(frozen=True)
class NewMeeting:
    meeting_id: str
    council: str
    municipality: str | None
    planned_for: date
    themes: list[str]
    invited_organisations: list[str]
    planned_at: datetime
    co_organisers: tuple[str, ...] = ()


async def insert_meeting(conn: Conn, m: NewMeeting) -> None:
    await conn.execute(
        "INSERT INTO council_meetings (meeting_id, council, municipality, planned_for, themes,"
        " invited_organisations, planned_at, co_organisers) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        m.meeting_id,
        m.council,
        m.municipality,
        m.planned_for,
        m.themes,
        m.invited_organisations,
        m.planned_at,
        list(m.co_organisers),
    )


async def meetings_of(conn: Conn | asyncpg.Pool, council: str, municipality: str | None) -> list[asyncpg.Record]:
    """The meetings a council organises, alone or together (of one municipality when given), the next first."""
    return await conn.fetch(
        f"SELECT {_COLUMNS} FROM council_meetings WHERE (council = $1 OR $1 = ANY(co_organisers))"
        " AND ($2::text IS NULL OR municipality = $2)"
        " ORDER BY planned_for, planned_at",
        council,
        municipality,
    )


async def one(conn: Conn | asyncpg.Pool, meeting_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM council_meetings WHERE meeting_id = $1{suffix}", meeting_id)


async def record_participants(
    conn: Conn, meeting_id: uuid.UUID, held_on: date, participants: list[Participant], at: datetime
) -> None:
    """Store who took part, replacing an earlier record."""
    await conn.execute(
        "UPDATE council_meetings SET held_on = $2, participants = $3::jsonb, recorded_at = $4 WHERE meeting_id = $1",
        meeting_id,
        held_on,
        json.dumps([p.model_dump(mode="json") for p in participants]),
        at,
    )


def participants_of(row: asyncpg.Record) -> list[Participant] | None:
    raw = row["participants"]
    if raw is None:
        return None
    return [Participant.model_validate(p) for p in json.loads(raw)]


async def record_outcome(conn: Conn, meeting_id: uuid.UUID, outcomes: str, follow_up: list[str]) -> None:
    await conn.execute(
        "UPDATE council_meetings SET outcomes = $2, follow_up = $3 WHERE meeting_id = $1",
        meeting_id,
        outcomes,
        follow_up,
    )
