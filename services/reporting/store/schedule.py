"""The schedule of ``StatisticsPublished``: one row, locked by the instance whose turn it is."""

from __future__ import annotations

from datetime import datetime

from services.kit.db import Conn

_ENSURE = "INSERT INTO statistics_schedule (id, last_published_at) VALUES (1, NULL) ON CONFLICT DO NOTHING"
_LOCK = "SELECT last_published_at FROM statistics_schedule WHERE id = 1 FOR UPDATE"
_MARK = "UPDATE statistics_schedule SET last_published_at = $1 WHERE id = 1"


async def lock_last_published(conn: Conn) -> datetime | None:
    """Lock the schedule row until the transaction ends; when statistics last went out (None: never)."""
    await conn.execute(_ENSURE)
    last: datetime | None = await conn.fetchval(_LOCK)
    return last


async def mark_published(conn: Conn, at: datetime) -> None:
    await conn.execute(_MARK, at)
