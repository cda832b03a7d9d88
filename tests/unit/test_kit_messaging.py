"""The kit's typed subscribers and reliability middleware on FastStream's in-memory test broker.

Fast handler tests beside the real-broker ones (tests/integration/test_kit_consumer.py): each
handler receives its own event class, other registered types are skipped, bad messages and
permanent failures become dead letters, transient failures are retried a bounded number of times.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker, TestKafkaBroker

from contracts import topics
from contracts.envelope import CloudEvent, encode, from_model
from contracts.events import QuestionReceived, QuestionWaiting, SignalRaised
from services.kit.messaging import PermanentError
from services.kit.messaging.binding import bind
from services.kit.messaging.deadletters import Headers
from services.kit.messaging.reliability import Consumption
from services.kit.messaging.subscriber import EventSubscriber, subscriber


class DeadLetterBox:
    """Keeps dead letters in memory, as the Kafka sink would publish them."""

    def __init__(self) -> None:
        self.letters: list[dict[str, bytes]] = []

    async def send(self, record: ConsumerRecord, headers: Headers) -> None:
        self.letters.append(dict(headers))


def question() -> QuestionReceived:
    return QuestionReceived(
        question_id=str(uuid.uuid4()),
        resident_ref=str(uuid.uuid4()),
        municipality="GM0505",
        life_domains=["wmo"],
        preferred_supporter_kind="any",
        languages=["nl"],
        postcode="3311",
        channel="web",
        received_at=datetime.now(UTC),
    )


@asynccontextmanager
async def running(sub: EventSubscriber, box: DeadLetterBox, attempts: int = 3) -> AsyncIterator[KafkaBroker]:
    broker = KafkaBroker()
    bind(broker, Consumption("unit", sub, None, box, max_attempts=attempts, retry_base_seconds=0.001))
    async with TestKafkaBroker(broker) as test_broker:
        yield test_broker


async def send(broker: KafkaBroker, topic: str, event: CloudEvent) -> None:
    key, value, headers = encode(event)
    await broker.publish(value, topic, key=key, headers={name: raw.decode() for name, raw in headers})


async def test_each_handler_gets_its_own_event_class_and_other_types_are_skipped() -> None:
    got: list[object] = []

    async def on_question(event: CloudEvent, payload: QuestionReceived) -> None:
        got.append(payload)

    sub = subscriber("questions", topics.QUESTIONS, transactional=False).handle(QuestionReceived, on_question)
    box = DeadLetterBox()
    payload = question()
    async with running(sub, box) as broker:
        await send(broker, topics.QUESTIONS, from_model(payload, source="/test"))
        waiting = QuestionWaiting(
            question_id=payload.question_id, municipality="GM0505", eligible_supporters=0, since=datetime.now(UTC)
        )
        await send(broker, topics.QUESTIONS, from_model(waiting, source="/test"))
    assert got == [payload] and isinstance(got[0], QuestionReceived)
    assert box.letters == [], "a registered type this subscriber does not handle is skipped, not dead-lettered"


async def test_a_payload_that_fails_its_contract_is_dead_lettered_without_calling_the_handler() -> None:
    calls: list[object] = []

    async def on_question(event: CloudEvent, payload: QuestionReceived) -> None:
        calls.append(payload)

    sub = subscriber("questions", topics.QUESTIONS, transactional=False).handle(QuestionReceived, on_question)
    box = DeadLetterBox()
    broken = from_model(question(), source="/test")
    broken = CloudEvent(**{**broken.__dict__, "data": {**broken.data, "life_domains": ["gardening"]}})
    unknown = CloudEvent(type="nl.samenloket.thing.exploded.v1", source="/x", subject="s", data={})
    async with running(sub, box) as broker:
        await send(broker, topics.QUESTIONS, broken)
        await send(broker, topics.QUESTIONS, unknown)
    assert calls == []
    assert [letter["dlq_exception_type"] for letter in box.letters] == [b"InvalidEvent", b"InvalidEvent"]
    assert b"life_domains" in box.letters[0]["dlq_reason"]
    assert b"unknown ce_type" in box.letters[1]["dlq_reason"]
    assert box.letters[0]["dlq_consumer"] == b"unit.questions"


async def test_transient_failures_are_retried_and_permanent_ones_dead_lettered_at_once() -> None:
    attempts: dict[str, int] = {}
    flaky, doomed, hopeless = question(), question(), question()

    async def on_question(event: CloudEvent, payload: QuestionReceived) -> None:
        attempts[payload.question_id] = attempts.get(payload.question_id, 0) + 1
        if payload.question_id == doomed.question_id:
            raise PermanentError("never")
        if payload.question_id == hopeless.question_id or attempts[payload.question_id] < 3:
            raise RuntimeError("not this time")

    sub = subscriber("questions", topics.QUESTIONS, transactional=False).handle(QuestionReceived, on_question)
    box = DeadLetterBox()
    async with running(sub, box, attempts=4) as broker:
        for payload in (flaky, doomed, hopeless):
            await send(broker, topics.QUESTIONS, from_model(payload, source="/test"))
    assert attempts == {flaky.question_id: 3, doomed.question_id: 1, hopeless.question_id: 4}
    by_subject = {letter["ce_subject"].decode(): letter for letter in box.letters}
    assert set(by_subject) == {doomed.question_id, hopeless.question_id}
    assert by_subject[doomed.question_id]["dlq_attempts"] == b"1"
    assert by_subject[hopeless.question_id]["dlq_attempts"] == b"4"
    assert by_subject[hopeless.question_id]["dlq_reason"].startswith(b"gave up after 4 attempts")


async def test_a_subscriber_of_every_type_gets_each_registered_type() -> None:
    seen: list[str] = []

    async def record(event: CloudEvent, payload: object) -> None:
        seen.append(type(payload).__name__)

    from contracts.events import Event

    sub = subscriber("all", topics.QUESTIONS, transactional=False).handle(Event, record)
    signal = SignalRaised.model_validate(
        {
            "signal_id": str(uuid.uuid4()),
            "municipality": "GM0505",
            "theme": "waiting_times",
            "level": "local",
            "raised_by": "supporter",
            "life_domain": "wmo",
            "raised_at": datetime.now(UTC).isoformat(),
        }
    )
    async with running(sub, DeadLetterBox()) as broker:
        await send(broker, topics.QUESTIONS, from_model(question(), source="/test"))
        await send(broker, topics.QUESTIONS, from_model(signal, source="/test"))
    assert seen == ["QuestionReceived", "SignalRaised"]


async def test_infrastructure_that_is_away_is_waited_out_without_limit_and_never_dead_letters() -> None:
    """A database or broker that is away says nothing about the message: retried past max_attempts (issue 14, row 4)."""
    import asyncpg

    from services.kit.messaging import reliability

    tries: list[str] = []
    payload = question()
    away = [ConnectionRefusedError("db down"), asyncpg.CannotConnectNowError("starting up"), TimeoutError()] * 3

    async def on_question(event: CloudEvent, payload: QuestionReceived) -> None:
        tries.append(payload.question_id)
        if away:
            raise away.pop(0)

    sub = subscriber("questions", topics.QUESTIONS, transactional=False).handle(QuestionReceived, on_question)
    box = DeadLetterBox()
    original = reliability.MAX_WAIT_SECONDS
    reliability.MAX_WAIT_SECONDS = 0.001
    try:
        async with running(sub, box, attempts=2) as broker:
            await send(broker, topics.QUESTIONS, from_model(payload, source="/test"))
    finally:
        reliability.MAX_WAIT_SECONDS = original
    assert len(tries) == 10, "nine waits for the infrastructure, then the effect"
    assert box.letters == []
