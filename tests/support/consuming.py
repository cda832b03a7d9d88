"""Run one EventSubscriber on FastStream's KafkaBroker against the real broker and database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faststream.kafka import KafkaRouter

from services.kit import broker
from services.kit.messaging.binding import bind
from services.kit.messaging.deadletters import KafkaDeadLetters
from services.kit.messaging.reliability import Consumption
from services.kit.messaging.subscriber import EventSubscriber
from services.kit.settings import Settings


@asynccontextmanager
async def consuming(
    settings: Settings,
    pool: asyncpg.Pool | None,
    subscriber: EventSubscriber,
    producer: AIOKafkaProducer,
    *,
    service: str = "kittest",
    max_attempts: int = 3,
) -> AsyncIterator[KafkaRouter]:
    """Consume with ``subscriber`` (its own consumer group, from the earliest offset) until the block ends."""
    kafka = broker.make_broker(settings, service)
    consumption = Consumption(service, subscriber, pool, KafkaDeadLetters(producer, service), max_attempts, 0.01)
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
