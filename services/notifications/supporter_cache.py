"""Supporters' contact details, kept for a short while (matching owns them; residents' are never kept).

Every SupporterAssigned needs the supporter's name, address and organisation, and a handful of
supporters get most cases: asking matching each time was one HTTP round trip per mail. The cache:

- holds only supporters' details (a professional's work address), in memory, never residents':
  :meth:`CachedContacts.resident` always asks intake, and nothing of it is kept after the delivery;
- forgets a supporter as soon as matching announces a change of them (SupporterUpdated names
  ``email`` or ``name`` when those changed, SupporterRegistered a new one): the ``supporters``
  subscriber calls :meth:`forget` and sends a NOTIFY on :data:`CHANNEL`, so every notifications
  process (each has its own cache, one of them consumes the event) forgets them too;
- caches nothing while its process cannot hear those NOTIFYs (before LISTEN works, and after the
  LISTEN connection was cut until it works again: then it starts empty);
- keeps an entry at most :data:`TTL_SECONDS` (a safety net for changes that are not announced, such as
  an organisation's new name) and at most :data:`MAX_ENTRIES` entries (least recently used go first);
- does not keep an answer fetched while a change arrived (it may predate the change).

"Not found" is never cached: a supporter registered a moment later is found at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from contracts.envelope import CloudEvent
from contracts.events import SupporterRegistered, SupporterUpdated
from services.kit import session_state
from services.kit.db import Conn
from services.notifications.contacts import ContactDirectory
from services.notifications.domain import ResidentContact, SupporterContact

log = logging.getLogger(__name__)

#: The NOTIFY channel on which a changed supporter's id reaches every notifications process.
CHANNEL = "samenloket_notifications_supporter"
TTL_SECONDS = 60.0
MAX_ENTRIES = 1000
#: Pause before listening again after the LISTEN connection could not be had.
RELISTEN_SECONDS = 1.0

SupporterChange = SupporterRegistered | SupporterUpdated


class CachedContacts:
    """A :class:`ContactDirectory` that keeps supporters' details (see the module docstring)."""

    def __init__(
        self,
        inner: ContactDirectory,
        *,
        ttl: float = TTL_SECONDS,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        #: Caching only while changes can reach this process (see :class:`SupporterChanges`).
        self.listening = False
        self._entries: OrderedDict[str, tuple[float, SupporterContact]] = OrderedDict()
        #: Counts forgets: an answer fetched while it changed may be older than the change.
        self._generation = 0

    async def resident(self, question_id: str) -> ResidentContact | None:
        """Always asked of intake: residents' personal data is not kept beyond the one delivery."""
        return await self.inner.resident(question_id)

    async def supporter(self, supporter_id: str) -> SupporterContact | None:
        now = self.clock()
        found = self._entries.get(supporter_id)
        if found is not None and self.listening and now - found[0] < self.ttl:
            self._entries.move_to_end(supporter_id)
            return found[1]
        generation = self._generation
        contact = await self.inner.supporter(supporter_id)
        if contact is not None and self.listening and generation == self._generation:
            self._entries[supporter_id] = (now, contact)
            self._entries.move_to_end(supporter_id)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return contact

    def cached(self, supporter_id: str) -> bool:
        """Whether the supporter's details are held now (for tests and operators)."""
        return supporter_id in self._entries

    def forget(self, supporter_id: str) -> None:
        self._generation += 1
        self._entries.pop(supporter_id, None)

    def clear(self) -> None:
        self._generation += 1
        self._entries.clear()

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def on_supporter_changed(self, conn: Conn, event: CloudEvent, payload: SupporterChange) -> None:
        """The ``supporters`` subscriber's handler (transactional): forget the supporter here and, by a
        NOTIFY sent at commit, in every notifications process."""
        self.forget(payload.supporter_id)
        await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, payload.supporter_id)


class SupporterChanges:
    """Listens on :data:`CHANNEL` and forgets the supporters named; the cache works only while it listens."""

    def __init__(self, pool: asyncpg.Pool, cache: CachedContacts) -> None:
        self.pool = pool
        self.cache = cache
        self._lost = asyncio.Event()

    async def run(self) -> None:
        """Listen until cancelled; a cut connection empties the cache until listening works again."""
        while True:
            listener = await self._listen()
            if listener is None:
                await asyncio.sleep(RELISTEN_SECONDS)
                continue
            try:
                await self._lost.wait()
            finally:
                self.cache.listening = False
                self.cache.clear()
                with contextlib.suppress(Exception):
                    listener.remove_termination_listener(self._on_lost)
                    await listener.remove_listener(CHANNEL, self._on_notify)
                with contextlib.suppress(Exception):
                    await self.pool.release(listener)
            log.warning("supporter changes: LISTEN connection lost; supporters' details are fetched each time")

    async def _listen(self) -> PoolConnectionProxy | None:
        listener = None
        self._lost.clear()  # before the termination listener is added: a cut right after it counts
        try:
            listener = await self.pool.acquire()
            await session_state.listen(listener, CHANNEL, self._on_notify)
            listener.add_termination_listener(self._on_lost)
        except Exception as exc:  # the database away, or no LISTEN (a pooler): no cache meanwhile
            log.warning("supporter changes: LISTEN unavailable", extra={"error": repr(exc)})
            if listener is not None:
                with contextlib.suppress(Exception):
                    await self.pool.release(listener)
            return None
        self.cache.clear()
        self.cache.listening = True
        return listener

    def _on_notify(self, _conn: object, _pid: int, _channel: str, supporter_id: object) -> None:
        self.cache.forget(str(supporter_id))

    def _on_lost(self, *_: object) -> None:
        self.cache.listening = False
        self._lost.set()
