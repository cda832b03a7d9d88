"""A small bounded cache: least recently used entries go first, and every entry expires.

Pure and given its clock, so tests need no sleeps. Not shared between processes.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MISSING = object()


class BoundedCache(Generic[K, V]):
    """At most ``max_size`` entries, each good for ``ttl`` seconds."""

    def __init__(self, max_size: int, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        assert max_size > 0 and ttl > 0
        self.max_size = max_size
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K, default: V | None = None) -> V | None:
        """The value of ``key`` while it is fresh, else ``default`` (an expired entry is dropped)."""
        entry = self._entries.get(key)
        if entry is None:
            return default
        if entry[0] <= self._clock():
            del self._entries[key]
            return default
        self._entries.move_to_end(key)
        return entry[1]

    def __contains__(self, key: object) -> bool:
        return self.get(key, _MISSING) is not _MISSING  # type: ignore[arg-type]

    def put(self, key: K, value: V) -> None:
        self._entries[key] = (self._clock() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_size:
            self._entries.popitem(last=False)

    def discard(self, key: K) -> None:
        self._entries.pop(key, None)
