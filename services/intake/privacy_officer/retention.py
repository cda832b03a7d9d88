"""Retention: a resident is erased a set number of years after their last question ended.

``SAMENLOKET_RETENTION_YEARS`` (default 2; 0 turns it off) is the storage limitation of AVG art. 5(1)(e)
made concrete. A resident is due when none of their questions is open (every one is ``closed`` or
``withdrawn``) and nothing about them changed for that many years: not a question (its last status
change, which for an ended question is when it ended) and not their own record (a new submission or a
change of how they are reached). A background loop of intake looks every
``SAMENLOKET_RETENTION_CHECK_SECONDS`` (default an hour) and erases the residents due through the
erasure of a privacy officer's request (:func:`services.intake.privacy.erase_resident`): the same
transaction, ``ResidentErasureRequested`` so every service erases its part, and an audit row with
actor ``retention`` and purpose ``retention``.

Several intake instances may run the loop: a session advisory lock lets one pass run at a time, and
each resident is erased in a transaction of its own (a resident erased meanwhile is skipped). At most
:data:`MAX_PER_PASS` residents go in one pass, so a wrongly set retention shows in the log (and can be
stopped) before it has erased everyone; the next pass goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from services.intake.privacy import erase_resident
from services.kit import session_state
from services.kit.runtime import Runtime

log = logging.getLogger(__name__)

ACTOR: Final = "retention"
#: The advisory lock of one retention pass at a time.
LOCK: Final = "intake/retention"
BATCH: Final = 100
MAX_PER_PASS: Final = 1000

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def cutoff(now: datetime, years: int) -> datetime:
    """The same moment ``years`` calendar years earlier (29 February becomes 28 February)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


DUE = """
SELECT r.resident_ref::text AS ref FROM residents r
WHERE r.updated_at < $1
  AND NOT EXISTS (
      SELECT 1 FROM questions q WHERE q.resident_ref = r.resident_ref
      AND (q.status NOT IN ('closed', 'withdrawn') OR q.updated_at >= $1))
ORDER BY r.resident_ref
LIMIT $2
"""


class Retention:
    """Erases the residents whose retention has passed (:meth:`run_once`), now and then (:meth:`run_retention`)."""

    def __init__(self, rt: Runtime, years: int, every_seconds: float, clock: Clock = utc_now) -> None:
        self.rt = rt
        self.years = years
        self.every_seconds = every_seconds
        #: Tests set their own clock: "now" decides who is due (the erasure itself is stamped as it happens).
        self.clock = clock

    async def run_once(self) -> int:
        """Erase the residents due now (at most :data:`MAX_PER_PASS`); how many were erased."""
        if self.years <= 0:
            return 0
        limit = cutoff(self.clock(), self.years)
        erased = 0
        async with self.rt.db.acquire() as conn:
            if not await session_state.try_lock(conn, LOCK):
                return 0  # another instance runs a pass now
            try:
                while erased < MAX_PER_PASS:
                    refs = [r["ref"] for r in await conn.fetch(DUE, limit, min(BATCH, MAX_PER_PASS - erased))]
                    if not refs:
                        break
                    for ref in refs:
                        async with conn.transaction():
                            done = await erase_resident(
                                conn, self.rt.source, ref, actor=ACTOR, actor_kind="internal", purpose="retention"
                            )
                        erased += done is not None
                    if len(refs) < BATCH:
                        break
            finally:
                await session_state.unlock(conn, LOCK)
        if erased:
            log.info("residents erased after the retention", extra={"count": erased, "years": self.years})
        return erased

    async def run_retention(self) -> None:
        """A pass now and then until cancelled; a failed pass is logged and the next one tries again."""
        if self.years <= 0:
            log.info("retention is off (SAMENLOKET_RETENTION_YEARS=0): residents are erased on request only")
            await asyncio.Event().wait()  # a loop that ended would stop the process (the runtime's watchdog)
        log.info("retention: residents are erased after the years given", extra={"years": self.years})
        while True:
            try:
                await self.run_once()
            except Exception as exc:
                log.warning("retention pass failed", extra={"error": repr(exc)})
            await asyncio.sleep(self.every_seconds)
