"""What outlives a transaction on a pooled connection, and the pools' reset that clears only that.

asyncpg resets every connection a pool takes back (``CLOSE ALL; UNLISTEN *; RESET ALL;
pg_advisory_unlock_all()``): one more round trip, and work for PostgreSQL, per acquisition, so per
event handled and per request served. Nearly all work here is transaction-scoped
(``pg_advisory_xact_lock``, ``SET LOCAL``) and ends with its transaction, which needs no reset. So
the service pools (:func:`services.kit.db.create_pool`) reset a connection only when it holds
session state: a session advisory lock, a session setting, a LISTEN. Every such statement goes
through this module, which marks the connection; a unit test keeps raw session statements out of
the services. asyncpg still rolls back a transaction left open and drops listener callbacks on
every release, marked or not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import asyncpg

if TYPE_CHECKING:
    from services.kit.db import Conn


class SessionConnection(asyncpg.Connection):
    """A connection that knows whether it holds anything beyond its transactions."""

    holds_session_state = False

    def mark_session_state(self) -> None:
        self.holds_session_state = True


def mark(conn: Conn | Any) -> None:
    """Note that ``conn`` now holds session state, so its pool resets it when it comes back."""
    marker = getattr(conn, "mark_session_state", None)
    if marker is not None:  # a plain connection, not from a service pool: closed by its owner
        marker()


async def reset_if_needed(conn: asyncpg.Connection) -> None:
    """The pools' reset: the full reset for a connection that holds session state, else nothing."""
    if getattr(conn, "holds_session_state", True):
        await conn.reset()
        if isinstance(conn, SessionConnection):
            conn.holds_session_state = False


async def try_lock(conn: Conn, key: str) -> bool:
    """Take the session advisory lock ``key`` if nobody holds it; held until :func:`unlock` or the reset."""
    mark(conn)
    locked: bool = await conn.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", key)
    return locked


async def lock(conn: Conn, key: str, wait_seconds: float) -> bool:
    """Take the session advisory lock ``key``, waiting up to ``wait_seconds`` for another session
    to let go (the session's ``lock_timeout`` is reset with the connection); False when it did not."""
    mark(conn)
    await conn.execute("SELECT set_config('lock_timeout', $1, false)", f"{int(wait_seconds * 1000)}ms")
    try:
        await conn.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", key)
    except asyncpg.LockNotAvailableError:
        return False
    return True


async def unlock(conn: Conn, key: str) -> None:
    await conn.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", key)


async def listen(conn: Conn, channel: str, callback: Any) -> None:
    """LISTEN on ``channel``; the pool's reset UNLISTENs when the connection comes back."""
    mark(conn)
    await conn.add_listener(channel, callback)
