"""Run one EventSubscriber on FastStream's KafkaBroker against the real broker and database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faststream.kafka import KafkaRouter

from contracts.events import QuestionReceived
from services.kit import broker
from services.kit.messaging.binding import bind
from services.kit.messaging.deadletters import KafkaDeadLetters
from services.kit.messaging.offsets import Offsets
from services.kit.messaging.reliability import Consumption
from services.kit.messaging.subscriber import EventSubscriber
from services.kit.settings import Settings


def question(municipality: str = "GM0505") -> QuestionReceived:
    """A fresh QuestionReceived: what the kit's consumer tests send."""
    return QuestionReceived(
        question_id=str(uuid.uuid4()),
        resident_ref=str(uuid.uuid4()),
        municipality=municipality,
        life_domains=["wmo"],
        preferred_supporter_kind="any",
        languages=["nl"],
        postcode="3311",
        channel="web",
        received_at=datetime.now(UTC),
    )


@asynccontextmanager
async def consuming(
    settings: Settings,
    pool: asyncpg.Pool | None,
    subscriber: EventSubscriber,
    producer: AIOKafkaProducer,
    *,
    service: str = "kittest",
    max_attempts: int = 3,
    offsets: Offsets | None = None,
) -> AsyncIterator[KafkaRouter]:
    """Consume with ``subscriber`` (its own consumer group, from the earliest offset) until the block ends;
    ``offsets``: commit with these instead of the kit's own."""
    kafka = broker.make_broker(settings, service)
    consumption = Consumption(service, subscriber, pool, KafkaDeadLetters(producer, service), max_attempts, 0.01)
    if offsets is not None:
        consumption.offsets = offsets
    router = bind(kafka, consumption)
    await kafka.start()
    try:
        yield router
    finally:
        await kafka.stop()


def consumers_of(router: KafkaRouter) -> list[AIOKafkaConsumer]:
    """The aiokafka consumers FastStream runs for the router's subscriber (one, or one per worker)."""
    found: list[AIOKafkaConsumer] = []
    for sub in router.subscribers:
        found.extend(getattr(sub, "consumer_subgroup", None) or [sub.consumer])  # type: ignore[attr-defined]
    return found


async def committed_everything(router: KafkaRouter) -> bool:
    """Everything the router's consumers handled (effect or dead letter) is committed: nothing would come again."""
    handled_any = False
    for consumer in consumers_of(router):
        assignment = consumer.assignment()
        committed = {tp: await consumer.committed(tp) for tp in assignment}
        positions = {tp: await consumer.position(tp) for tp in assignment}
        handled = {tp: offset for tp, offset in committed.items() if offset is not None}
        handled_any = handled_any or bool(handled)
        if any(handled[tp] != positions[tp] for tp in handled):
            return False
    return handled_any
