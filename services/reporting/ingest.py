"""How far reporting has read: events stored per type and the newest event time (``GET /api/v1/reports/ingest``).

For operators, the benchmark and the end-to-end check, which want to know whether reporting caught
up, not what the figures are. It counts events, never people, questions or anything in the events:
a count of ``question.received`` events says how much reporting read, not about whom. Every event
is stored and projected in one transaction (``handlers.record_event``), so an event counted here is
also in the figures.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
from pydantic import BaseModel, Field

from services.reporting.store import events


class TypeIngest(BaseModel):
    events: int = Field(description="events of this type stored (each event once, however often it was delivered)")
    newest_event_time: datetime = Field(description="the newest ``time`` among them (when it happened)")


class Ingest(BaseModel):
    events: int = Field(description="events stored in reporting's event store, all types together")
    by_type: dict[str, TypeIngest] = Field(
        description="per CloudEvents type, e.g. nl.samenloket.question.received.v1; types not seen yet are absent"
    )
    newest_event_time: datetime | None = Field(description="the newest event time of all; null when nothing stored")
    newest_stored_at: datetime | None = Field(description="when reporting stored its latest event; null when none")

    def count(self, ce_type: str) -> int:
        """Events of ``ce_type`` stored so far (0 when none)."""
        found = self.by_type.get(ce_type)
        return found.events if found else 0


async def ingest(pool: asyncpg.Pool) -> Ingest:
    rows = await events.counts_by_type(pool)
    stored = [row["newest_stored_at"] for row in rows]
    return Ingest(
        events=sum(row["events"] for row in rows),
        by_type={
            row["type"]: TypeIngest(events=row["events"], newest_event_time=row["newest_event_time"]) for row in rows
        },
        newest_event_time=max((row["newest_event_time"] for row in rows), default=None),
        newest_stored_at=max(stored, default=None),
    )
