"""Reporting's part of an erasure (ResidentErasureRequested on samenloket.privacy).

Reporting keeps no reference to a person at all: ``QuestionReceived`` carries the pseudonymous
``resident_ref``, but :func:`without_resident_ref` replaces it by the erasure tombstone before the
event is stored, so the event store and the projections hold questions, never people. An erasure
therefore changes nothing in the figures (it removes a person, not a question from the
statistics); the kit then confirms it.

Stores written before the ref was dropped may still hold refs: on erasure those are replaced by a
tombstone in the stored events of that resident (matched by the ref or by their question ids).
That scan has no index on purpose (nothing should look events up by person); erasures are rare.
"""

from __future__ import annotations

import dataclasses

from contracts.envelope import CloudEvent
from contracts.events import ResidentErasureRequested
from services.kit import erasure
from services.kit.db import Conn
from services.reporting.store import events


async def erase(conn: Conn, request: ResidentErasureRequested) -> None:
    await events.erase_resident_refs(conn, request.resident_ref, request.question_ids, erasure.TOMBSTONE)


def without_resident_ref(event: CloudEvent) -> CloudEvent:
    """``event`` as reporting stores it: the pseudonymous ``resident_ref`` replaced by the tombstone.

    The field stays (with a value that leads to no one) so a stored event is still a valid contract
    instance that ``samenloket reporting rebuild`` can read back.
    """
    if event.data.get("resident_ref") in (None, erasure.TOMBSTONE):
        return event
    return dataclasses.replace(event, data={**event.data, "resident_ref": erasure.TOMBSTONE})
