"""The kit's reliability guarantees on a real broker and database: outbox, inbox, retry, DLQ.

Consumption runs on FastStream's KafkaBroker with the kit's reliability middleware, as in the services.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2

from contracts import topics
from contracts.envelope import MAX_EVENT_BYTES, CloudEvent, encode, from_model
from contracts.events import QuestionReceived
from services.kit import broker, db
from services.kit.db import Conn
from services.kit.messaging import PermanentError
from services.kit.messaging.subscriber import EventSubscriber, subscriber
from services.kit.outbox import OutboxRelay, enqueue
from services.kit.settings import Settings
from tests.support.consuming import committed_everything, consuming, question
from tests.support.harness import eventually, publish_raw, read_topic, run_service

pytestmark = pytest.mark.integration

SCHEMA = "kittest"


@pytest.fixture(scope="module")
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    await db.migrate(settings.database_url, SCHEMA, package="")
    pool = await db.create_pool(settings.database_url, SCHEMA)
    await pool.execute("CREATE TABLE IF NOT EXISTS effects (question_id text PRIMARY KEY, handled_at timestamptz)")
    await broker.create_topics(settings)
    yield pool
    await pool.close()


class Recorder:
    """A handler that records its effect and can be told to fail a number of times."""

    def __init__(self) -> None:
        self.failures_left: dict[str, int] = {}
        self.permanent: set[str] = set()
        self.calls: dict[str, int] = {}

    async def __call__(self, conn: Conn, event: CloudEvent, payload: QuestionReceived) -> None:
        self.calls[payload.question_id] = self.calls.get(payload.question_id, 0) + 1
        if payload.question_id in self.permanent:
            raise PermanentError("this question can never be handled")
        if self.failures_left.get(payload.question_id, 0) > 0:
            self.failures_left[payload.question_id] -= 1
            raise RuntimeError("trouble with this message")
        await conn.execute("INSERT INTO effects VALUES ($1, now())", payload.question_id)


def questions_of(handler: Recorder) -> EventSubscriber:
    """A subscriber of its own (own group and inbox) that reads the questions topic from the start."""
    return subscriber(f"test-{uuid.uuid4().hex[:8]}", topics.QUESTIONS).handle(QuestionReceived, handler)


async def send(producer: AIOKafkaProducer, event: CloudEvent) -> None:
    key, value, headers = encode(event)
    await producer.send_and_wait(topics.QUESTIONS, value=value, key=key, headers=headers)


async def effects(pool: asyncpg.Pool, question_id: str) -> int:
    count: int = await pool.fetchval("SELECT count(*) FROM effects WHERE question_id=$1", question_id)
    return count


def dead_letters_of(subjects: set[str]):  # type: ignore[no-untyped-def]
    def wanted(records: list) -> bool:
        return {dict(r.headers).get("ce_subject", b"").decode() for r in records} >= subjects

    return wanted


async def test_same_event_twice_has_one_effect(settings: Settings, pool: asyncpg.Pool, producer: AIOKafkaProducer):
    handler = Recorder()
    payload = question()
    event = from_model(payload, source="/samenloket/test")
    await send(producer, event)
    await send(producer, event)
    marker = question()  # sent after both: once it has its effect, both copies were handled
    await send(producer, from_model(marker, source="/samenloket/test"))
    async with consuming(settings, pool, questions_of(handler), producer):
        await eventually(lambda: effects(pool, marker.question_id))
    assert await effects(pool, payload.question_id) == 1
    assert handler.calls[payload.question_id] == 1


async def test_transient_failure_retries_then_succeeds(
    settings: Settings, pool: asyncpg.Pool, producer: AIOKafkaProducer
):
    handler = Recorder()
    payload = question()
    handler.failures_left[payload.question_id] = 2
    await send(producer, from_model(payload, source="/samenloket/test"))
    async with consuming(settings, pool, questions_of(handler), producer):
        await eventually(lambda: effects(pool, payload.question_id))
    assert await effects(pool, payload.question_id) == 1
    assert handler.calls[payload.question_id] == 3


async def test_poison_and_exhausted_messages_go_to_dlq_and_the_next_is_processed(
    settings: Settings, pool: asyncpg.Pool, producer: AIOKafkaProducer
):
    handler = Recorder()
    always_failing, permanent, valid = question(), question(), question()
    handler.failures_left[always_failing.question_id] = 99
    handler.permanent.add(permanent.question_id)
    marker = uuid.uuid4().hex
    bad_headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", marker.encode()),
        ("ce_source", b"/partner"),
        ("ce_type", QuestionReceived.ce_type.encode()),
        ("ce_time", b"2026-01-01T00:00:00Z"),
        ("ce_subject", marker.encode()),
    ]
    await producer.send_and_wait(topics.QUESTIONS, value=b"{not json", key=b"x", headers=bad_headers)
    await send(producer, from_model(always_failing, source="/samenloket/test"))
    await send(producer, from_model(permanent, source="/samenloket/test"))
    await send(producer, from_model(valid, source="/samenloket/test"))
    last = question()  # sent after all of them, on the same key as the valid one's partition order does not matter
    await send(producer, from_model(last, source="/samenloket/test"))
    async with consuming(settings, pool, questions_of(handler), producer) as router:
        await eventually(lambda: effects(pool, last.question_id))
        await eventually(lambda: handler.calls.get(always_failing.question_id) == 3)
        records = await read_topic(
            settings,
            topics.dlq(topics.QUESTIONS),
            until=dead_letters_of({marker, always_failing.question_id, permanent.question_id}),
        )
        await eventually(lambda: committed_everything(router), timeout=10)
    assert await effects(pool, valid.question_id) == 1
    assert await effects(pool, always_failing.question_id) == 0

    def dead(records: list) -> list[dict[str, str]]:
        rows = [{k: v.decode() for k, v in r.headers} for r in records]
        ids = {always_failing.question_id, permanent.question_id}
        return [h for h in rows if h.get("ce_id") == marker or h.get("ce_subject") in ids]

    by_reason = {h["dlq_exception_type"]: h for h in dead(records)}
    assert "payload is not JSON" in by_reason["InvalidEvent"]["dlq_reason"]
    assert by_reason["InvalidEvent"]["dlq_attempts"] == "1"
    assert by_reason["RuntimeError"]["dlq_attempts"] == "3"
    assert by_reason["PermanentError"]["dlq_attempts"] == "1"
    for headers in by_reason.values():
        assert headers["dlq_original_topic"] == topics.QUESTIONS
        assert headers["dlq_original_partition"].isdigit()
        assert headers["dlq_original_offset"].isdigit()


async def test_unknown_event_type_is_dead_lettered(settings: Settings, pool: asyncpg.Pool, producer: AIOKafkaProducer):
    subject = uuid.uuid4().hex
    event = CloudEvent(type="nl.samenloket.thing.exploded.v1", source="/x", subject=subject, data={})
    await publish_raw(settings, topics.QUESTIONS, *encode(event))
    async with consuming(settings, pool, questions_of(Recorder()), producer):
        records = await read_topic(
            settings,
            topics.dlq(topics.QUESTIONS),
            until=lambda rs: any(dict(r.headers).get("ce_subject") == subject.encode() for r in rs),
        )
    headers = next(dict(r.headers) for r in records if dict(r.headers).get("ce_subject") == subject.encode())
    assert b"unknown ce_type" in headers["dlq_reason"]


async def test_header_bytes_that_are_not_text_go_to_the_dlq_with_their_bytes(
    settings: Settings, pool: asyncpg.Pool, producer: AIOKafkaProducer
):
    """A partner's header that is not UTF-8 neither stops the consumer nor is skipped: it is dead-lettered as sent."""
    subject = uuid.uuid4().hex
    raw = [("ce_specversion", b"1.0"), ("ce_subject", subject.encode()), ("ce_source", b"\xff\xfe")]
    await producer.send_and_wait(topics.QUESTIONS, value=b"{}", key=b"x", headers=raw)
    after = question()
    await send(producer, from_model(after, source="/samenloket/test"))
    async with consuming(settings, pool, questions_of(Recorder()), producer):
        records = await read_topic(
            settings,
            topics.dlq(topics.QUESTIONS),
            until=lambda rs: any(dict(r.headers).get("ce_subject") == subject.encode() for r in rs),
        )
        await eventually(lambda: effects(pool, after.question_id))
    headers = next(dict(r.headers) for r in records if dict(r.headers).get("ce_subject") == subject.encode())
    assert headers["ce_source"] == b"\xff\xfe"
    assert headers["dlq_exception_type"] == b"InvalidEvent"


