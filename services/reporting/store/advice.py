"""Councils' advices of a report: given or answered in the period, in the area (a municipality's report
also lists the region's advices). Read in the caller's snapshot."""

from __future__ import annotations

from datetime import date

import asyncpg

from services.kit.db import Conn

_SQL = (
    "SELECT advice_id, council, municipality, addressee, addressee_organisation, given_on, response_due, themes,"
    " life_domains, signal_count, decision, decided_on, responded_on FROM advice_facts"
    " WHERE given_on IS NOT NULL AND ($1::text IS NULL OR municipality = $1 OR municipality IS NULL)"
    " AND ((given_on BETWEEN $2 AND $3) OR (responded_on BETWEEN $2 AND $3))"
    " ORDER BY given_on, advice_id LIMIT 500"
)


async def advices_of(
    conn: Conn | asyncpg.Pool, area: str | None, first_day: date, last_day: date
) -> list[asyncpg.Record]:
    return await conn.fetch(_SQL, area, first_day, last_day)
