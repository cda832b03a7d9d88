"""Polls' SQL. Every function runs on the caller's connection (and so in its transaction)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import asyncpg

from services.kit.db import Conn

_COLUMNS = "poll_id::text AS poll_id, council, municipality, life_domain, title, questions, audience, created_at"


async def insert(
    conn: Conn,
    poll_id: uuid.UUID,
    council: str,
    municipality: str | None,
    life_domain: str,
    title: str,
    questions: list[dict[str, object]],
    audience: str,
    at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO council_polls (poll_id, council, municipality, life_domain, title, questions, audience,"
        " created_at) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)",
        poll_id,
        council,
        municipality,
        life_domain,
        title,
        json.dumps(questions),
        audience,
        at,
    )


def questions_of(row: asyncpg.Record) -> list[dict[str, object]]:
    raw = row["questions"]
    loaded: list[dict[str, object]] = json.loads(raw) if isinstance(raw, str) else raw
    return loaded


async def one(conn: Conn | asyncpg.Pool, poll_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM council_polls WHERE poll_id = $1", poll_id)


async def of_council(conn: Conn | asyncpg.Pool, council: str, municipality: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {_COLUMNS} FROM council_polls WHERE council = $1 AND ($2::text IS NULL OR municipality = $2)"
        " ORDER BY created_at DESC LIMIT 200",
        council,
        municipality,
    )


async def answers(conn: Conn | asyncpg.Pool, poll_id: uuid.UUID) -> list[list[int]]:
    rows = await conn.fetch("SELECT choices FROM poll_answers WHERE poll_id = $1", poll_id)
    return [list(r["choices"]) for r in rows]


async def answer(
    conn: Conn, poll_id: uuid.UUID, choices: list[int], invitation_id: uuid.UUID | None, at: datetime
) -> bool:
    """Store an answer; False when this invitation answered already (it counts once)."""
    done = await conn.fetchval(
        "INSERT INTO poll_answers (answer_id, poll_id, choices, invitation_id, answered_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (invitation_id) DO NOTHING RETURNING true",
        uuid.uuid4(),
        poll_id,
        choices,
        invitation_id,
        at,
    )
    return bool(done)


async def invitation(conn: Conn | asyncpg.Pool, invitation_id: uuid.UUID, poll_id: uuid.UUID) -> bool:
    """Whether this invitation (of a member still on the panel) is to this poll."""
    found = await conn.fetchval(
        "SELECT true FROM panel_invitations i JOIN panel_members m USING (question_id)"
        " WHERE i.invitation_id = $1 AND i.subject_kind = 'poll' AND i.subject_id = $2 AND m.withdrawn_at IS NULL",
        invitation_id,
        str(poll_id),
    )
    return bool(found)
