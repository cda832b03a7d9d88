"""Helpers for matching's integration tests: questions, coordinator keys, events about one question."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from contracts import topics
from contracts.envelope import CloudEvent, encode, from_model, header_map
from contracts.events import Event, QuestionReceived
from services.kit import access, broker
from services.kit.settings import Settings
from tests.support.harness import RunningService, assigned_reader, events_of, read_topic

INTERNAL = {"Authorization": "Bearer test-internal-token"}


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def question(municipality: str, **changes: Any) -> QuestionReceived:
    fields: dict[str, Any] = {
        "question_id": uid("q"),
        "resident_ref": uid("r"),
        "municipality": municipality,
        "life_domains": ["wmo"],
        "preferred_supporter_kind": "any",
        "languages": ["nl"],
        "postcode": "3311",
        "channel": "web",
        "referrer": None,
        "received_at": datetime.now(UTC),
    }
    fields.update(changes)
    return QuestionReceived(**fields)


def envelope(model: Event, source: str = "/samenloket/intake") -> CloudEvent:
    return from_model(model, source=source)


async def publish_all(settings: Settings, models: list[Event], source: str = "/samenloket/intake") -> None:
    """Publish many events with one producer (fast enough for a thousand)."""
    producer = broker.make_producer(settings)
    await producer.start()
    try:
        for model in models:
            key, value, headers = encode(envelope(model, source))
            await producer.send(model.topic, value=value, key=key, headers=headers)
        await producer.flush()
    finally:
        await producer.stop()


async def coordinator_key(
    svc: RunningService, municipality: str | None = None, organisation: str = "regio-overleg"
) -> dict[str, str]:
    """Headers with a fresh coordinator API key of ``organisation`` (limited to ``municipality`` when given).

    A coordinator key manages only its own organisation's supporters (the joint consultation's
    ``regio-overleg`` has none); the internal token (:data:`INTERNAL`) manages every organisation's.
    """
    async with svc.runtime.db.acquire() as conn:
        key = await access.create_key(conn, organisation, ["coordinator"], municipality=municipality)
    return {"Authorization": f"Bearer {key}"}


def supporter_body(municipality: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "supporter_id": uid("s"),
        "name": "Anna de Wit",
        "email": "anna@mee.example",
        "kind": "professional",
        "organisation": "mee",
        "municipalities": [municipality],
        "life_domains": ["wmo", "youth"],
        "languages": ["nl"],
        "capacity": 2,
        "postcode": "3311",
    }
    body.update(changes)
    return body


async def events_about(
    settings: Settings, key: str, ce_type: str, count: int = 1, topic: str = topics.ASSIGNMENTS, timeout: float = 20
) -> list[CloudEvent]:
    """The first ``count`` events of ``ce_type`` with Kafka key ``key`` (waits until there are that many)."""
    raw = key.encode()

    def enough(records: list[Any]) -> bool:
        mine = [r for r in records if r.key == raw and header_map(r.headers).get("ce_type") == ce_type]
        return len(mine) >= count

    records = await read_topic(settings, topic, until=enough, timeout=timeout)
    return events_of([r for r in records if r.key == raw], ce_type)


async def types_about(settings: Settings, key: str, until_type: str, topic: str = topics.ASSIGNMENTS) -> list[str]:
    """The ce_types of every event with Kafka key ``key``, in order, once ``until_type`` is among them."""
    raw = key.encode()
    records = await read_topic(
        settings,
        topic,
        until=lambda rs: any(r.key == raw and header_map(r.headers).get("ce_type") == until_type for r in rs),
    )
    return [header_map(r.headers)["ce_type"] for r in records if r.key == raw]


async def events_so_far(
    settings: Settings, key: str, ce_type: str, topic: str = topics.ASSIGNMENTS
) -> list[CloudEvent]:
    """Every event of ``ce_type`` with Kafka key ``key`` on ``topic`` up to its current end (wait until the
    producer's outbox is empty first, so that "none" means none)."""
    consumer = await assigned_reader(settings, topic)
    records: list[Any] = []
    try:
        ends = await consumer.end_offsets(list(consumer.assignment()))
        async with asyncio.timeout(20):
            while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                for batch in (await consumer.getmany(timeout_ms=200)).values():
                    records.extend(batch)
    finally:
        await consumer.stop()
    return events_of([r for r in records if r.key == key.encode()], ce_type)
