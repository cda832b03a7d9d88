"""The in-memory supporter pool against real PostgreSQL: it follows every profile change at once,
counts bookings, and never books a place the database does not have.

The handlers run directly on a connection (the kit's consumer would wrap them the same way), so
no broker is needed here; the end-to-end path is covered by the matching flow and capacity tests.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from contracts.events import QuestionReceived, Reason
from contracts.labels import END_REASON_TEXTS
from services.kit import db
from services.matching import handlers, store
from services.matching.domain import SupporterRecord
from services.matching.live import LivePool

pytestmark = pytest.mark.integration

SOURCE = "/samenloket/matching"


@pytest.fixture(scope="module")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    await db.migrate(database_url, "matching")
    pool = await db.create_pool(database_url, "matching", 4)
    async with pool.acquire() as conn:
        await store.upsert_organisation(conn, "mee", "MEE Plus", False)
    yield pool
    await pool.close()


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def supporter(municipality: str, **changes: Any) -> SupporterRecord:
    fields: dict[str, Any] = {
        "id": uid("s"),
        "name": "Anna de Wit",
        "email": "anna@mee.example",
        "kind": "professional",
        "organisation": "mee",
        "municipalities": [municipality],
        "life_domains": ["wmo"],
        "languages": ["nl"],
        "capacity": 2,
        "postcode": "3311",
    }
    fields.update(changes)
    return SupporterRecord(**fields)


def question(municipality: str, **changes: Any) -> QuestionReceived:
    fields: dict[str, Any] = {
        "question_id": uid("q"),
        "resident_ref": uid("r"),
        "municipality": municipality,
        "life_domains": ["wmo"],
        "preferred_supporter_kind": "any",
        "languages": ["nl"],
        "postcode": "3311",
        "channel": "web",
        "received_at": datetime.now(UTC),
    }
    fields.update(changes)
    return QuestionReceived(**fields)


async def match(pool: asyncpg.Pool, live: LivePool, received: QuestionReceived) -> tuple[str | None, str | None]:
    """Match in one transaction, as the consumer does; return (outcome, supporter id)."""
    async with pool.acquire() as conn, conn.transaction():
        await handlers.match_question(conn, received, SOURCE, live=live)
    async with pool.acquire() as conn:
        assignment = await store.get_assignment(conn, received.question_id)
        return await store.question_outcome(conn, received.question_id), assignment.supporter_id if assignment else None


async def cases(pool: asyncpg.Pool, supporter_id: str) -> int:
    value: int = await pool.fetchval("SELECT active_cases FROM supporters WHERE id = $1", supporter_id)
    return value


async def test_memory_follows_profile_changes_and_counts_bookings(pool: asyncpg.Pool) -> None:
    municipality = "GM0505"
    language = uuid.uuid4().hex[:3]  # only this test's supporters speak it
    first = supporter(municipality, id=uid("live-a"), languages=["nl", language])
    second = supporter(municipality, id=uid("live-b"), languages=["nl", language], postcode="9999")
    async with pool.acquire() as conn:
        for s in (first, second):
            await store.upsert_supporter(conn, s)
    live = LivePool()

    # The nearer supporter gets the first question, from memory; the booking shows in the index.
    outcome, chosen = await match(pool, live, question(municipality, languages=[language]))
    assert (outcome, chosen) == ("assigned", first.id)
    assert live.index is not None and live.index.supporter(first.id).active_cases == 1 == await cases(pool, first.id)
    rebuilds, version = live.rebuilds, live.version
    async with pool.acquire() as conn:
        assert await store.pool_version(conn) == version, "a booking is not a profile change"

    # A profile change made elsewhere (here: the first supporter stops speaking the language) is
    # seen by the very next decision, without waiting for an event.
    async with pool.acquire() as conn:
        await store.update_supporter(conn, first.id, {"languages": ["nl"]})
        assert await store.pool_version(conn) > (version or 0)
    outcome, chosen = await match(pool, live, question(municipality, languages=[language]))
    assert (outcome, chosen) == ("assigned", second.id)
    assert live.rebuilds == rebuilds + 1

    # The index thinks the second supporter has room, but another instance took it meanwhile:
    # the database guard refuses the booking and the question waits instead of overbooking.
    await pool.execute("UPDATE supporters SET active_cases = capacity WHERE id = $1", second.id)
    assert live.index is not None and live.index.supporter(second.id).active_cases == 1
    outcome, chosen = await match(pool, live, question(municipality, languages=[language]))
    assert (outcome, chosen) == ("waiting", None)
    assert await cases(pool, second.id) == second.capacity
    assert live.index.supporter(second.id).active_cases == second.capacity, "fresh rows corrected the count"


async def test_freed_place_shows_in_memory_and_a_deactivated_supporter_gets_nothing(pool: asyncpg.Pool) -> None:
    municipality = "GM0482"
    language = uuid.uuid4().hex[:3]
    only = supporter(municipality, id=uid("live-c"), languages=["nl", language], capacity=1)
    async with pool.acquire() as conn:
        await store.upsert_supporter(conn, only)
    live = LivePool()
    received = question(municipality, languages=[language])
    assert await match(pool, live, received) == ("assigned", only.id)

    # Support ends in this process: the place is free again in memory too, so the next question
    # is assigned from memory, and the SQL guard agrees.
    async with pool.acquire() as conn, conn.transaction():
        reason = Reason(code="completed", text=END_REASON_TEXTS["completed"])
        await handlers.end(conn, received.question_id, reason, SOURCE)
    assert live.index is not None and live.index.supporter(only.id).active_cases == 0
    assert await match(pool, live, question(municipality, languages=[language])) == ("assigned", only.id)

    # Stopped: the trigger moves the version, the index is rebuilt, and nobody is left to wait for.
    async with pool.acquire() as conn:
        await store.update_supporter(conn, only.id, {"active": False})
    outcome, chosen = await match(pool, live, question(municipality, languages=[language]))
    assert chosen is None and outcome == "consultation"
