"""Signed webhooks (pure, no I/O): the body partners receive, its signature, and how to check it.

A delivery is one HTTP POST of the CloudEvent in JSON *structured* mode (CloudEvents 1.0 JSON format)::

    Content-Type: application/cloudevents+json
    X-Samenloket-Event-Id: <the CloudEvent id; the same on every retry: use it to skip duplicates>
    X-Samenloket-Timestamp: <unix seconds when this attempt was signed>
    X-Samenloket-Signature: v1=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>

``body`` is the exact bytes of the request body. A receiver recomputes the HMAC with its secret
(shown once by ``PUT /api/v1/webhooks`` on intake), compares it in constant time, and refuses a
timestamp older (or newer) than five minutes, so a recorded request cannot be replayed later.
:func:`verify` does all of that and is written so a partner can copy it: it needs only the standard
library.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Final

from contracts.envelope import SPECVERSION, CloudEvent, rfc3339
from services.kit.http import same_secret

CONTENT_TYPE: Final = "application/cloudevents+json"
EVENT_ID_HEADER: Final = "X-Samenloket-Event-Id"
TIMESTAMP_HEADER: Final = "X-Samenloket-Timestamp"
SIGNATURE_HEADER: Final = "X-Samenloket-Signature"
SCHEME: Final = "v1"
DEFAULT_TOLERANCE_SECONDS: Final = 300


def structured(event: CloudEvent) -> bytes:
    """The CloudEvent in JSON structured mode, as compact UTF-8 JSON."""
    document: dict[str, object] = {
        "specversion": SPECVERSION,
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "time": rfc3339(event.time),
        "subject": event.subject,
        "datacontenttype": "application/json",
    }
    if event.municipality:
        document["municipality"] = event.municipality  # the CloudEvents extension attribute
    document["data"] = event.data
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """``v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``."""
    message = str(timestamp).encode() + b"." + body
    return f"{SCHEME}=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(event: CloudEvent, secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The headers of one delivery attempt, signed at ``now`` (default: the current time)."""
    timestamp = int(time.time() if now is None else now)
    return {
        "Content-Type": CONTENT_TYPE,
        EVENT_ID_HEADER: event.id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    timestamp: str | int,
    body: bytes | str,
    signature_header: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when ``signature_header`` signs ``timestamp`` + ``body`` with ``secret`` and is fresh.

    For partners: pass the raw request body (bytes, before any JSON parsing), the values of the
    ``X-Samenloket-Timestamp`` and ``X-Samenloket-Signature`` headers, and your webhook secret.
    The header may hold several comma-separated ``v1=`` values; one valid value is enough.
    """
    try:
        signed_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - signed_at) > tolerance:
        return False
    raw = body.encode() if isinstance(body, str) else body
    expected = signature(secret, signed_at, raw)
    offered = [part.strip() for part in signature_header.split(",")]
    return any(same_secret(part, expected) for part in offered)


# --- outcome of a delivery attempt ------------------------------------------------------------------

#: Answers after which another attempt may succeed: timeouts, rate limits and server errors.
TRANSIENT_STATUSES: Final = frozenset({408, 425, 429})


def is_success(status: int) -> bool:
    return 200 <= status < 300


def is_transient(status: int) -> bool:
    """5xx, 408, 425 and 429 are worth retrying; any other non-2xx answer (4xx, 3xx) is final.

    Redirects are not followed (the registered URL is the one we sign for), so a 3xx is final too.
    """
    return status >= 500 or status in TRANSIENT_STATUSES
