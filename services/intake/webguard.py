"""Guards of the resident forms: CSRF tokens (signed double submit) and a per-client rate limit.

Both are pure and take their clock as an argument, so tests need no sleeps.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

_CSRF_CONTEXT: Final = b"samenloket/intake/web-csrf/v1"
#: How long a form may stay open before it must be loaded again (a resident may take their time).
CSRF_MAX_AGE_SECONDS: Final = 24 * 3600


def csrf_key(secret: str) -> bytes:
    """The HMAC key of the form tokens, derived from ``secret`` (the internal token).

    Without a secret (a bare development run) a random key per process is used: tokens then stop
    being valid on restart, which only means a resident reloads the form.
    """
    if not secret:
        return secrets.token_bytes(32)
    return hmac.new(secret.encode(), _CSRF_CONTEXT, hashlib.sha256).digest()


class CsrfTokens:
    """Signed double-submit tokens: ``<issued>.<nonce>.<hmac>``, in a cookie and a hidden field.

    A POST is admitted only when the cookie and the field carry the same token and its signature
    and age are good. Another site can neither read the cookie nor set one for this site (the
    signature stops planted cookies), and the cookie is SameSite=Strict besides.
    """

    def __init__(
        self, key: bytes, max_age: float = CSRF_MAX_AGE_SECONDS, clock: Callable[[], float] = time.time
    ) -> None:
        self._key = key
        self.max_age = max_age
        self._clock = clock

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()

    def issue(self) -> str:
        body = f"{int(self._clock())}.{secrets.token_urlsafe(18)}"
        return f"{body}.{self._sign(body)}"

    def valid(self, token: str | None) -> bool:
        if not token or len(token) > 200:
            return False
        body, _, signature = token.rpartition(".")
        issued, _, nonce = body.partition(".")
        if not (issued.isdigit() and nonce and signature):
            return False
        if not hmac.compare_digest(signature, self._sign(body)):
            return False
        age = self._clock() - int(issued)
        return -60 <= age <= self.max_age

    def check(self, cookie: str | None, submitted: str | None) -> bool:
        """True when the form's token equals the cookie's and is genuine and fresh."""
        if not cookie or not submitted:
            return False
        return hmac.compare_digest(cookie.encode(), submitted.encode()) and self.valid(cookie)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per client: ``limit`` submissions per ``window`` seconds, refilled steadily.

    In memory, per process: with several instances a client gets the limit at each of them, which
    is still a limit. Full buckets are forgotten when many clients are tracked, so memory stays bounded.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 50_000,
    ) -> None:
        self.limit = limit
        self.rate = limit / window
        self._clock = clock
        self._max_clients = max_clients
        self._buckets: dict[str, _Bucket] = {}

    def _level(self, bucket: _Bucket, now: float) -> float:
        return min(self.limit, bucket.tokens + (now - bucket.updated) * self.rate)

    def take(self, client: str) -> int:
        """Use one submission of ``client``: 0 when allowed, else the seconds to wait (at least 1)."""
        now = self._clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            self._forget_idle(now)
            bucket = self._buckets[client] = _Bucket(float(self.limit), now)
        bucket.tokens, bucket.updated = self._level(bucket, now), now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0
        return max(1, math.ceil((1 - bucket.tokens) / self.rate))

    def _forget_idle(self, now: float) -> None:
        if len(self._buckets) < self._max_clients:
            return
        for client in [c for c, b in self._buckets.items() if self._level(b, now) >= self.limit]:
            del self._buckets[client]
        if len(self._buckets) >= self._max_clients:  # all busy: drop the oldest rather than grow
            oldest = min(self._buckets, key=lambda c: self._buckets[c].updated)
            del self._buckets[oldest]