async def test_a_message_too_large_to_dead_letter_goes_without_its_value_and_its_partition_moves_on(
    settings: Settings, pool: asyncpg.Pool, producer: AIOKafkaProducer
):
    """A message over MAX_EVENT_BYTES is dead-lettered; the letter is larger than a producer (or a broker)
    takes, so it goes without its value instead of being re-read forever and holding its partition."""
    after = question()
    subject = uuid.uuid4().hex
    headers = [(k, v) for k, v in encode(from_model(question(), source="/partner"))[2] if k != "ce_subject"]
    headers.append(("ce_subject", subject.encode()))
    huge = b'{"filler": "' + b"x" * (MAX_EVENT_BYTES + 1024) + b'"}'
    large = broker.make_producer(settings, max_request_size=4 * MAX_EVENT_BYTES)
    await large.start()
    try:
        key = after.question_id.encode()  # the same partition as the question after it
        await large.send_and_wait(topics.QUESTIONS, value=huge, key=key, headers=headers)
    finally:
        await large.stop()
    await send(producer, from_model(after, source="/samenloket/test"))
    async with consuming(settings, pool, questions_of(Recorder()), producer):
        await eventually(lambda: effects(pool, after.question_id), timeout=20)
        records = await read_topic(
            settings,
            topics.dlq(topics.QUESTIONS),
            until=lambda rs: any(dict(r.headers).get("ce_subject") == subject.encode() for r in rs),
        )
    letter = next(r for r in records if dict(r.headers).get("ce_subject") == subject.encode())
    assert letter.value is None
    assert dict(letter.headers)["dlq_value_omitted"].startswith(str(len(huge)).encode() + b" bytes")
    assert b"larger than" in dict(letter.headers)["dlq_reason"]


