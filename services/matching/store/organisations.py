"""Organisations: who supports, who refers, and who decides on provisions (not independent)."""

from __future__ import annotations

from services.kit.db import Conn
from services.matching.domain.model import Organisation


async def upsert_organisation(conn: Conn, id: str, name: str, decides_on_provisions: bool) -> None:
    """Create or update an organisation."""
    await conn.execute(
        "INSERT INTO organisations (id, name, decides_on_provisions) VALUES ($1, $2, $3)"
        " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, decides_on_provisions = EXCLUDED.decides_on_provisions",
        id,
        name,
        decides_on_provisions,
    )


async def insert_organisation(conn: Conn, id: str, name: str, decides_on_provisions: bool) -> bool:
    """Create an organisation; False when the id is taken."""
    created = await conn.fetchval(
        "INSERT INTO organisations (id, name, decides_on_provisions) VALUES ($1, $2, $3)"
        " ON CONFLICT (id) DO NOTHING RETURNING 1",
        id,
        name,
        decides_on_provisions,
    )
    return created is not None


async def load_organisations(conn: Conn) -> dict[str, Organisation]:
    """Every organisation by id (a region has tens of them)."""
    rows = await conn.fetch("SELECT id, name, decides_on_provisions FROM organisations ORDER BY id")
    return {r["id"]: Organisation(r["id"], r["name"], r["decides_on_provisions"]) for r in rows}


async def organisation_coordinator(conn: Conn, id: str) -> tuple[str, str | None] | None:
    """``(display name, coordinator address or None)`` of an organisation; None when it is unknown."""
    row = await conn.fetchrow("SELECT name, coordinator_email FROM organisations WHERE id = $1", id)
    return (row["name"], row["coordinator_email"]) if row else None


async def set_coordinator_email(conn: Conn, id: str, email: str | None) -> bool:
    """Set (or, with None, clear) where escalations about the organisation go; False when it is unknown."""
    done = await conn.fetchval(
        "UPDATE organisations SET coordinator_email = $2 WHERE id = $1 RETURNING 1",
        id,
        email,
    )
    return done is not None
