"""Which residents a privacy officer's key may handle: a key limited to a municipality handles only
residents with a question in that municipality; any other is answered as unknown (404), as if it
did not exist. A key without a municipality handles the whole region.
"""

from __future__ import annotations

import uuid

import asyncpg

from services.intake.audit import ref_digest
from services.kit.access import Principal
from services.kit.db import Conn


def parse_ref(resident_ref: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(resident_ref)
    except ValueError:
        return None


async def resident_in(conn: Conn | asyncpg.Pool, ref: uuid.UUID, municipality: str) -> bool:
    """Whether the resident has a question in ``municipality`` (False for an unknown or erased one)."""
    found = await conn.fetchval(
        "SELECT 1 FROM questions WHERE resident_ref = $1 AND municipality = $2 LIMIT 1", ref, municipality
    )
    return bool(found)


async def may_handle(conn: Conn | asyncpg.Pool, principal: Principal, resident_ref: str) -> bool:
    """Whether ``principal`` may erase, look up or export this (known) resident."""
    ref = parse_ref(resident_ref)
    if ref is None:
        return False
    if principal.municipality is None:
        return bool(await conn.fetchval("SELECT 1 FROM residents WHERE resident_ref = $1", ref))
    return await resident_in(conn, ref, principal.municipality)


async def may_read_audit(conn: Conn | asyncpg.Pool, principal: Principal, resident_ref: str) -> bool:
    """Whether ``principal`` may read this resident's audit entries: a resident of its municipality now,
    or one whose entries were written about it (an erased resident's, too). Any ref for the region."""
    if principal.municipality is None:
        return True
    if await may_handle(conn, principal, resident_ref):
        return True
    found = await conn.fetchval(
        "SELECT 1 FROM audit_log WHERE resident_ref = $1 AND $2 = ANY(municipalities) LIMIT 1",
        ref_digest(resident_ref),
        principal.municipality,
    )
    return bool(found)
