"""Offsets committed in batches (services/kit/messaging/offsets.py) on a real broker and database.

A consumer commits the offsets of messages whose effect is durable once per batch instead of once per
message. What must keep holding: a crash between the effects and the batch's commit redelivers
messages that then change nothing (the inbox), and a rebalance, which commits what is done of the
revoked partitions, loses nothing and doubles nothing; stopping commits what is done, so a restart
redelivers nothing. (Poison dead-lettered and committed past:
tests/integration/test_kit_consumer.py.)
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from contracts import topics
from contracts.envelope import CloudEvent, encode, from_model
from contracts.events import QuestionReceived
from services.kit import broker, db
from services.kit.db import Conn
from services.kit.messaging.offsets import Offsets
from services.kit.messaging.subscriber import EventSubscriber, subscriber
from services.kit.metrics import EVENTS_DUPLICATE
from services.kit.settings import Settings
from tests.support.consuming import committed_everything, consumers_of, consuming, question
from tests.support.harness import eventually

pytestmark = pytest.mark.integration

SCHEMA = "kitoffsets"
SERVICE = "kitoffsets"


@pytest.fixture(scope="module")
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    await db.migrate(settings.database_url, SCHEMA, package="")
    pool = await db.create_pool(settings.database_url, SCHEMA)
    await pool.execute("CREATE TABLE IF NOT EXISTS effects (question_id text PRIMARY KEY, times int NOT NULL)")
    await broker.create_topics(settings)
    yield pool
    await pool.close()


async def count_effect(conn: Conn, event: CloudEvent, payload: QuestionReceived) -> None:
    """The effect: one more for the question (any question on the topic, also other tests')."""
    await conn.execute(
        "INSERT INTO effects VALUES ($1, 1) ON CONFLICT (question_id) DO UPDATE SET times = effects.times + 1",
        payload.question_id,
    )


def counting() -> EventSubscriber:
    """A subscriber of its own (own group and inbox) that reads the questions topic from the start."""
    return subscriber(f"offsets-{uuid.uuid4().hex[:8]}", topics.QUESTIONS).handle(QuestionReceived, count_effect)


async def send_all(producer: AIOKafkaProducer, questions: list[QuestionReceived]) -> None:
    for payload in questions:
        key, value, headers = encode(from_model(payload, source="/samenloket/test"))
        await producer.send_and_wait(topics.QUESTIONS, value=value, key=key, headers=headers)


async def times(pool: asyncpg.Pool, questions: list[QuestionReceived]) -> list[int]:
    rows = await pool.fetch(
        "SELECT question_id, times FROM effects WHERE question_id = ANY($1::text[])",
        [q.question_id for q in questions],
    )
    found = {row["question_id"]: row["times"] for row in rows}
    return [found.get(q.question_id, 0) for q in questions]


def all_handled(pool: asyncpg.Pool, questions: list[QuestionReceived]):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        return all(await times(pool, questions))

    return check


class Crashing(Offsets):
    """A process killed after its effects, before the batch of their offsets was committed."""

    async def done(self, consumer: object, topic: str, partition: int, offset: int) -> None:
        return None

    async def close(self) -> None:
        return None


def duplicates() -> float:
    value: float = EVENTS_DUPLICATE.labels(SERVICE, topics.QUESTIONS)._value.get()
    return value


async def test_a_crash_before_the_batch_is_committed_redelivers_without_a_second_effect(
    settings: Settings, pool: asyncpg.Pool, producer: AIOKafkaProducer
) -> None:
    group = counting()
    sent = [question() for _ in range(8)]
    await send_all(producer, sent)
    async with consuming(settings, pool, group, producer, service=SERVICE, offsets=Crashing(SERVICE)):
        await eventually(all_handled(pool, sent), timeout=30)
    before = duplicates()
    after = [question()]  # sent after the crash: once it has its effect, the redelivered ones came before it
    await send_all(producer, after)
    async with consuming(settings, pool, group, producer, service=SERVICE) as router:
        await eventually(all_handled(pool, after), timeout=30)
        await eventually(lambda: committed_everything(router), timeout=10)
    assert duplicates() - before >= len(sent), "everything handled before the crash came again"
    assert await times(pool, sent + after) == [1] * (len(sent) + 1)


async def test_a_rebalance_commits_what_is_done_and_loses_and_doubles_nothing(
    settings: Settings, pool: asyncpg.Pool, producer: AIOKafkaProducer
) -> None:
    group = counting()
    first_batch = [question() for _ in range(6)]
    await send_all(producer, first_batch)
    async with consuming(settings, pool, group, producer, service=SERVICE) as first:
        await eventually(all_handled(pool, first_batch), timeout=30)
        async with consuming(settings, pool, group, producer, service=SERVICE) as second:  # the same group
            await eventually(lambda: all(c.assignment() for c in consumers_of(second)), timeout=30)
            second_batch = [question() for _ in range(12)]
            await send_all(producer, second_batch)
            await eventually(all_handled(pool, second_batch), timeout=30)
            await eventually(lambda: committed_everything(second), timeout=10)
        await eventually(lambda: committed_everything(first), timeout=30)  # its partitions back, committed
        third_batch = [question() for _ in range(4)]
        await send_all(producer, third_batch)
        await eventually(all_handled(pool, third_batch), timeout=30)
    everything = first_batch + second_batch + third_batch
    assert await times(pool, everything) == [1] * len(everything)


async def test_stopping_commits_what_is_done_so_nothing_comes_again(
    settings: Settings, pool: asyncpg.Pool, producer: AIOKafkaProducer
) -> None:
    group = counting()
    sent = [question() for _ in range(5)]
    await send_all(producer, sent)
    never_by_itself = Offsets(SERVICE, every=1_000_000, delay=3600)  # only stopping commits
    async with consuming(settings, pool, group, producer, service=SERVICE, offsets=never_by_itself):
        await eventually(all_handled(pool, sent), timeout=30)
    before = duplicates()
    after = [question()]
    await send_all(producer, after)
    async with consuming(settings, pool, group, producer, service=SERVICE):
        await eventually(all_handled(pool, after), timeout=30)
    assert duplicates() == before, "nothing handled before the stop came again"
    assert await times(pool, sent + after) == [1] * (len(sent) + 1)
