"""The panel's SQL. Every function runs on the caller's connection (and so in its transaction)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from services.kit.db import Conn


async def join(
    conn: Conn, question_id: uuid.UUID, municipality: str, life_domains: list[str], version: str, at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO panel_members (question_id, municipality, life_domains, consent_version, consented_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (question_id) DO UPDATE SET life_domains = EXCLUDED.life_domains,"
        " consent_version = EXCLUDED.consent_version, consented_at = EXCLUDED.consented_at, withdrawn_at = NULL",
        question_id,
        municipality,
        life_domains,
        version,
        at,
    )


async def withdraw(conn: Conn, question_id: uuid.UUID, at: datetime) -> None:
    await conn.execute(
        "UPDATE panel_members SET withdrawn_at = $2 WHERE question_id = $1 AND withdrawn_at IS NULL", question_id, at
    )


async def membership(conn: Conn | asyncpg.Pool, question_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT life_domains, consented_at FROM panel_members WHERE question_id = $1 AND withdrawn_at IS NULL",
        question_id,
    )


async def members_in(conn: Conn | asyncpg.Pool, municipality: str | None) -> list[asyncpg.Record]:
    """Active members of one municipality (None: the region), with their questions (never a contact)."""
    return await conn.fetch(
        "SELECT m.question_id, m.municipality, m.life_domains FROM panel_members m JOIN questions q USING (question_id)"
        " WHERE m.withdrawn_at IS NULL AND q.resident_ref IS NOT NULL AND ($1::text IS NULL OR m.municipality = $1)",
        municipality,
    )


async def invite(
    conn: Conn, invitation_id: uuid.UUID, question_id: uuid.UUID, council: str, kind: str, subject_id: str, at: datetime
) -> bool:
    """Record the invitation; False when this member was invited to this meeting or poll already."""
    done = await conn.fetchval(
        "INSERT INTO panel_invitations (invitation_id, question_id, council, subject_kind, subject_id, invited_at)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (question_id, subject_kind, subject_id) DO NOTHING"
        " RETURNING true",
        invitation_id,
        question_id,
        council,
        kind,
        subject_id,
        at,
    )
    return bool(done)


async def forget(conn: Conn, question_ids: list[uuid.UUID]) -> None:
    """An erased resident leaves the panel, with their invitations."""
    await conn.execute("DELETE FROM panel_members WHERE question_id = ANY($1::uuid[])", question_ids)


async def supported_by_domain(conn: Conn | asyncpg.Pool, municipality: str | None) -> list[asyncpg.Record]:
    """Residents (not erased) with a question on each life domain in the last year, in the area."""
    return await conn.fetch(
        "SELECT d, count(DISTINCT resident_ref) AS n FROM questions, unnest(life_domains) AS d"
        " WHERE resident_ref IS NOT NULL AND received_at > now() - interval '1 year'"
        " AND ($1::text IS NULL OR municipality = $1) GROUP BY d",
        municipality,
    )