async def test_outbox_publishes_committed_events_only(
    settings: Settings, pool: asyncpg.Pool, producer: AIOKafkaProducer
):
    kept, rolled_back = question(), question()
    async with pool.acquire() as conn:
        async with conn.transaction():
            await enqueue(conn, topics.QUESTIONS, from_model(kept, source="/samenloket/test", traceparent=None))
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await enqueue(conn, topics.QUESTIONS, from_model(rolled_back, source="/samenloket/test"))
                raise RuntimeError("the state change failed")
    relay = OutboxRelay(pool, producer, "kittest")
    assert await relay.relay_once() == 1
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    records = await read_topic(
        settings, topics.QUESTIONS, until=lambda rs: any(r.key == kept.question_id.encode() for r in rs)
    )
    assert not any(r.key == rolled_back.question_id.encode() for r in records)
    headers = next(dict(r.headers) for r in records if r.key == kept.question_id.encode())
    assert headers["ce_type"] == QuestionReceived.ce_type.encode()
    assert headers["ce_municipality"] == b"GM0505"


async def test_the_relay_listens_again_when_its_connection_is_cut(
    settings: Settings, pool: asyncpg.Pool, producer: AIOKafkaProducer
):
    """A database restart cuts the relay's LISTEN connection: the relay listens on a new one, so an event
    committed afterwards is published at once, not at the next poll (a minute here)."""
    relay = OutboxRelay(pool, producer, "kittest", poll_seconds=60.0)
    running = asyncio.create_task(relay.run())
    try:
        await eventually(lambda: relay._listener is not None, timeout=10)
        assert relay._listener is not None
        cut = relay._listener.get_server_pid()
        assert await pool.fetchval("SELECT pg_terminate_backend($1)", cut)

        def listening_anew() -> bool:
            listener = relay._listener
            try:
                return listener is not None and listener.get_server_pid() != cut and not listener.is_closed()
            except asyncpg.InterfaceError:  # the cut connection, detached from its pool
                return False

        await eventually(listening_anew, timeout=10)
        event = question()
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, topics.QUESTIONS, from_model(event, source="/samenloket/test"))
        key = event.question_id.encode()
        await read_topic(settings, topics.QUESTIONS, until=lambda rs: any(r.key == key for r in rs), timeout=10)
    finally:
        relay.stop()
        await running


async def test_same_key_in_order_different_partitions_side_by_side(
    settings: Settings, pool: asyncpg.Pool, producer: AIOKafkaProducer
):
    seen: list[tuple[str, str]] = []
    running = 0
    most_at_once = 0

    async def record(conn: Conn, event: CloudEvent, payload: QuestionReceived) -> None:
        nonlocal running, most_at_once
        running += 1
        most_at_once = max(most_at_once, running)
        await conn.execute("SELECT pg_sleep(0.01)")
        seen.append((payload.question_id, payload.resident_ref))
        running -= 1

    keys = keys_over_partitions(settings.kafka_topic_partitions, count=4)
    for step in range(5):
        for key in keys:
            payload = question().model_copy(update={"question_id": key, "resident_ref": str(step)})
            await send(producer, from_model(payload, source="/samenloket/test"))
    workers = settings.kafka_topic_partitions
    order = subscriber(f"order-{uuid.uuid4().hex[:8]}", topics.QUESTIONS, workers=workers)
    async with consuming(settings, pool, order.handle(QuestionReceived, record), producer):
        await eventually(lambda: len([s for s in seen if s[0] in keys]) == 20, timeout=30)
    for key in keys:
        assert [step for qid, step in seen if qid == key] == ["0", "1", "2", "3", "4"]
    assert 1 < most_at_once <= settings.kafka_topic_partitions


def keys_over_partitions(partitions: int, count: int) -> list[str]:
    """``count`` keys of which at least two land on different partitions (the producer's murmur2)."""
    keys: list[str] = []
    while len(keys) < count or len({(murmur2(k.encode()) & 0x7FFFFFFF) % partitions for k in keys}) < 2:
        keys = [*keys[1:], str(uuid.uuid4())] if len(keys) == count else [*keys, str(uuid.uuid4())]
    return keys


async def test_a_consumer_that_dies_takes_its_process_down(settings: Settings) -> None:
    """Issue 14, row 1: a consumer task that ends by itself must not leave a process that idles."""
    async with run_service("reporting", settings) as service:
        reasons: list[str] = []
        service.runtime.on_fatal = reasons.append
        projections = next(s for r in service.runtime.routers for s in r.subscribers if "projections" in s.group_id)
        for task in projections.tasks:
            task.cancel()
        await eventually(lambda: reasons, timeout=15)
    assert "consumer samenloket-reporting-projections" in reasons[0]
