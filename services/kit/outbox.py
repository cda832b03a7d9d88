"""Transactional outbox and its relay.

A service calls :func:`enqueue` inside the transaction that changes its state, so the event exists
exactly when the change does. The :class:`OutboxRelay` claims rows with ``FOR UPDATE SKIP LOCKED``
(several instances share the work), publishes them with ``acks=all`` and deletes them once the
broker acknowledged. A crash between publish and delete republishes the batch; consumers' inboxes
make that harmless. LISTEN/NOTIFY wakes the relay; a short poll is the fallback. When the LISTEN
connection is cut (the database restarted), the relay wakes and listens again on a new connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import asyncpg
from aiokafka import AIOKafkaProducer
from asyncpg.pool import PoolConnectionProxy

from contracts.envelope import CloudEvent, encode, from_model
from contracts.events import Event
from services.kit import session_state
from services.kit.db import Conn
from services.kit.metrics import OUTBOX_DEPTH, OUTBOX_PUBLISHED
from services.kit.telemetry import current_traceparent, producer_span

log = logging.getLogger(__name__)

CHANNEL = "samenloket_outbox"
BATCH = 1000
#: The row and the relay's wake-up in one round trip. PostgreSQL folds the identical NOTIFYs of one
#: transaction into one, delivered at commit: a transaction that publishes many events wakes the relay once.
_ENQUEUE = """
WITH queued AS (INSERT INTO outbox (topic, key, value, headers) VALUES ($1, $2, $3, $4::jsonb) RETURNING 1)
SELECT pg_notify($5, '') FROM queued
"""


async def enqueue(conn: Conn, topic: str, event: CloudEvent) -> None:
    """Write ``event`` to the outbox in the caller's transaction; it is published after commit."""
    await conn.execute(_ENQUEUE, *_row(topic, event))


def _row(topic: str, event: CloudEvent) -> tuple[object, ...]:
    key, value, headers = encode(event)
    return topic, key, value, json.dumps([[name, raw.decode()] for name, raw in headers]), CHANNEL


async def publish(conn: Conn, model: Event, source: str) -> CloudEvent:
    """Wrap a payload in an envelope carrying the current trace and enqueue it on its topic."""
    event = from_model(model, source=source, traceparent=current_traceparent())
    await enqueue(conn, model.topic, event)
    return event


async def execute_then_publish(conn: Conn, statement: str, args: tuple[object, ...], model: Event, source: str) -> bool:
    """Run ``statement`` (one data-modifying statement with a RETURNING clause, parameters ``$1`` to
    ``$len(args)``) and publish ``model`` when it returned a row, in ONE statement: atomic without a
    transaction, one round trip instead of BEGIN, statement, outbox row and COMMIT. True if published.
    """
    n = len(args)
    combined = (
        f"WITH done AS ({statement}), queued AS (INSERT INTO outbox (topic, key, value, headers)"
        f" SELECT ${n + 1}, ${n + 2}, ${n + 3}, ${n + 4}::jsonb WHERE EXISTS (SELECT 1 FROM done) RETURNING 1)"
        f" SELECT pg_notify(${n + 5}, '') FROM queued"
    )
    event = from_model(model, source=source, traceparent=current_traceparent())
    status: str = await conn.execute(combined, *args, *_row(model.topic, event))
    return status == "SELECT 1"


class OutboxRelay:
    """Moves rows from a service's outbox table to Kafka, in id order per batch."""

    def __init__(self, pool: asyncpg.Pool, producer: AIOKafkaProducer, service: str, poll_seconds: float = 1.0):
        self.pool = pool
        self.producer = producer
        self.service = service
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self._listener: PoolConnectionProxy | None = None
        #: The LISTEN connection was cut: listen again (on a new connection) before sleeping.
        self._listener_lost = False

    async def run(self) -> None:
        """Relay until :meth:`stop`; publishing errors are logged and retried with backoff."""
        await self._listen()
        backoff = 0.1
        while not self._stopping:
            if self._listener_lost:
                await self._listen_again()
            try:
                moved = await self.relay_once()
                backoff = 0.1
            except Exception as exc:  # the relay must outlive broker and database hiccups
                log.warning("outbox relay failed, retrying", extra={"error": repr(exc)})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if moved < BATCH:
                await self._sleep()
        await self._unlisten()

    async def relay_once(self) -> int:
        """Publish one batch; return how many rows moved."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, topic, key, value, headers FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                BATCH,
            )
            if not rows:
                OUTBOX_DEPTH.labels(self.service).set(0)
                return 0
            futures = [await self._send(row) for row in rows]
            await asyncio.gather(*futures)
            await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", [r["id"] for r in rows])
        OUTBOX_PUBLISHED.labels(self.service).inc(len(rows))
        if len(rows) == BATCH:
            OUTBOX_DEPTH.labels(self.service).set(await self.pool.fetchval("SELECT count(*) FROM outbox"))
        else:
            OUTBOX_DEPTH.labels(self.service).set(0)
        return len(rows)

    async def _send(self, row: asyncpg.Record) -> asyncio.Future[object]:
        """Hand one row to the producer inside a PRODUCER span that continues the row's stored trace;
        the message carries that span's ``traceparent``, so consumers hang under the publish."""
        headers: list[list[str]] = json.loads(row["headers"])
        stored = next((text for name, text in headers if name == "traceparent"), None)
        attributes = {"messaging.system": "kafka", "messaging.destination.name": row["topic"]}
        with producer_span(f"{row['topic']} publish", stored, attributes) as traceparent:
            sent = [(name, text.encode()) for name, text in headers if name != "traceparent"]
            if traceparent:
                sent.append(("traceparent", traceparent.encode()))
            future: asyncio.Future[object] = await self.producer.send(
                row["topic"], value=row["value"], key=row["key"], headers=sent
            )
        return future

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def _sleep(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
        self._wake.clear()

    async def _listen(self) -> None:
        listener = None
        try:
            listener = await self.pool.acquire()
            await session_state.listen(listener, CHANNEL, self._on_notify)
            listener.add_termination_listener(self._on_listener_lost)
        except Exception as exc:  # the database away, or no LISTEN (e.g. a pooler): poll only
            log.warning("outbox LISTEN unavailable, polling only", extra={"error": repr(exc)})
            if listener is not None:
                with contextlib.suppress(Exception):
                    await self.pool.release(listener)
            self._listener = None
            return
        self._listener = listener

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    def _on_listener_lost(self, *_: object) -> None:
        """The LISTEN connection closed under us: no NOTIFY will come on it any more."""
        self._listener_lost = True
        self._wake.set()

    async def _listen_again(self) -> None:
        """Give the dead connection back to the pool and LISTEN on a new one (polling until that works)."""
        dead, self._listener = self._listener, None
        if dead is not None:
            with contextlib.suppress(Exception):
                await self.pool.release(dead)
        await self._listen()
        self._listener_lost = self._listener is None
        if not self._listener_lost:
            log.info("outbox LISTEN restored")

    async def _unlisten(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                self._listener.remove_termination_listener(self._on_listener_lost)
                await self._listener.remove_listener(CHANNEL, self._on_notify)
            await self.pool.release(self._listener)
            self._listener = None
