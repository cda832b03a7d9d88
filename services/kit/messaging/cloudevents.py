"""CloudEvents binary mode as FastStream reads it: one parser and one decoder for every subscriber.

The parser tolerates anything a partner may put on a topic (header bytes that are not UTF-8 are
read with replacement characters), so a bad message always reaches the reliability middleware and
goes to the dead-letter topic instead of being skipped. The decoder validates the payload against
the class registered for its ``ce_type``; both results are cached on the message, so the middleware
and the handler decode once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import ConsumerRecord
from faststream.message import StreamMessage

from contracts.envelope import CloudEvent, InvalidEvent, decode, parse
from contracts.events import Event

_DECODED = "_samenloket_cloud_event"

Delivery = tuple[CloudEvent, Event]


async def parse_record(
    record: ConsumerRecord, original: Callable[[ConsumerRecord], Awaitable[StreamMessage[Any]]]
) -> StreamMessage[Any]:
    """FastStream's own Kafka parser, fed headers it can always read; the raw record stays the original."""
    headers = record.headers or ()
    readable = all(_is_text(value) for _, value in headers)
    message = await original(record if readable else _with_readable_headers(record))
    message.raw_message = record  # dead letters carry the bytes exactly as they came
    return message


def _is_text(value: bytes | None) -> bool:
    try:
        (value or b"").decode()
    except UnicodeDecodeError:
        return False
    return True


def _with_readable_headers(record: ConsumerRecord) -> ConsumerRecord:
    headers = tuple((name, (value or b"").decode("utf-8", "replace").encode()) for name, value in record.headers)
    copy = dataclasses.replace(record, headers=headers)
    if hasattr(record, "consumer"):  # FastStream's concurrent subscriber tags the record with its consumer
        copy.consumer = record.consumer
    return copy


def delivery(message: StreamMessage[Any]) -> Delivery:
    """The message as a CloudEvent and its validated payload; raises InvalidEvent (cached) when it is neither."""
    cached = message.__dict__.get(_DECODED)
    if cached is None:
        record: ConsumerRecord = message.raw_message
        try:
            event = decode(record.headers, record.value, record.key)
            cached = (event, parse(event))
        except InvalidEvent as exc:
            cached = exc
        except Exception as exc:  # whatever else a message can do to a decoder: a dead letter, never a stop
            cached = InvalidEvent(f"undecodable message: {type(exc).__name__}: {str(exc)[:200]}")
        message.__dict__[_DECODED] = cached
    if isinstance(cached, InvalidEvent):
        raise cached
    return cached


async def decode_payload(message: StreamMessage[Any]) -> Event:
    """FastStream decoder: the handler's argument is the payload instance of the event's own class."""
    return delivery(message)[1]


def event_type(message: StreamMessage[Any]) -> str:
    """The event's type, what subscribers filter on: from the decoded envelope (binary or structured
    mode alike), else the ``ce_type`` header of a message that cannot be decoded (its handler's
    middleware dead-letters it)."""
    try:
        return delivery(message)[0].type
    except InvalidEvent:
        return str(message.headers.get("ce_type", ""))
