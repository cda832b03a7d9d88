"""One transactional handler for every event reporting reads: store it, then project it."""

from __future__ import annotations

import logging

from contracts.envelope import CloudEvent
from contracts.events import Event
from services.kit.db import Conn
from services.reporting import domain, erasure
from services.reporting.store import events, projections

log = logging.getLogger(__name__)


async def record_event(conn: Conn, event: CloudEvent, payload: Event) -> None:
    """Append the event to the event store and apply it to the projections, in one transaction.

    An event already in the store (e.g. replayed under another consumer name) is not applied again.
    Types carrying personal data are never stored (reporting does not subscribe to them anyway), and
    the pseudonymous resident ref is dropped: reporting holds questions, never people.
    """
    if not domain.storable(event.type):
        log.warning("event with personal data ignored", extra={"event_id": event.id, "ce_type": event.type})
        return
    event = erasure.without_resident_ref(event)
    if not await events.append_event(conn, event, payload.topic):
        return
    for change in domain.changes_of(payload):
        await projections.apply(conn, change)
