"""The advice register's SQL. Every function runs on the caller's connection (and so in its transaction)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from services.kit.db import Conn

_COLUMNS = (
    "advice_id::text AS advice_id, council, municipality, subject, text, given_on, response_due, addressee,"
    " addressee_organisation, signal_ids, themes, life_domains, recorded_at, decision, decided_on, response,"
    " responded_on, answered_at"
)


@dataclass(frozen=True)
class NewAdvice:
    advice_id: uuid.UUID
    council: str
    municipality: str | None
    subject: str
    text: str
    given_on: date
    response_due: date
    addressee: str
    addressee_organisation: str | None
    signal_ids: list[uuid.UUID]
    themes: list[str]
    life_domains: list[str]
    recorded_at: datetime


async def insert(conn: Conn, a: NewAdvice) -> None:
    await conn.execute(
        "INSERT INTO council_advices (advice_id, council, municipality, subject, text, given_on, response_due,"
        " addressee, addressee_organisation, signal_ids, themes, life_domains, recorded_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        a.advice_id,
        a.council,
        a.municipality,
        a.subject,
        a.text,
        a.given_on,
        a.response_due,
        a.addressee,
        a.addressee_organisation,
        a.signal_ids,
        a.themes,
        a.life_domains,
        a.recorded_at,
    )


async def answer(
    conn: Conn,
    advice_id: uuid.UUID,
    decision: str,
    decided_on: date,
    response: str,
    responded_on: date,
    by: str,
    at: datetime,
) -> None:
    await conn.execute(
        "UPDATE council_advices SET decision = $2, decided_on = $3, response = $4, responded_on = $5,"
        " answered_by = $6, answered_at = $7 WHERE advice_id = $1",
        advice_id,
        decision,
        decided_on,
        response,
        responded_on,
        by,
        at,
    )


async def one(conn: Conn | asyncpg.Pool, advice_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM council_advices WHERE advice_id = $1{suffix}", advice_id)


async def of_council(conn: Conn | asyncpg.Pool, council: str, municipality: str | None) -> list[asyncpg.Record]:
    """A council's advices (of one municipality when the key has one), the newest first."""
    return await conn.fetch(
        f"SELECT {_COLUMNS} FROM council_advices WHERE council = $1"
        " AND ($2::text IS NULL OR municipality = $2) ORDER BY given_on DESC, recorded_at DESC LIMIT 500",
        council,
        municipality,
    )


async def of_municipality(conn: Conn | asyncpg.Pool, municipality: str | None) -> list[asyncpg.Record]:
    """Every advice of one municipality (None: every advice), for its desk; the newest first."""
    return await conn.fetch(
        f"SELECT {_COLUMNS} FROM council_advices WHERE ($1::text IS NULL OR municipality = $1)"
        " ORDER BY given_on DESC, recorded_at DESC LIMIT 500",
        municipality,
    )


async def signal_rows(conn: Conn, signal_ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT signal_id, municipality, level, raised_by_organisation FROM signals WHERE signal_id = ANY($1::uuid[])",
        signal_ids,
    )
