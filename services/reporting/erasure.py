"""Reporting's part of an erasure (ResidentErasureRequested on samenloket.privacy).

Reporting's event store keeps every event it read, and ``QuestionReceived`` carries the
pseudonymous ``resident_ref``. On erasure the ref is replaced by a tombstone in the stored events of
that resident (matched by the ref or by their question ids), so the store can no longer group
questions by person; the projections hold no ref at all (``question_facts`` is keyed by question).
The figures stay as they were: an erasure removes a person, not a question from the statistics.
An event of the resident that arrives after the erasure is stored with the tombstone
(:func:`without_erased_ref`).

Finding the stored events scans the event store (there is no index on the ref, on purpose: nothing
else should look events up by person); erasures are rare.
"""

from __future__ import annotations

import dataclasses

from contracts.envelope import CloudEvent
from contracts.events import Event, ResidentErasureRequested
from services.kit import erasure
from services.kit.consumer import PermanentError, TransactionalHandler
from services.kit.db import Conn

SERVICE = "reporting"


def erasure_requested(source: str) -> TransactionalHandler:
    async def handle(conn: Conn, event: CloudEvent, payload: Event) -> None:
        if not isinstance(payload, ResidentErasureRequested):
            raise PermanentError(f"expected ResidentErasureRequested, got {type(payload).__name__}")
        await erase(conn, payload, source)

    return handle


async def erase(conn: Conn, request: ResidentErasureRequested, source: str) -> None:
    await conn.execute(
        "UPDATE events SET data = jsonb_set(data, '{resident_ref}', to_jsonb($3::text))"
        " WHERE data ? 'resident_ref' AND data->>'resident_ref' <> $3"
        " AND (data->>'resident_ref' = $1 OR subject = ANY($2::text[]))",
        request.resident_ref,
        request.question_ids,
        erasure.TOMBSTONE,
    )
    await erasure.confirm(conn, request.resident_ref, SERVICE, source)


async def without_erased_ref(conn: Conn, event: CloudEvent) -> CloudEvent:
    """``event`` as it may be stored: with a tombstone for the ref of a resident erased before."""
    ref = event.data.get("resident_ref")
    if isinstance(ref, str) and await erasure.is_erased(conn, ref):
        return dataclasses.replace(event, data={**event.data, "resident_ref": erasure.TOMBSTONE})
    return event
