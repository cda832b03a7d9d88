"""The promise "contact within 3 working days" kept: hear first contacts, and notice late ones.

- :func:`on_first_contact_made` remembers each FirstContactMade (from the assignments topic) in
  matching's own table, whoever recorded it.
- :class:`FirstContactWatch` is a background loop: on start and then every few minutes it looks for
  open assignments without first contact and publishes FirstContactOverdue once per stage: a
  ``reminder`` (to the supporter) after 2 working days, an ``escalation`` (to the coordinator of the
  supporter's organisation) after 3 (:mod:`services.matching.domain.workdays`). Each notice is claimed
  by a row keyed (assignment, stage) in the transaction that writes the event to the outbox, so two
  instances never send one twice. When the watch was away long enough for both stages to be due,
  both go out: the supporter still needs the reminder.
- :func:`late_assignments` lists what the coordinators' page flags as *te laat*.

Its clock is given (``clock``), so tests move time instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from contracts.envelope import CloudEvent
from contracts.events import FirstContactMade, FirstContactOverdue
from services.kit.db import Conn, Database
from services.kit.outbox import publish
from services.kit.workdays import working_days_between
from services.matching.domain.workdays import ESCALATION_AFTER, REMINDER_AFTER, due_stages
from services.matching.store import first_contact as store

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


async def on_first_contact_made(conn: Conn, event: CloudEvent, payload: FirstContactMade) -> None:
    """Remember the first contact: the watch sends no (further) notice about this assignment."""
    await store.record_first_contact(
        conn, payload.assignment_id, payload.question_id, payload.supporter_id, payload.reached_on, payload.recorded_at
    )


@dataclass
class FirstContactWatch:
    """Notices late first contacts; ``clock`` and ``interval`` (seconds between passes) are its own."""

    database: Database
    source: str
    interval: float = 300.0
    clock: Callable[[], datetime] = field(default=utc_now)
    #: Passes completed since start (each looked at every open assignment once).
    passes: int = 0

    async def run(self) -> None:
        """A pass now, then one every ``interval`` seconds; a failed pass is logged and tried again."""
        while True:
            try:
                await self.pass_once()
            except Exception as exc:  # the next pass tries again
                log.warning("first-contact pass failed", extra={"error": repr(exc)})
            await asyncio.sleep(self.interval)

    async def pass_once(self) -> list[FirstContactOverdue]:
        """Publish every notice that is due now and was not sent yet; return what this pass sent."""
        now = self.clock()
        pool = self.database.db
        async with pool.acquire() as conn:
            # No assignment younger than REMINDER_AFTER calendar days can be that many working days old.
            candidates = await store.unreached(conn, now - timedelta(days=REMINDER_AFTER))
        sent: list[FirstContactOverdue] = []
        for item in candidates:
            if item.municipality is None:
                log.warning("no municipality: no overdue notice", extra={"assignment": item.assignment_id})
                continue
            days = working_days_between(item.assigned_at, now)
            for stage in due_stages(days):
                if stage in item.sent:
                    continue
                notice = FirstContactOverdue(
                    question_id=item.question_id,
                    assignment_id=item.assignment_id,
                    supporter_id=item.supporter_id,
                    organisation=item.organisation,
                    municipality=item.municipality,
                    stage=stage,
                    assigned_at=item.assigned_at,
                    working_days=days,
                    noticed_at=now,
                )
                async with pool.acquire() as conn, conn.transaction():
                    if not await store.record_notice(conn, item.assignment_id, stage, days, now):
                        continue
                    await publish(conn, notice, self.source)
                sent.append(notice)
                log.info(
                    "first contact overdue",
                    extra={"assignment": item.assignment_id, "stage": stage, "working_days": days},
                )
        self.passes += 1
        return sent


@dataclass(frozen=True)
class Late:
    """An assignment past the promise, as the coordinators' page shows it."""

    assignment: store.LateAssignment
    working_days: int  #: working days since the assignment

    @property
    def days_late(self) -> int:
        """Working days past the promise (0: the promise broke today)."""
        return self.working_days - ESCALATION_AFTER


async def late_assignments(conn: Conn, now: datetime, municipality: str | None = None) -> list[Late]:
    """Open assignments past :data:`ESCALATION_AFTER` working days without first contact, the latest
    (longest waiting) first."""
    found = []
    for item in await store.late_candidates(conn, now - timedelta(days=ESCALATION_AFTER), municipality):
        days = working_days_between(item.assigned_at, now)
        if days >= ESCALATION_AFTER:
            found.append(Late(item, days))
    return sorted(found, key=lambda late: late.assignment.assigned_at)
