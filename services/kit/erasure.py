"""What every service shares to honour an erasure (ResidentErasureRequested on samenloket.privacy).

A service erases what it holds about the resident and then remembers, by a one-way digest only,
that the ref was erased (table ``erased_residents``, created in every service schema by the kit's
migrations), so an event of that resident arriving later (redelivered, replayed, or simply slower
than the erasure) is stored without the ref or not acted on at all. Then it publishes
``ResidentErased(service=…)`` through its outbox, in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from contracts.events import ResidentErased
from services.kit.crypto import digest
from services.kit.db import Conn
from services.kit.outbox import publish

#: What replaces an erased resident_ref in stored events (still a valid, meaningless string).
TOMBSTONE: Final = "erased"
DIGEST_KIND: Final = "erased-resident"


def resident_digest(resident_ref: str) -> str:
    return digest(DIGEST_KIND, resident_ref)


async def remember(conn: Conn, resident_ref: str) -> None:
    await conn.execute(
        "INSERT INTO erased_residents (resident_digest) VALUES ($1) ON CONFLICT DO NOTHING",
        resident_digest(resident_ref),
    )


async def is_erased(conn: Conn, resident_ref: str | None) -> bool:
    if not resident_ref or resident_ref == TOMBSTONE:
        return False
    found = await conn.fetchval(
        "SELECT 1 FROM erased_residents WHERE resident_digest = $1", resident_digest(resident_ref)
    )
    return bool(found)


async def confirm(conn: Conn, resident_ref: str, service: str, source: str) -> None:
    """Remember the erasure and announce ``ResidentErased(service=…)``, in the caller's transaction."""
    await remember(conn, resident_ref)
    await publish(conn, ResidentErased(resident_ref=resident_ref, service=service, erased_at=datetime.now(UTC)), source)
