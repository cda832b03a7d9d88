"""Advisory locks that serialise work across matching instances (held until the transaction ends)."""

from __future__ import annotations

import zlib

from services.kit.db import Conn

#: First key of the two-key advisory locks that serialise work on one question.
_QUESTION_LOCK_SPACE = zlib.crc32(b"samenloket-matching-question") & 0x7FFFFFFF
#: The one-key advisory lock held by whoever runs the waiting-list pass (or frees capacity).
_WAITING_PASS_LOCK = zlib.crc32(b"samenloket-matching-waiting-pass")


async def lock_question(conn: Conn, question_id: str) -> None:
    """Serialise work on one question across instances until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", _QUESTION_LOCK_SPACE, question_id)


async def lock_waiting_pass(conn: Conn) -> None:
    """Serialise the waiting-list pass (and whatever frees capacity) across instances.

    Blocking, not try-lock: a second pass must wait and then see the places the first one's
    transaction freed, or a freed place could stay unused until the next trigger.
    """
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _WAITING_PASS_LOCK)
