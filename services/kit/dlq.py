"""Dead-letter topics for operators: list what sits in ``<topic>.dlq`` and replay it.

A consumer dead-letters a message with ``dlq_*`` headers saying why and where from
(services/kit/messaging/reliability.py). :func:`replay` republishes each dead letter to its original topic
without those headers and with ``dlq_replayed_at``; its progress is the committed offset of the
consumer group ``samenloket-dlq-replay``, so a second replay sends nothing twice. Consumers' inboxes
make a replay of an already handled event harmless. :func:`list_dead_letters` shows the headers
only: the payload may hold personal data (the inbound referral topic).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from contracts.topics import DLQ_SUFFIX, dlq
from services.kit import broker
from services.kit.messaging.deadletters import VALUE_OMITTED
from services.kit.settings import Settings

REPLAY_GROUP = "samenloket-dlq-replay"
REPLAYED_AT = "dlq_replayed_at"


def topics_of(topic: str) -> tuple[str, str]:
    """``(original, dead-letter)`` names, whichever of the two was given."""
    original = topic.removesuffix(DLQ_SUFFIX)
    return original, dlq(original)


def headers_of(record: ConsumerRecord) -> dict[str, str]:
    return {name: raw.decode(errors="replace") for name, raw in (record.headers or ())}


def replay_headers(record: ConsumerRecord, now: datetime) -> list[tuple[str, bytes]]:
    """The message's own headers without the ``dlq_*`` ones, plus when it was replayed."""
    kept = [(name, raw) for name, raw in (record.headers or ()) if not name.startswith("dlq_")]
    return [*kept, (REPLAYED_AT, now.isoformat().encode())]


def describe(record: ConsumerRecord) -> dict[str, Any]:
    """What an operator needs to decide about a dead letter, without its payload."""
    headers = headers_of(record)
    return {
        "dlq_partition": record.partition,
        "dlq_offset": record.offset,
        "type": headers.get("ce_type"),
        "event_id": headers.get("ce_id"),
        "reason": headers.get("dlq_reason"),
        "exception": headers.get("dlq_exception_type"),
        "consumer": headers.get("dlq_consumer"),
        "original_topic": headers.get("dlq_original_topic"),
        "original_partition": _int(headers.get("dlq_original_partition")),
        "original_offset": _int(headers.get("dlq_original_offset")),
        "attempts": _int(headers.get("dlq_attempts")),
        "value_omitted": headers.get(VALUE_OMITTED),
    }


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


async def _reader(
    settings: Settings, topic: str, group: str | None
) -> tuple[AIOKafkaConsumer, dict[TopicPartition, int]]:
    """A consumer assigned every partition of ``topic`` (no group join), and each partition's end."""
    consumer = AIOKafkaConsumer(
        **broker.client_options(settings),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        await consumer._client.force_metadata_update()  # the first metadata may predate the topic
        partitions = consumer.partitions_for_topic(topic) or set()
    assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(assigned)
    if group is None:
        await consumer.seek_to_beginning()
    ends: dict[TopicPartition, int] = await consumer.end_offsets(assigned) if assigned else {}
    return consumer, ends


async def _until_end(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> list[ConsumerRecord]:
    """The next batch, or an empty list once every partition is read up to where it ended at the start."""
    remaining = {tp for tp, end in ends.items() if await consumer.position(tp) < end}
    if not remaining:
        return []
    batch = await consumer.getmany(*remaining, timeout_ms=1000)
    return sorted(
        (r for tp, records in batch.items() for r in records if r.offset < ends[tp]),
        key=lambda r: (r.partition, r.offset),
    )


async def list_dead_letters(settings: Settings, topic: str) -> list[dict[str, Any]]:
    """Every message now in the dead-letter topic of ``topic``, described by its headers."""
    _, dead = topics_of(topic)
    consumer, ends = await _reader(settings, dead, None)
    found: list[dict[str, Any]] = []
    try:
        while batch := await _until_end(consumer, ends):
            found.extend(describe(r) for r in batch)
    finally:
        await consumer.stop()
    return found


#: Opens a dead letter's value for replay (a sealed one), or None when it can no longer be opened.
Opener = Callable[[ConsumerRecord], Awaitable[bytes | None]]


async def _as_sent(record: ConsumerRecord) -> bytes | None:
    return record.value


async def replay(
    settings: Settings, topic: str, limit: int | None = None, dry_run: bool = False, opener: Opener = _as_sent
) -> dict[str, Any]:
    """Republish dead letters not replayed before to their original topic; count replayed and skipped.

    A dead letter whose ``dlq_original_topic`` names another topic than this DLQ's is skipped (and
    counted), never sent elsewhere; so is one that ``opener`` can no longer open (a sealed letter whose
    key was erased or expired) and one sent without its value (too large). A dry run sends and commits
    nothing: it counts what would go.
    """
    original, dead = topics_of(topic)
    consumer, ends = await _reader(settings, dead, REPLAY_GROUP)
    producer = broker.make_producer(settings)
    await producer.start()
    replayed = skipped = 0
    try:
        while (limit is None or replayed < limit) and (batch := await _until_end(consumer, ends)):
            for record in batch:
                if limit is not None and replayed >= limit:
                    break
                headers = headers_of(record)
                target = headers.get("dlq_original_topic", original)
                value = await opener(record) if target == original and VALUE_OMITTED not in headers else None
                if value is None:
                    skipped += 1
                elif not dry_run:
                    await producer.send_and_wait(
                        original, value=value, key=record.key, headers=replay_headers(record, datetime.now(UTC))
                    )
                    replayed += 1
                else:
                    replayed += 1
                if not dry_run:
                    await consumer.commit({TopicPartition(dead, record.partition): record.offset + 1})
    finally:
        await producer.stop()
        await consumer.stop()
    result: dict[str, Any] = {"replayed": replayed, "skipped": skipped}
    if dry_run:
        result["dry_run"] = True
    return result
