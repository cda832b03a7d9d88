"""Rebuild every projection from the event store (``samenloket reporting rebuild``).

The embedded broker keeps no history, so reporting keeps its own durable store of every event it
read (``events``). A rebuild empties the read models and replays that store, grouped by subject and
in stored order within it, in batches, through the very same merge rules the live handler uses: a
batch's changes are merged in memory and each touched row is written once
(:func:`projections.apply_many`). Since those rules are order-independent merges, the result equals
the incrementally built state.

It all happens in one transaction that first takes a SHARE lock on ``events``: live handlers (which
append to ``events`` before they project) wait until the rebuild commits, and readers keep seeing
the old tables until then.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from pydantic import ValidationError

from contracts.events import REGISTRY
from services.kit.db import Conn
from services.reporting import domain
from services.reporting.store import events, projections

log = logging.getLogger(__name__)

#: Events per batch: their changes are merged in memory and each touched row is written once.
BATCH = 5000

#: Called after every batch with (events replayed so far, events in total).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Summary:
    events: int
    changes: int
    skipped: int
    seconds: float
    #: CPU-seconds of this process (the replay is Python-bound; on a busy machine a figure that varies less).
    cpu_seconds: float = 0.0

    def line(self) -> str:
        tables = len(projections.PROJECTIONS)
        skipped = f", {self.skipped} skipped (unknown type or invalid)" if self.skipped else ""
        rate = f"; {self.events / self.seconds:,.0f} events/s" if self.seconds else ""
        return (
            f"reporting rebuilt: {tables} projections from {self.events} events"
            f" ({self.changes} changes{skipped}) in {self.seconds:.1f} s"
            f" ({self.cpu_seconds:.1f} CPU-s of this process{rate})"
        )


async def rebuild(conn: Conn, progress: Progress | None = None, batch: int = BATCH) -> Summary:
    """Empty the projections and replay the event store into them, in one transaction."""
    started, cpu_started = time.perf_counter(), time.process_time()
    async with conn.transaction():
        total = await events.lock_for_replay(conn)
        await projections.truncate_projections(conn)
        replayed = changes = skipped = 0
        async for rows in events.in_stored_order(conn, batch):
            found: list[domain.Change] = []
            for row in rows:
                row_changes = changes_of_row(row)
                if row_changes is None:
                    skipped += 1
                    continue
                found.extend(row_changes)
            await projections.apply_many(conn, found)
            changes += len(found)
            replayed += len(rows)
            if progress:
                progress(replayed, total)
    return Summary(replayed, changes, skipped, time.perf_counter() - started, time.process_time() - cpu_started)


def changes_of_row(row: asyncpg.Record) -> list[domain.Change] | None:
    """The projection changes of one stored event, or None when it cannot be read any more."""
    model = REGISTRY.get(row["type"])
    if model is None:
        return None
    try:
        # The JSON text straight into the model (pydantic parses it in Rust): no dict of Python objects first.
        data = row["data"]
        payload = model.model_validate_json(data) if isinstance(data, str | bytes) else model.model_validate(data)
    except ValidationError as exc:
        log.warning("stored event no longer valid, skipped", extra={"ce_type": row["type"], "error": str(exc)})
        return None
    return domain.changes_of(payload)
