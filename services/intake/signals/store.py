"""The signal lifecycle's SQL. Every function runs on the caller's connection (and so in its transaction).

Texts arrive and leave sealed (``services/intake/vault.py``); opening them is the handler's job.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.intake.signals.domain import LIST_LIMIT, Reach, SignalFacts, SignalStatus
from services.kit.db import Conn

_COLUMNS = (
    "signal_id::text AS signal_id, theme, life_domain, municipality, level, raised_by, text, raised_at, status,"
    " acknowledged_at, answer, answered_at, raised_by_organisation"
)
#: The reach (domain.Reach.covers) in SQL: parameters $1..$5.
_REACH = (
    "($1 OR municipality = ANY($2::text[]) OR ($3 AND level = 'regional')"
    " OR (raised_by_organisation = $4 AND ($5::text IS NULL OR municipality = $5)))"
)
#: Optional filters: parameters $6..$9.
_FILTERS = (
    " AND ($6::text IS NULL OR theme = $6) AND ($7::text IS NULL OR status = $7)"
    " AND ($8::text IS NULL OR municipality = $8) AND ($9::text IS NULL OR level = $9)"
)


@dataclass(frozen=True)
class NewSignal:
    signal_id: str
    theme: str
    life_domain: str | None
    municipality: str
    level: str
    raised_by: str
    #: The text as stored: sealed with the master key ring, never plain.
    text: str
    raised_at: datetime
    raised_by_organisation: str | None = None
    status_token_sha256: str | None = None


@dataclass(frozen=True)
class Filters:
    theme: str | None = None
    status: SignalStatus | None = None
    municipality: str | None = None
    level: str | None = None


async def insert_signal(conn: Conn, s: NewSignal) -> None:
    await conn.execute(
        "INSERT INTO signals (signal_id, theme, life_domain, municipality, level, raised_by, text, raised_at,"
        " raised_by_organisation, status_token_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        s.signal_id,
        s.theme,
        s.life_domain,
        s.municipality,
        s.level,
        s.raised_by,
        s.text,
        s.raised_at,
        s.raised_by_organisation,
        s.status_token_sha256,
    )


def _reach_args(reach: Reach) -> tuple[object, ...]:
    return (
        reach.everything,
        sorted(reach.municipalities),
        reach.regional,
        reach.organisation,
        reach.organisation_municipality,
    )


def _filter_args(filters: Filters) -> tuple[object, ...]:
    return (filters.theme, filters.status, filters.municipality, filters.level)


async def visible(conn: Conn | asyncpg.Pool, reach: Reach, filters: Filters) -> list[asyncpg.Record]:
    """The newest signals within ``reach`` matching ``filters`` (at most LIST_LIMIT)."""
    return await conn.fetch(
        f"SELECT {_COLUMNS} FROM signals WHERE {_REACH}{_FILTERS} ORDER BY raised_at DESC, signal_id LIMIT $10",
        *_reach_args(reach),
        *_filter_args(filters),
        LIST_LIMIT,
    )


async def visible_facts(conn: Conn | asyncpg.Pool, reach: Reach, filters: Filters) -> list[SignalFacts]:
    """Every signal within ``reach`` matching ``filters``, without texts (for grouping)."""
    rows = await conn.fetch(
        "SELECT signal_id::text AS signal_id, theme, life_domain, municipality, level, status, raised_at"
        f" FROM signals WHERE {_REACH}{_FILTERS}",
        *_reach_args(reach),
        *_filter_args(filters),
    )
    return [SignalFacts(**dict(r)) for r in rows]


async def one(conn: Conn | asyncpg.Pool, signal_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
    """One signal (locked for this transaction when ``lock``), whoever may see it: the caller checks."""
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM signals WHERE signal_id = $1{suffix}", signal_id)


async def by_token(conn: Conn | asyncpg.Pool, digest: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM signals WHERE status_token_sha256 = $1", digest)


async def acknowledge(conn: Conn, signal_id: uuid.UUID, by: str, at: datetime) -> None:
    await conn.execute(
        "UPDATE signals SET status = 'acknowledged', acknowledged_at = $2, acknowledged_by = $3"
        " WHERE signal_id = $1 AND status = 'raised'",
        signal_id,
        at,
        by,
    )


async def answer(conn: Conn, signal_id: uuid.UUID, sealed_answer: str, by: str, at: datetime) -> None:
    """Store the (sealed) answer; acknowledges too when that had not happened yet."""
    await conn.execute(
        "UPDATE signals SET status = 'answered', answer = $2, answered_at = $3, answered_by = $4,"
        " acknowledged_at = COALESCE(acknowledged_at, $3), acknowledged_by = COALESCE(acknowledged_by, $4)"
        " WHERE signal_id = $1",
        signal_id,
        sealed_answer,
        at,
        by,
    )
