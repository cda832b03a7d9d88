"""Service pools reset a connection they take back only when it holds session state.

The reset (``CLOSE ALL; UNLISTEN *; RESET ALL; pg_advisory_unlock_all()``) is a round trip per
acquisition; transaction-scoped work needs none of it. What holds session state goes through
:mod:`services.kit.session_state`, which marks the connection, and then the pool does reset it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.kit import db, session_state

pytestmark = pytest.mark.integration

PROBE = "SELECT current_setting('samenloket.probe', true)"


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    one = await db.create_pool(database_url, "public", max_size=1)  # one connection: the same comes back
    try:
        yield one
    finally:
        await one.close()


async def test_a_connection_without_session_state_comes_back_without_a_reset(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        pid = await conn.fetchval("SELECT pg_backend_pid()")
        await conn.execute("SELECT set_config('samenloket.probe', 'kept', false)")  # unmarked, on purpose
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT pg_backend_pid()") == pid
        assert await conn.fetchval(PROBE) == "kept", "no reset ran: the setting outlived the release"


async def test_a_session_lock_is_released_with_the_connection(pool: asyncpg.Pool, database_url: str) -> None:
    other = await asyncpg.connect(database_url)
    try:
        async with pool.acquire() as conn:
            await conn.execute("SELECT set_config('samenloket.probe', 'gone', false)")
            assert await session_state.try_lock(conn, "probe/lock")
            assert not await session_state.try_lock(other, "probe/lock"), "held by the pooled connection"
        # Back in the pool without an unlock: the reset released the lock and the setting.
        assert await session_state.try_lock(other, "probe/lock")
        await session_state.unlock(other, "probe/lock")
        async with pool.acquire() as conn:
            assert await conn.fetchval(PROBE) in (None, "")
            await conn.execute("SELECT set_config('samenloket.probe', 'kept', false)")
        async with pool.acquire() as conn:
            assert await conn.fetchval(PROBE) == "kept", "marked once: reset once, not for ever after"
    finally:
        await other.close()


async def test_a_lock_waited_for_gives_up_after_its_time(pool: asyncpg.Pool, database_url: str) -> None:
    other = await asyncpg.connect(database_url)
    try:
        assert await session_state.try_lock(other, "probe/wait")
        async with pool.acquire() as conn:
            assert not await session_state.lock(conn, "probe/wait", 0.05)
        await session_state.unlock(other, "probe/wait")
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT current_setting('lock_timeout')") == "0", "reset with the connection"
            assert await session_state.lock(conn, "probe/wait", 0.05)
        assert await session_state.try_lock(other, "probe/wait"), "released with the connection"
    finally:
        await other.close()


@pytest.mark.filterwarnings("ignore:.*active notification listener")
async def test_a_listen_is_undone_with_the_connection(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await session_state.listen(conn, "samenloket_probe", lambda *_: None)
        assert await conn.fetchval("SELECT count(*) FROM pg_listening_channels()") == 1
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM pg_listening_channels()") == 0
