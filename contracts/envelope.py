"""CloudEvents 1.0 on Kafka (binding header names, see ARCHITECTURE.md).

What we publish is binary mode: the JSON payload is the message value; the attributes travel as
headers ``ce_specversion``, ``ce_id``, ``ce_source``, ``ce_type``, ``ce_time``, ``ce_subject``,
``ce_municipality``, plus ``content-type`` and the W3C ``traceparent``. The Kafka key is the
aggregate id (the subject).

What we accept is any valid CloudEvent 1.0 (be strict in what you send, lenient in what you
accept): binary or structured mode (the attributes and ``data`` in one JSON object, with
``content-type: application/cloudevents+json`` or the data's own content type as SDKs send it),
with only the spec's required attributes ``id``, ``source``, ``specversion`` and ``type``.
Without ``subject`` the Kafka key (else the id) stands in; without ``time``, the moment it was
read. Anything else that cannot be read (too large, nested too deep, not UTF-8, not JSON) is an
:class:`InvalidEvent` saying why, never another exception.
"""

from __future__ import annotations

import base64
import binascii
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
STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
#: The attributes the CloudEvents spec requires (as binary-mode headers); ``ce_time`` and ``ce_subject`` are optional.
REQUIRED_HEADERS = ("ce_specversion", "ce_id", "ce_source", "ce_type")
REQUIRED_ATTRIBUTES = ("specversion", "id", "source", "type")
#: The largest message value read (a question is a few kB; a partner's bulk message is not one event).
MAX_EVENT_BYTES = 1024 * 1024

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


def decode(headers: Iterable[tuple[str, bytes]] | None, value: bytes | None, key: bytes | None = None) -> CloudEvent:
    """Read a Kafka message as a CloudEvent (binary or structured mode); raise InvalidEvent saying what is wrong."""
    if value is not None and len(value) > MAX_EVENT_BYTES:
        raise InvalidEvent(f"message of {len(value)} bytes is larger than {MAX_EVENT_BYTES}")
    attrs = header_map(headers)
    if "ce_specversion" not in attrs and _looks_structured(attrs, value):
        return _structured(_json_object(value, "structured CloudEvent"), attrs, key)
    missing = [h for h in REQUIRED_HEADERS if not attrs.get(h)]
    if missing:
        raise InvalidEvent(f"missing CloudEvents header(s): {', '.join(missing)}")
    return _event(
        {name.removeprefix("ce_"): text for name, text in attrs.items() if name.startswith("ce_")},
        _json_object(value, "payload"),
        key,
        traceparent=attrs.get("traceparent"),
    )


def _looks_structured(attrs: dict[str, str], value: bytes | None) -> bool:
    """Structured mode: said by the content type, or (SDKs put the data's content type there) a JSON
    object that carries ``specversion`` itself."""
    if attrs.get("content-type", "").startswith(STRUCTURED_CONTENT_TYPE):
        return True
    head = (value or b"")[:4096].lstrip()
    return head.startswith(b"{") and b'"specversion"' in (value or b"")


def _json_object(value: bytes | None, what: str) -> dict[str, Any]:
    try:
        data = json.loads(value or b"")
    except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than Python can read
        raise InvalidEvent(f"{what} is not JSON: {type(exc).__name__}: {str(exc)[:200]}") from None
    if not isinstance(data, dict):
        raise InvalidEvent(f"{what} must be a JSON object")
    return data


def _structured(envelope: dict[str, Any], attrs: dict[str, str], key: bytes | None) -> CloudEvent:
    """A structured-mode event: attributes and ``data`` (or ``data_base64``) in one JSON object."""
    missing = [name for name in REQUIRED_ATTRIBUTES if not isinstance(envelope.get(name), str) or not envelope[name]]
    if missing:
        raise InvalidEvent(f"missing CloudEvents attribute(s): {', '.join(missing)}")
    if "data_base64" in envelope:
        try:
            raw = base64.b64decode(str(envelope["data_base64"]), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidEvent(f"data_base64 is not base64: {exc}") from None
        data = _json_object(raw, "data")
    elif isinstance(envelope.get("data"), dict):
        data = envelope["data"]
    else:
        raise InvalidEvent("data must be a JSON object")
    texts = {name: str(v) for name, v in envelope.items() if name not in ("data", "data_base64") and v is not None}
    return _event(texts, data, key, traceparent=texts.get("traceparent") or attrs.get("traceparent"))


def _event(attributes: dict[str, str], data: dict[str, Any], key: bytes | None, traceparent: str | None) -> CloudEvent:
    if attributes["specversion"] != SPECVERSION:
        raise InvalidEvent(f"unsupported ce_specversion {attributes['specversion']!r}, expected 1.0")
    subject = attributes.get("subject") or (key or b"").decode("utf-8", "replace") or attributes["id"]
    return CloudEvent(
        id=attributes["id"],
        source=attributes["source"],
        type=attributes["type"],
        time=_time(attributes.get("time")),
        subject=subject,
        municipality=attributes.get("municipality") or None,
        traceparent=traceparent,
        data=data,
    )


def _time(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidEvent(f"ce_time is not RFC 3339: {text!r}") from exc
    if moment.tzinfo is None:
        raise InvalidEvent(f"ce_time is not RFC 3339 (no offset): {text!r}")
    return moment


def parse(event: CloudEvent) -> Event:
    """Validate the payload against the class registered for its ``ce_type``."""
    model = REGISTRY.get(event.type)
    if model is None:
        raise InvalidEvent(f"unknown ce_type {event.type!r}")
    try:
        return model.model_validate(event.data)
    except ValidationError as exc:
        raise InvalidEvent(f"invalid {event.type} payload: {describe_errors(exc)}") from exc
    except (RecursionError, ValueError) as exc:
        raise InvalidEvent(f"invalid {event.type} payload: {type(exc).__name__}") from None


def describe_errors(exc: ValidationError) -> str:
    """One line naming each bad field and why."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}" for e in exc.errors())
