"""A per-client rate limit for forms anyone may post (a token bucket, in memory, per process).

Pure and given its clock, so tests need no sleeps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


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
