"""Run a service in the test's event loop against real infrastructure, and read what it published."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from fastapi import FastAPI

from contracts.envelope import CloudEvent, decode, encode
from services.kit import broker
from services.kit.runtime import Runtime, create_app, load_spec
from services.kit.settings import Settings


@dataclass
class RunningService:
    app: FastAPI
    runtime: Runtime[Any]
    client: httpx.AsyncClient


@asynccontextmanager
async def run_service(
    name: str, settings: Settings, prepare: Callable[[Runtime[Any]], None] | None = None
) -> AsyncIterator[RunningService]:
    """Start service ``name`` (migrations, relay, consumers) and give an HTTP client for its app.

    ``prepare`` may change the runtime's container before anything starts (e.g. give a loop the test's clock).
    """
    await broker.create_topics(settings)
    app = create_app(load_spec(name), settings)
    runtime: Runtime[Any] = app.state.runtime
    stopped: list[str] = []
    runtime.on_fatal = stopped.append  # in a test, a part that stops by itself fails the test, not the process
    if prepare is not None:
        prepare(runtime)
    await runtime.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{name}.test") as client:
            yield RunningService(app, runtime, client)
    finally:
        await runtime.stop()
    assert not stopped, f"{name}: parts stopped by themselves: {stopped}"


async def publish(settings: Settings, topic: str, event: CloudEvent) -> None:
    """Publish one event on ``topic`` as a partner system would."""
    producer = broker.make_producer(settings)
    await producer.start()
    try:
        key, value, headers = encode(event)
        await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def publish_raw(
    settings: Settings, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]
) -> None:
    producer = broker.make_producer(settings)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def read_topic(
    settings: Settings,
    topic: str,
    until: Callable[[list[ConsumerRecord]], bool],
    timeout: float = 20.0,
) -> list[ConsumerRecord]:
    """Read ``topic`` from the beginning until ``until(records)`` holds; fail the test on time-out."""
    consumer = await assigned_reader(settings, topic)
    records: list[ConsumerRecord] = []
    try:
        async with asyncio.timeout(timeout):
            while not until(records):
                batch = await consumer.getmany(timeout_ms=200)
                for messages in batch.values():
                    records.extend(messages)
    except TimeoutError:
        raise AssertionError(f"{topic}: condition not met within {timeout}s; read {len(records)} records") from None
    finally:
        await consumer.stop()
    return records


async def assigned_reader(settings: Settings, topic: str) -> AIOKafkaConsumer:
    """A group-less consumer of every partition from the beginning (a group join costs seconds)."""
    consumer = AIOKafkaConsumer(**broker.client_options(settings), enable_auto_commit=False)
    await consumer.start()
    partitions = consumer.partitions_for_topic(topic) or set()
    if not partitions:
        await consumer._client.force_metadata_update()  # the first metadata may predate the topic
        partitions = consumer.partitions_for_topic(topic) or set()
    consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
    await consumer.seek_to_beginning()
    return consumer


def consumers_of(runtime: Runtime[Any]) -> list[AIOKafkaConsumer]:
    """The aiokafka consumers FastStream runs for every subscriber of a started service."""
    found: list[AIOKafkaConsumer] = []
    for router in runtime.routers:
        for sub in router.subscribers:
            found.extend(getattr(sub, "consumer_subgroup", None) or [getattr(sub, "consumer", None)])
    return [c for c in found if c is not None]


def owns_partitions(service: RunningService) -> bool:
    """Whether every consumer of the service has partitions (with one consumer per group: each group does)."""
    return all(bool(c.assignment()) for c in consumers_of(service.runtime))


def events_of(records: list[ConsumerRecord], ce_type: str) -> list[CloudEvent]:
    """Decode the records of one ``ce_type``."""
    decoded = [decode(r.headers, r.value) for r in records]
    return [e for e in decoded if e.type == ce_type]


async def eventually(check: Callable[[], object], timeout: float = 20.0, interval: float = 0.1) -> object:
    """Poll an (async or sync) check until it returns something truthy."""
    async with asyncio.timeout(timeout):
        while True:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return result
            await asyncio.sleep(interval)
