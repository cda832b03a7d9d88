"""StatisticsPublished: suppressed figures for outside consumers, on a schedule.

Every ``statistics_interval_seconds`` (0: never) the reporting service builds the report of the
current quarter for every municipality and for the region, suppresses them together (so no
combination of the published areas reveals a hidden count), and publishes one
``StatisticsPublished`` per area through the transactional outbox. Only suppressed cells leave
(:func:`services.reporting.suppression.cells`). Several instances share one schedule: a row lock on
``statistics_schedule`` lets one of them publish per interval.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta

from contracts.envelope import from_model
from contracts.events import StatisticsPublished
from services.kit import outbox
from services.kit.db import Conn
from services.kit.runtime import Runtime
from services.kit.telemetry import current_traceparent
from services.reporting import periods, report, suppression
from services.reporting.store import schedule

log = logging.getLogger(__name__)

REGION = "region"


async def statistics_for(rt: Runtime, now: datetime) -> list[StatisticsPublished]:
    """One suppressed StatisticsPublished per municipality and one for the region (current quarter)."""
    period = periods.current_quarter(now)
    threshold = rt.settings.suppression_threshold
    published = await report.published_reports(rt.db, period, threshold, now=now)
    found = []
    for area in (*rt.region.municipality_names, None):
        found.append(
            StatisticsPublished(
                statistics_id=str(uuid.uuid4()),
                area=area or REGION,
                period_start=period.start,
                period_end=period.end,
                threshold=threshold,
                cells=suppression.cells(published[area]),
                published_at=now,
            )
        )
    return found


async def publish_due(rt: Runtime, every: float, now: datetime | None = None) -> int:
    """Publish when no instance did in the last ``every`` seconds; return how many events went out."""
    now = now or datetime.now(UTC)
    events = await statistics_for(rt, now)
    async with rt.db.acquire() as conn, conn.transaction():
        if not await claim_turn(conn, now, timedelta(seconds=every)):
            return 0
        for event in events:
            municipality = event.area if event.area != REGION else None
            envelope = from_model(event, source=rt.source, municipality=municipality, traceparent=current_traceparent())
            await outbox.enqueue(conn, event.topic, envelope)
    log.info("statistics published", extra={"areas": len(events), "period_start": str(events[0].period_start)})
    return len(events)


async def claim_turn(conn: Conn, now: datetime, interval: timedelta) -> bool:
    """Lock the schedule row; true (and the row moved to ``now``) when the last publication is due again.

    A little slack (a tenth of the interval) keeps one instance's own rhythm from skipping a turn.
    """
    last = await schedule.lock_last_published(conn)
    if last is not None and now - last < interval * 0.9:
        return False
    await schedule.mark_published(conn, now)
    return True


async def run_schedule(rt: Runtime, every: float) -> None:
    """Publish every ``every`` seconds, the first time one interval after the start (a background task)."""
    while True:
        await asyncio.sleep(every)
        try:
            await publish_due(rt, every)
        except Exception as exc:  # the next round tries again
            log.warning("publishing statistics failed", extra={"error": repr(exc)})
