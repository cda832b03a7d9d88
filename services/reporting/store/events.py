"""The event store: every event reporting read, kept once, so the read models can be rebuilt from it.

It holds no personal data: reporting does not read the inbound referral topic, shared topics carry
none, and the pseudonymous resident ref is dropped before an event is stored
(:func:`services.reporting.erasure.without_resident_ref`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import asyncpg

from contracts.envelope import CloudEvent
from services.kit.db import Conn

_APPEND = """
INSERT INTO events (event_id, topic, type, subject, municipality, time, data)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
ON CONFLICT (event_id) DO NOTHING
RETURNING true
"""

#: Replace the resident ref ($1) of old stored events, or of the events of their questions ($2), by $3.
_ERASE_RESIDENT_REFS = """
UPDATE events SET data = jsonb_set(data, '{resident_ref}', to_jsonb($3::text))
 WHERE data ? 'resident_ref' AND data->>'resident_ref' <> $3
   AND (data->>'resident_ref' = $1 OR subject = ANY($2::text[]))
"""

_BY_TYPE = """
SELECT type, count(*) AS events, max(time) AS newest_event_time, max(stored_at) AS newest_stored_at
  FROM events
 GROUP BY type
 ORDER BY type
"""

_LOCK = "LOCK TABLE events IN SHARE MODE"
_COUNT = "SELECT count(*) FROM events"
#: Grouped by subject (a question, mostly), in stored order within it: a batch then holds whole
#: questions, so a rebuild writes most read-model rows once (the merges do not depend on the order
#: across subjects; within one the stored order is kept).
_IN_STORED_ORDER = "SELECT type, data FROM events ORDER BY subject, stored_at, event_id"


async def append_event(conn: Conn, event: CloudEvent, topic: str) -> bool:
    """Keep ``event`` in the event store; return False when it was stored before."""
    stored = await conn.fetchval(
        _APPEND,
        event.id,
        topic,
        event.type,
        event.subject,
        event.municipality or event.data.get("municipality"),
        event.time,
        json.dumps(event.data, ensure_ascii=False),
    )
    return bool(stored)


async def erase_resident_refs(conn: Conn, resident_ref: str, question_ids: list[str], tombstone: str) -> None:
    """Replace ``resident_ref`` by ``tombstone`` in the stored events of that resident (by ref or question).

    No index helps here, on purpose: nothing should look events up by person; erasures are rare.
    """
    await conn.execute(_ERASE_RESIDENT_REFS, resident_ref, question_ids, tombstone)


async def counts_by_type(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    """Per event type: ``type``, ``events`` stored, ``newest_event_time`` and ``newest_stored_at``."""
    return await pool.fetch(_BY_TYPE)


async def lock_for_replay(conn: Conn) -> int:
    """Keep new events out until the transaction ends (live handlers wait); the number of events stored."""
    await conn.execute(_LOCK)
    return int(await conn.fetchval(_COUNT))


async def in_stored_order(conn: Conn, batch: int) -> AsyncIterator[list[asyncpg.Record]]:
    """Every stored event (``type``, ``data``), grouped by subject and in stored order within it,
    ``batch`` rows at a time.

    Runs in the caller's transaction (a cursor needs one).
    """
    cursor = await conn.cursor(_IN_STORED_ORDER)
    while rows := await cursor.fetch(batch):
        yield rows
