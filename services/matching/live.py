"""The supporter pool in memory, so deciding on a new question needs no pool query.

Loading a municipality's candidates from PostgreSQL for every question cost more than the decision
itself. A :class:`LivePool` keeps a :class:`~services.matching.domain.SupporterIndex` of the whole
pool instead and stays fresh this way:

- **Profiles** (kinds, domains, languages, municipalities, activity, pauses, organisations): a
  trigger moves ``pool_version`` whenever one changes, in whatever instance or tool. Every decision
  reads that one row first and rebuilds the index when it moved, so a decision never uses a profile
  older than the snapshot the SQL path would have seen.
- **Capacity**: the index counts this instance's own bookings and freed places (the UPDATEs return
  the count), which spreads concurrent decisions over different supporters. Other instances' bookings
  and freed places show only after the next rebuild (at most :data:`REBUILD_SECONDS`), so the index
  is a hint: booking stays guarded in PostgreSQL, a booking that finds no room falls back to fresh
  rows, and so does every decision that is not a plain assignment (a duo, waiting, consultation).
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref

from services.kit.db import Conn
from services.matching import store
from services.matching.domain import SupporterIndex, SupporterRecord
from services.matching.domain.places import NO_PLACES, Places

log = logging.getLogger(__name__)

#: Rebuild at least this often, to pick up places booked and freed by other instances (ranking only).
REBUILD_SECONDS = 30.0

#: Every live pool of this process, so a place freed by any command shows in them at once.
_pools: weakref.WeakSet[LivePool] = weakref.WeakSet()


def note_cases_everywhere(supporter_id: str, active_cases: int) -> None:
    """A booking or a freed place in this process (by any handler): tell every live pool."""
    for pool in _pools:
        pool.note_cases(supporter_id, active_cases)


class LivePool:
    """One instance's in-memory supporter index, rebuilt when ``pool_version`` moves."""

    def __init__(self, rebuild_seconds: float = REBUILD_SECONDS) -> None:
        self.rebuild_seconds = rebuild_seconds
        self.index: SupporterIndex | None = None
        self.version: int | None = None
        self.places: Places | None = None
        self.built_at = 0.0
        self.rebuilds = 0
        self._building = asyncio.Lock()
        _pools.add(self)

    async def current(self, conn: Conn, places: Places = NO_PLACES) -> SupporterIndex | None:
        """The index as of the pool's current version (distances by ``places``), or None when the pool
        cannot be indexed."""
        version = await store.pool_version(conn)
        if self._fresh(version, places):
            return self.index
        async with self._building:
            if not self._fresh(version, places):  # another decision may have rebuilt it meanwhile
                await self._rebuild(conn, version, places)
        return self.index

    def _fresh(self, version: int, places: Places) -> bool:
        return (
            self.version == version
            and self.places is places
            and time.monotonic() - self.built_at < self.rebuild_seconds
        )

    async def _rebuild(self, conn: Conn, version: int, places: Places) -> None:
        supporters = await store.list_supporters(conn)
        organisations = await store.load_organisations(conn)
        try:
            self.index = SupporterIndex(supporters, organisations, places)
        except ValueError as exc:  # e.g. more than 64 languages: decide from SQL rows instead
            log.warning("supporter pool not indexed, matching from the database", extra={"error": str(exc)})
            self.index = None
        self.version = version
        self.places = places
        self.built_at = time.monotonic()
        self.rebuilds += 1

    def note_cases(self, supporter_id: str, active_cases: int) -> None:
        """What the database said a supporter's count is now (after a booking, or on fresh rows)."""
        if self.index is not None and supporter_id in self.index.row_of:
            self.index.set_cases(supporter_id, active_cases)

    def note_rows(self, supporters: list[SupporterRecord]) -> None:
        """Fresh rows loaded for a decision: take over their counts."""
        for s in supporters:
            self.note_cases(s.id, s.active_cases)
