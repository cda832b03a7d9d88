"""The reporting store on real PostgreSQL: concurrent changes to one question converge."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from contracts.events import QuestionReceived, QuestionWaiting, SupporterAssigned
from services.kit import db
from services.reporting import domain
from services.reporting.store import projections

pytestmark = pytest.mark.integration

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    await db.migrate(database_url, "reporting")
    pool = await db.create_pool(database_url, "reporting", max_size=8)
    yield pool
    await pool.close()


def changes(qid: str) -> list[domain.QuestionChange]:
    events = [
        QuestionReceived(
            question_id=qid,
            resident_ref="r-1",
            municipality="GM0590",
            life_domains=["wmo", "debts"],
            preferred_supporter_kind="volunteer",
            languages=["nl", "ar"],
            postcode="3351",
            channel="partner",
            referrer="huisarts-west",
            received_at=T0,
        ),
        SupporterAssigned(
            question_id=qid,
            assignment_id="a-1",
            supporter_id="s-1",
            organisation="ouderplatform",
            supporter_kind="volunteer",
            municipality="GM0590",
            score=0.7,
            received_at=T0,
            assigned_at=T0 + timedelta(minutes=12),
        ),
        QuestionWaiting(question_id=qid, municipality="GM0590", eligible_supporters=1, since=T0 + timedelta(minutes=3)),
    ]
    return [c for e in events for c in domain.changes_of(e) if isinstance(c, domain.QuestionChange)]


async def apply_in_own_transaction(pool: asyncpg.Pool, change: domain.QuestionChange) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await projections.apply_question(conn, change)


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
async def test_concurrent_changes_to_one_question_converge(pool: asyncpg.Pool, order: tuple[int, ...]) -> None:
    qid = f"q-{uuid.uuid4().hex[:10]}"
    all_changes = changes(qid)
    expected = None
    for change in all_changes:
        expected = domain.merge_question(expected, change)

    await asyncio.gather(*(apply_in_own_transaction(pool, all_changes[i]) for i in order))

    async with pool.acquire() as conn:
        fact = await projections.question_fact(conn, qid)
        status = await conn.fetchval("SELECT status FROM question_facts WHERE question_id = $1", qid)
    assert fact == expected
    assert status == "assigned"


async def test_a_repeated_change_writes_nothing_new(pool: asyncpg.Pool) -> None:
    qid = f"q-{uuid.uuid4().hex[:10]}"
    received = changes(qid)[0]
    async with pool.acquire() as conn:
        first = await projections.apply_question(conn, received)
        second = await projections.apply_question(conn, received)
        stored = await projections.question_fact(conn, qid)
    assert first == second == stored
    assert stored is not None and stored.complete and stored.life_domains == ("wmo", "debts")
