"""The reliability middleware: idempotent inbox, commit after effect, retries, dead letters.

For every message of a subscriber: decode it as a CloudEvent (a message that can never succeed goes
to ``<topic>.dlq`` at once); skip types the subscriber does not handle; run the handler, for a
transactional subscriber inside a transaction that first records ``(consumer, ce_id)`` in the inbox
(a redelivered event finds its row and is skipped). When the message's handling fails, retry with
exponential backoff and jitter up to ``max_attempts``, then dead-letter it; while infrastructure is
away (database, broker, another service) wait without limit, nothing committed and the partition
waiting (see :mod:`.faults`). Only then may the offset be committed (``AckPolicy.MANUAL``): the
message is reported done to :mod:`.offsets`, which commits the explicit offsets of done messages in
batches (every 200 messages or 0.5 s, on revocation and on shutdown) instead of a broker round trip
per message. A crash before the commit redelivers, and the inbox (or a side effect's idempotency key)
makes the redelivery a no-op. FastStream's own ``ack()`` would commit the consumer's position per
message and its ``nack()`` would seek back forever, so retries happen here, around the handler call.
Should even the dead letter fail (the broker away), the message is not reported done and the consumer
seeks back to it so it comes again: nothing is committed past a message that had no effect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Final

import asyncpg
from aiokafka import ConsumerRecord
from faststream import BaseMiddleware
from faststream.message import StreamMessage
from opentelemetry import trace

from contracts.envelope import CloudEvent, InvalidEvent
from services.kit.messaging.cloudevents import delivery
from services.kit.messaging.deadletters import DeadLetters, dead_letter_headers
from services.kit.messaging.faults import is_infrastructure
from services.kit.messaging.offsets import Offsets
from services.kit.messaging.subscriber import EventSubscriber, PermanentError
from services.kit.metrics import (
    EVENTS_DEAD_LETTERED,
    EVENTS_DUPLICATE,
    EVENTS_FAILED,
    EVENTS_HANDLED,
    HANDLE_SECONDS,
)

log = logging.getLogger(__name__)

#: The transaction and the envelope of the message in hand, set by the middleware around the handler
#: call (plain context variables: FastStream's ``Context()`` injection resolves each value in a worker
#: thread, two thread hops per message).
CURRENT_CONN: ContextVar[Any] = ContextVar("samenloket_conn", default=None)
CURRENT_EVENT: ContextVar[CloudEvent | None] = ContextVar("samenloket_event", default=None)
#: How long to wait before reading a message again whose dead letter could not be sent.
REDELIVERY_PAUSE_SECONDS: Final = 1.0
#: The longest wait between tries while infrastructure is away.
MAX_WAIT_SECONDS: Final = 5.0


@dataclass
class Consumption:
    """How one subscriber of one service consumes: everything the middleware needs."""

    service: str
    subscriber: EventSubscriber
    pool: asyncpg.Pool | None
    dead_letters: DeadLetters
    max_attempts: int = 5
    retry_base_seconds: float = 0.2
    offsets: Offsets = field(init=False)

    def __post_init__(self) -> None:
        self.offsets = Offsets(self.service)
        for topic in self.subscriber.topics:  # so /metrics shows every series from the start, at zero
            EVENTS_FAILED.labels(self.service, topic)
            EVENTS_DEAD_LETTERED.labels(self.service, topic)

    @property
    def inbox_name(self) -> str:
        return f"{self.service}.{self.subscriber.name}"

    def middleware(self, msg: Any, /, *, context: Any) -> ReliableDelivery:
        """The factory FastStream calls per message."""
        return ReliableDelivery(msg, context=context, consumption=self)

    def wait(self, waits: int) -> float:
        """How long to wait for infrastructure before the next try: growing, at most ``MAX_WAIT_SECONDS``."""
        return min(self.backoff(waits), MAX_WAIT_SECONDS)

    def backoff(self, attempt: int) -> float:
        base: float = self.retry_base_seconds * 2 ** (attempt - 1)
        return base * (0.5 + random.random())


@contextlib.contextmanager
def _current(variable: ContextVar[Any], value: Any) -> Iterator[None]:
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)


class ReliableDelivery(BaseMiddleware):
    """One message's way through a subscriber: effect exactly once, or a dead letter; then the commit."""

    def __init__(self, msg: Any, /, *, context: Any, consumption: Consumption) -> None:
        super().__init__(msg, context=context)
        self.consumption = consumption

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        c = self.consumption
        record: ConsumerRecord = msg.raw_message
        try:
            event, _ = delivery(msg)
        except InvalidEvent as exc:
            return await self._dead_letter(msg, str(exc), exc, attempts=1)
        if not c.subscriber.handles(event.type):
            return await self._done(msg)
        trace.get_current_span().set_attributes(
            {
                "messaging.message.id": event.id,
                "cloudevents.event_type": event.type,
                "samenloket.consumer": c.inbox_name,
            }
        )
        attempt = waits = 0
        while True:
            try:
                started = time.perf_counter()
                await self._invoke(call_next, msg, event, record.topic)
                HANDLE_SECONDS.labels(c.service, event.type).observe(time.perf_counter() - started)
                return await self._done(msg)
            except PermanentError as exc:
                return await self._dead_letter(msg, str(exc), exc, attempts=attempt + 1)
            except Exception as exc:
                EVENTS_FAILED.labels(c.service, record.topic).inc()
                if is_infrastructure(exc):  # wait it out: nothing is committed, the partition waits
                    waits += 1
                    log.warning(
                        "infrastructure unavailable, waiting",
                        extra={"event_id": event.id, "waits": waits, "error": repr(exc)},
                    )
                    await asyncio.sleep(c.wait(waits))
                    continue
                attempt += 1
                if attempt >= c.max_attempts:
                    return await self._dead_letter(msg, f"gave up after {attempt} attempts: {exc}", exc, attempt)
                log.warning(
                    "handler failed, will retry", extra={"event_id": event.id, "attempt": attempt, "error": repr(exc)}
                )
                await asyncio.sleep(c.backoff(attempt))

    async def _invoke(
        self,
        call_next: Callable[[StreamMessage[Any]], Awaitable[Any]],
        msg: StreamMessage[Any],
        event: CloudEvent,
        topic: str,
    ) -> None:
        c = self.consumption
        if not c.subscriber.transactional or c.pool is None:
            with _current(CURRENT_EVENT, event):
                await call_next(msg)
            EVENTS_HANDLED.labels(c.service, topic, event.type).inc()
            return
        async with c.pool.acquire() as conn, conn.transaction():
            fresh = await conn.fetchval(
                "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
                c.inbox_name,
                event.id,
            )
            if not fresh:
                EVENTS_DUPLICATE.labels(c.service, topic).inc()
                return
            with _current(CURRENT_CONN, conn), _current(CURRENT_EVENT, event):
                await call_next(msg)
        EVENTS_HANDLED.labels(c.service, topic, event.type).inc()

    async def _dead_letter(self, msg: StreamMessage[Any], reason: str, exc: BaseException, attempts: int) -> None:
        c = self.consumption
        record: ConsumerRecord = msg.raw_message
        try:
            await c.dead_letters.send(record, dead_letter_headers(record, reason, exc, attempts, c.inbox_name))
        except Exception as failure:  # the broker is away: read the message again later, never skip it
            log.error(
                "dead letter not sent, the message will come again",
                extra={"topic": record.topic, "offset": record.offset, "error": repr(failure)},
            )
            await asyncio.sleep(REDELIVERY_PAUSE_SECONDS)
            await msg.nack()
            return
        await self._done(msg)

    async def _done(self, msg: StreamMessage[Any]) -> None:
        """The effect (or the dead letter) is durable: the offset may be committed, with the next batch."""
        record: ConsumerRecord = msg.raw_message
        consumer = getattr(msg, "consumer", None)
        offsets = self.consumption.offsets
        if not offsets.can_commit(consumer):  # FastStream's in-memory test broker: its own ack
            await msg.ack()
            return
        await StreamMessage.ack(msg)  # acknowledged, without FastStream's commit of the consumer's position
        await offsets.done(consumer, record.topic, record.partition, record.offset)
