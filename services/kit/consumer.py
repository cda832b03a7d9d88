"""Consumption with an idempotent inbox, commit after effect, bounded retry and a dead-letter topic.

For every message: decode and validate it (a message that can never succeed goes to ``<topic>.dlq``
at once); run the handler; on a transient error retry with exponential backoff and jitter up to
``consumer_max_attempts``, then dead-letter it. Offsets are committed only after the handler's
effect is durable, so a crash redelivers, and the inbox (consumer, ce_id), written in the same
transaction as the effect, turns the redelivery into a no-op. Partitions of one batch are handled
concurrently, and so are messages with different keys; messages with the same key (the same
aggregate) are handled in order, as Kafka delivers them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from contracts.envelope import CloudEvent, InvalidEvent, decode, parse
from contracts.events import REGISTRY, Event
from contracts.topics import dlq
from services.kit.db import Conn
from services.kit.metrics import (
    CONSUMER_LAG,
    EVENTS_DEAD_LETTERED,
    EVENTS_DUPLICATE,
    EVENTS_FAILED,
    EVENTS_HANDLED,
    HANDLE_SECONDS,
)
from services.kit.telemetry import consumer_span

log = logging.getLogger(__name__)

TransactionalHandler = Callable[[Conn, CloudEvent, Event], Awaitable[None]]
PlainHandler = Callable[[CloudEvent, Event], Awaitable[None]]


class PermanentError(Exception):
    """Raised by a handler when retrying can never help; the message is dead-lettered at once."""


@dataclass
class Subscription:
    """What one consumer group of a service handles.

    ``handlers`` maps ``ce_type`` to a handler. A transactional handler runs inside a transaction
    that also records the inbox row. With ``transactional=False`` the handler gets no connection and
    must make its own side effects idempotent (e.g. mail keyed by event id).
    """

    name: str
    topics: list[str]
    handlers: dict[str, TransactionalHandler | PlainHandler]
    transactional: bool = True
    group_id: str = ""
    accept_all_types: bool = False
    fallback: TransactionalHandler | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def handler_for(self, ce_type: str) -> TransactionalHandler | PlainHandler | None:
        return self.handlers.get(ce_type) or self.fallback


@dataclass
class Outcome:
    handled: bool
    dead_lettered: bool = False


class EventConsumer:
    """Runs one :class:`Subscription` on an aiokafka consumer until stopped."""

    def __init__(
        self,
        service: str,
        subscription: Subscription,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        pool: asyncpg.Pool,
        max_attempts: int = 5,
        retry_base_seconds: float = 0.2,
        concurrency: int = 8,
    ):
        self.service = service
        self.sub = subscription
        self.consumer = consumer
        self.producer = producer
        self.pool = pool
        self.max_attempts = max_attempts
        self.retry_base_seconds = retry_base_seconds
        self._slots = asyncio.Semaphore(concurrency)
        self._stopping = False
        self.inbox_name = f"{service}.{subscription.name}"
        for topic in subscription.topics:  # so /metrics shows every series from the start, at zero
            EVENTS_FAILED.labels(service, topic)
            EVENTS_DEAD_LETTERED.labels(service, topic)

    async def run(self) -> None:
        """Poll, handle, commit; on stop, finish the batch in hand, commit it and return."""
        while not self._stopping:
            try:
                await self.run_once()
            except KafkaError as exc:
                # Rebalances and broker restarts: uncommitted messages come again; the inbox skips them.
                log.warning("consumer error, continuing", extra={"error": repr(exc)})
                await asyncio.sleep(0.5)

    async def run_once(self) -> int:
        """Poll one batch, handle it and commit it; return the number of messages."""
        batch = await self.consumer.getmany(timeout_ms=200, max_records=1000)
        if not batch:
            return 0
        await asyncio.gather(*(self._handle_partition(tp, msgs) for tp, msgs in batch.items()))
        await self.consumer.commit({tp: msgs[-1].offset + 1 for tp, msgs in batch.items()})
        self._record_lag(batch)
        return sum(len(msgs) for msgs in batch.values())

    def stop(self) -> None:
        self._stopping = True

    async def _handle_partition(self, tp: TopicPartition, messages: list[ConsumerRecord]) -> None:
        """Messages with the same key in order; different keys side by side, a bounded number at once."""
        by_key: dict[bytes | None, list[ConsumerRecord]] = {}
        for message in messages:
            by_key.setdefault(message.key, []).append(message)

        async def in_order(same_key: list[ConsumerRecord]) -> None:
            async with self._slots:
                for message in same_key:
                    await self.handle_message(message)

        await asyncio.gather(*(in_order(same_key) for same_key in by_key.values()))

    async def handle_message(self, message: ConsumerRecord) -> Outcome:
        """Handle one message completely: effect, or dead letter. Never raises for bad input."""
        try:
            event = decode(message.headers, message.value)
            if event.type not in REGISTRY:
                raise InvalidEvent(f"unknown ce_type {event.type!r}")
            handler = self.sub.handler_for(event.type)
            if handler is None:
                return Outcome(handled=False)
            payload = parse(event)
        except InvalidEvent as exc:
            await self.dead_letter(message, str(exc), exc, attempts=1)
            return Outcome(handled=False, dead_lettered=True)
        return await self._with_retries(message, event, payload, handler)

    async def _with_retries(
        self,
        message: ConsumerRecord,
        event: CloudEvent,
        payload: Event,
        handler: TransactionalHandler | PlainHandler,
    ) -> Outcome:
        attributes = {
            "messaging.system": "kafka",
            "messaging.destination.name": message.topic,
            "messaging.message.id": event.id,
            "cloudevents.event_type": event.type,
            "samenloket.consumer": self.inbox_name,
        }
        with consumer_span(f"{message.topic} process", event.traceparent, attributes):
            for attempt in range(1, self.max_attempts + 1):
                try:
                    started = time.perf_counter()
                    await self._invoke(handler, event, payload, message.topic)
                    HANDLE_SECONDS.labels(self.service, event.type).observe(time.perf_counter() - started)
                    return Outcome(handled=True)
                except PermanentError as exc:
                    await self.dead_letter(message, str(exc), exc, attempts=attempt)
                    return Outcome(handled=False, dead_lettered=True)
                except Exception as exc:
                    EVENTS_FAILED.labels(self.service, message.topic).inc()
                    if attempt == self.max_attempts:
                        await self.dead_letter(message, f"gave up after {attempt} attempts: {exc}", exc, attempt)
                        return Outcome(handled=False, dead_lettered=True)
                    log.warning(
                        "handler failed, will retry",
                        extra={"event_id": event.id, "attempt": attempt, "error": repr(exc)},
                    )
                    await asyncio.sleep(self._backoff(attempt))
        return Outcome(handled=False)  # pragma: no cover - the loop always returns

    async def _invoke(
        self, handler: TransactionalHandler | PlainHandler, event: CloudEvent, payload: Event, topic: str
    ) -> None:
        if not self.sub.transactional:
            await handler(event, payload)  # type: ignore[call-arg, arg-type]
            EVENTS_HANDLED.labels(self.service, topic, event.type).inc()
            return
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = await conn.fetchval(
                "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
                self.inbox_name,
                event.id,
            )
            if not fresh:
                EVENTS_DUPLICATE.labels(self.service, topic).inc()
                return
            await handler(conn, event, payload)  # type: ignore[call-arg, arg-type]
        EVENTS_HANDLED.labels(self.service, topic, event.type).inc()

    def _backoff(self, attempt: int) -> float:
        base: float = self.retry_base_seconds * 2 ** (attempt - 1)
        return base * (0.5 + random.random())

    async def dead_letter(self, message: ConsumerRecord, reason: str, exc: BaseException, attempts: int) -> None:
        """Publish the original message to ``<topic>.dlq`` with headers saying why and where from."""
        headers = [(k, v) for k, v in (message.headers or ()) if not k.startswith("dlq_")]
        headers += [
            ("dlq_reason", reason[:2000].encode()),
            ("dlq_exception_type", type(exc).__name__.encode()),
            ("dlq_original_topic", message.topic.encode()),
            ("dlq_original_partition", str(message.partition).encode()),
            ("dlq_original_offset", str(message.offset).encode()),
            ("dlq_attempts", str(attempts).encode()),
            ("dlq_consumer", self.inbox_name.encode()),
        ]
        await self.producer.send_and_wait(dlq(message.topic), value=message.value, key=message.key, headers=headers)
        EVENTS_DEAD_LETTERED.labels(self.service, message.topic).inc()
        log.error("event dead-lettered", extra={"topic": message.topic, "offset": message.offset, "reason": reason})

    def _record_lag(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        for tp, messages in batch.items():
            with contextlib.suppress(Exception):
                highwater = self.consumer.highwater(tp)
                if highwater is not None:
                    lag = max(highwater - messages[-1].offset - 1, 0)
                    CONSUMER_LAG.labels(self.service, tp.topic, str(tp.partition)).set(lag)
