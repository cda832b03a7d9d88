"""The daily digest of new signals to the municipality and councils (not a message per signal).

SignalRaised events are collected in ``signals`` (theme, municipality, level, time: no text). Running
the digest puts every pending signal into a new digest and mails it, grouped by theme, to
``SAMENLOKET_DIGEST_EMAIL`` through the same exactly-once delivery log as all other mail (key
``digest-<id>/municipality/email``). A digest whose mail failed transiently stays open and is sent
again on the next run. Without an address no digest is made and signals wait.

It runs every day at 08:00 Europe/Amsterdam (:func:`schedule`), and on demand through
``POST /api/v1/digests/run``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from contracts.envelope import CloudEvent
from contracts.events import SignalRaised
from services.kit.db import Conn
from services.notifications import store
from services.notifications.domain import LOCAL_TZ, PlannedDelivery, TransientDeliveryError
from services.notifications.handlers import Notifier, Result
from services.notifications.signal_digest import digest_context, next_digest_time, signal_fact

log = logging.getLogger(__name__)


async def on_signal_raised(conn: Conn, event: CloudEvent, payload: SignalRaised) -> None:
    """Keep the signal's facts for the next digest."""
    await store.save_signal(conn, signal_fact(payload))


@dataclass(frozen=True)
class DigestRun:
    digests: int
    signals: int
    sent: int


async def run_digest(notifier: Notifier, pool: asyncpg.Pool, address: str | None, now: datetime) -> DigestRun:
    """Mail the pending signals now (one digest), and any digest left open by an earlier failure."""
    if not address:
        return DigestRun(0, 0, 0)
    day = now.astimezone(LOCAL_TZ).date()
    async with pool.acquire() as conn, conn.transaction():
        signals = await store.open_digest(conn, f"digest-{uuid.uuid4()}", day)
        open_digests = await store.unclosed_digests(conn)
    sent = 0
    for digest_id, digest_day in open_digests:
        async with pool.acquire() as conn:
            facts = await store.digest_signals(conn, digest_id)
        planned = PlannedDelivery("municipality", "email", "signal_digest", address, digest_context(facts, digest_day))
        try:
            result = await notifier.deliver_cause(digest_id, None, planned)
        except TransientDeliveryError as exc:
            log.warning("digest not sent, will try again", extra={"digest_id": digest_id, "error": str(exc)})
            continue
        async with pool.acquire() as conn:
            await store.close_digest(conn, digest_id)
        sent += result is Result.SENT
    return DigestRun(len(open_digests), signals, sent)


async def schedule(notifier: Notifier, pool: asyncpg.Pool, address: str | None) -> None:
    """Run the digest every day at 08:00 local time (a background task; cancel it to stop)."""
    while True:
        now = datetime.now(UTC)
        wait = (next_digest_time(now) - now).total_seconds()
        await asyncio.sleep(max(wait, 0.0))
        try:
            await run_digest(notifier, pool, address, datetime.now(UTC))
        except Exception:  # a bad run must not end the schedule; the next one retries open digests
            log.exception("digest run failed")
