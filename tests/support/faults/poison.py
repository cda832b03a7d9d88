"""Poison: messages no consumer can ever read, of every kind the issue names, for any topic.

Each carries its own id as Kafka key and in the header :data:`MARK`, which a dead letter keeps (the
kit copies the original headers and key), so the suite can tell the poison in a DLQ from anything
else that landed there.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from contracts.envelope import CONTENT_TYPE, MAX_EVENT_BYTES
from contracts.events import REGISTRY
from services.kit import broker
from services.kit.settings import Settings

MARK = "x-fault-poison"
#: Nested deeper than Python's parser goes (issue 14, row 1: 200,000 deep stopped a consumer for good).
DEPTH = 200_000
KINDS = (
    "invalid_json",
    "deep_nesting",
    "unknown_type",
    "missing_headers",
    "wrong_content_type",
    "huge",
    "not_utf8",
)


@dataclass(frozen=True)
class Poison:
    id: str
    topic: str
    kind: str
    #: The scenario that sent it.
    tag: str = ""


def ce_type_on(topic: str) -> str:
    """A registered event type of ``topic`` (so that a reader cannot tell poison by its type alone)."""
    return next(model.ce_type for model in REGISTRY.values() if model.topic == topic)


def message(poison: Poison) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """``(key, value, headers)`` of one poison message."""
    mark = [(MARK, poison.id.encode())]
    ce = [
        ("ce_specversion", b"1.0"),
        ("ce_id", poison.id.encode()),
        ("ce_source", b"/fault-suite/poison"),
        ("ce_type", ce_type_on(poison.topic).encode()),
        ("ce_subject", poison.id.encode()),
        ("content-type", CONTENT_TYPE.encode()),
    ]
    key = poison.id.encode()
    match poison.kind:
        case "invalid_json":
            return key, b'{"question_id": "q-1", "municipality": ', ce + mark
        case "deep_nesting":
            return key, b'{"a": ' + b"[" * DEPTH + b"]" * DEPTH + b"}", ce + mark
        case "unknown_type":
            headers = [(k, b"nl.samenloket.fault.unknown.v1" if k == "ce_type" else v) for k, v in ce]
            return key, b'{"question_id": "q-1"}', headers + mark
        case "missing_headers":
            return key, b'{"question_id": "q-1"}', [("content-type", CONTENT_TYPE.encode()), *mark]
        case "wrong_content_type":
            headers = [(k, b"application/xml" if k == "content-type" else v) for k, v in ce]
            return key, b"<vraag><gemeente>GM0505</gemeente></vraag>", headers + mark
        case "huge":
            filler = "x" * (MAX_EVENT_BYTES + 1024)
            return key, json.dumps({"question_id": "q-1", "filler": filler}).encode(), ce + mark
        case "not_utf8":
            return key, b'{"question_id": "\xff\xfe\xfa"}', ce + mark
    raise ValueError(f"unknown poison kind {poison.kind!r}")


def burst(topic_names: list[str], tag: str) -> list[Poison]:
    """One poison of every kind for every topic."""
    return [
        Poison(f"poison-{tag}-{kind}-{uuid.uuid4().hex[:8]}", topic, kind, tag)
        for topic in topic_names
        for kind in KINDS
    ]


async def send(settings: Settings, poisons: list[Poison]) -> None:
    """Publish every poison and wait for the broker's acknowledgements (large messages allowed)."""
    producer: AIOKafkaProducer = broker.make_producer(settings, max_request_size=8 * 1024 * 1024)
    await producer.start()
    try:
        sent = []
        for poison in poisons:
            key, value, headers = message(poison)
            sent.append(await producer.send(poison.topic, value=value, key=key, headers=headers))
        for future in sent:
            await future
    finally:
        await producer.stop()
