"""Look for personal data where it must not be: every row of every table of every schema."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import asyncpg

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


@dataclass(frozen=True)
class Hit:
    schema: str
    table: str
    needle: str
    row: str


def _forms(needle: str) -> list[str]:
    """How ``needle`` may show in a row cast to text: as text, or hex-encoded inside a bytea."""
    return [needle.lower(), needle.encode().hex()]


async def find_anywhere(database_url: str, needles: Iterable[str]) -> list[Hit]:
    """Every row (cast to text, any case) of every user table that contains one of ``needles``."""
    wanted = [n for n in needles if n]
    conn = await asyncpg.connect(database_url)
    try:
        tables = await conn.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_type = 'BASE TABLE' AND table_schema <> ALL($1::text[])"
            " ORDER BY table_schema, table_name",
            list(SYSTEM_SCHEMAS),
        )
        hits: list[Hit] = []
        for t in tables:
            rows = await conn.fetch(f'SELECT lower(x::text) AS row FROM "{t["table_schema"]}"."{t["table_name"]}" x')
            for row in rows:
                hits += [
                    Hit(t["table_schema"], t["table_name"], n, row["row"])
                    for n in wanted
                    if any(form in row["row"] for form in _forms(n))
                ]
        return hits
    finally:
        await conn.close()


async def schemas_scanned(database_url: str) -> set[str]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT DISTINCT table_schema FROM information_schema.tables"
            " WHERE table_type = 'BASE TABLE' AND table_schema <> ALL($1::text[])",
            list(SYSTEM_SCHEMAS),
        )
        return {r["table_schema"] for r in rows}
    finally:
        await conn.close()
