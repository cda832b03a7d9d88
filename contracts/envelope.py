"""CloudEvents 1.0 in Kafka binary mode (binding header names, see ARCHITECTURE.md).

The JSON payload is the message value; the attributes travel as headers ``ce_specversion``,
``ce_id``, ``ce_source``, ``ce_type``, ``ce_time``, ``ce_subject``, ``ce_municipality``, plus
``content-type`` and the W3C ``traceparent``. The Kafka key is the aggregate id (the subject).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from contracts.events import REGISTRY, Event

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
REQUIRED_HEADERS = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject")

Headers = list[tuple[str, bytes]]


class InvalidEvent(ValueError):
    """A message that can never be processed (bad headers, unknown type, invalid payload)."""


@dataclass(frozen=True)
class CloudEvent:
    """One event with its CloudEvents attributes. ``data`` is the JSON payload as a dict."""

    type: str
    source: str
    subject: str
    data: dict[str, Any]
    municipality: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    traceparent: str | None = None
    extra_headers: tuple[tuple[str, bytes], ...] = ()

    @property
    def key(self) -> bytes:
        return self.subject.encode()


def from_model(
    model: Event, *, source: str, municipality: str | None = None, traceparent: str | None = None
) -> CloudEvent:
    """Wrap a payload in an envelope; ``municipality`` defaults to the payload's own field."""
    data = model.model_dump(mode="json")
    return CloudEvent(
        type=model.ce_type,
        source=source,
        subject=model.subject(),
        data=data,
        municipality=municipality or data.get("municipality"),
        traceparent=traceparent,
    )


def encode(event: CloudEvent) -> tuple[bytes, bytes, Headers]:
    """Return ``(key, value, headers)`` ready for a Kafka producer."""
    headers: Headers = [
        ("ce_specversion", SPECVERSION.encode()),
        ("ce_id", event.id.encode()),
        ("ce_source", event.source.encode()),
        ("ce_type", event.type.encode()),
        ("ce_time", rfc3339(event.time).encode()),
        ("ce_subject", event.subject.encode()),
        ("content-type", CONTENT_TYPE.encode()),
    ]
    if event.municipality:
        headers.append(("ce_municipality", event.municipality.encode()))
    if event.traceparent:
        headers.append(("traceparent", event.traceparent.encode()))
    headers.extend(event.extra_headers)
    value = json.dumps(event.data, separators=(",", ":"), ensure_ascii=False).encode()
    return event.key, value, headers


def rfc3339(moment: datetime) -> str:
    """``moment`` as RFC 3339 text; UTC is written as ``Z``. A naive datetime has no offset: refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"ce_time needs a timezone-aware datetime (RFC 3339 requires an offset): {moment!r}")
    return moment.isoformat().replace("+00:00", "Z")


def header_map(headers: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    """Kafka headers as a dict of text; undecodable values are kept with replacement characters."""
    return {k: (v or b"").decode("utf-8", "replace") for k, v in (headers or ())}


def decode(headers: Iterable[tuple[str, bytes]] | None, value: bytes | None) -> CloudEvent:
    """Parse a Kafka message into a CloudEvent; raise InvalidEvent saying what is wrong."""
    attrs = header_map(headers)
    missing = [h for h in REQUIRED_HEADERS if not attrs.get(h)]
    if missing:
        raise InvalidEvent(f"missing CloudEvents header(s): {', '.join(missing)}")
    if attrs["ce_specversion"] != SPECVERSION:
        raise InvalidEvent(f"unsupported ce_specversion {attrs['ce_specversion']!r}, expected 1.0")
    try:
        time = datetime.fromisoformat(attrs["ce_time"].replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidEvent(f"ce_time is not RFC 3339: {attrs['ce_time']!r}") from exc
    if time.tzinfo is None:
        raise InvalidEvent(f"ce_time is not RFC 3339 (no offset): {attrs['ce_time']!r}")
    try:
        data = json.loads(value or b"")
    except ValueError as exc:
        raise InvalidEvent(f"payload is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidEvent("payload must be a JSON object")
    return CloudEvent(
        id=attrs["ce_id"],
        source=attrs["ce_source"],
        type=attrs["ce_type"],
        time=time,
        subject=attrs["ce_subject"],
        municipality=attrs.get("ce_municipality"),
        traceparent=attrs.get("traceparent"),
        data=data,
    )


def parse(event: CloudEvent) -> Event:
    """Validate the payload against the class registered for its ``ce_type``."""
    model = REGISTRY.get(event.type)
    if model is None:
        raise InvalidEvent(f"unknown ce_type {event.type!r}")
    try:
        return model.model_validate(event.data)
    except ValidationError as exc:
        raise InvalidEvent(f"invalid {event.type} payload: {describe_errors(exc)}") from exc


def describe_errors(exc: ValidationError) -> str:
    """One line naming each bad field and why."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}" for e in exc.errors())
