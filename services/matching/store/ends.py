"""Questions that ended in intake (withdrawn or closed): never matched again."""

from __future__ import annotations

from datetime import datetime

from services.kit.db import Conn


async def record_end(conn: Conn, question_id: str, ended: str, reason_code: str | None, at: datetime) -> bool:
    """Remember that the question ended; False when it was known to have ended already."""
    added = await conn.fetchval(
        "INSERT INTO question_ends (question_id, ended, reason_code, ended_at) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (question_id) DO NOTHING RETURNING 1",
        question_id,
        ended,
        reason_code,
        at,
    )
    return added is not None


async def has_ended(conn: Conn, question_id: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM question_ends WHERE question_id = $1", question_id))
