"""The supporter registry: organisations, and supporters registered or changed by coordinators.

Registering or changing a supporter announces what is public of the profile (SupporterRegistered,
SupporterUpdated; never name or e-mail) and lets the waiting list have any place that came free.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from contracts.events import SupporterRegistered, SupporterUpdated
from services.kit.db import Conn
from services.kit.outbox import publish
from services.matching import store
from services.matching.domain.scoring import Scoring
from services.matching.handlers.errors import Conflict, InvalidField, NotFound
from services.matching.handlers.waiting import waiting_pass

#: Profile fields published in SupporterRegistered/SupporterUpdated (never name or e-mail).
PUBLIC_FIELDS = (
    "organisation",
    "kind",
    "municipalities",
    "life_domains",
    "languages",
    "specialisms",
    "experience_themes",
    "capacity",
    "availability",
    "paused_until",
    "postcode",
)


def _profile(row: store.SupporterRow) -> dict[str, Any]:
    return {
        "supporter_id": row.id,
        "organisation": row.organisation,
        "kind": row.kind,
        "municipalities": list(row.municipalities),
        "life_domains": list(row.life_domains),
        "languages": list(row.languages),
        "specialisms": list(row.specialisms),
        "experience_themes": list(row.experience_themes),
        "capacity": row.capacity,
        "availability": row.availability,
        "paused_until": None if row.available else row.paused_until,
        "postcode": row.postcode,
    }


async def _known_organisation(conn: Conn, organisation: str) -> None:
    known = await store.load_organisations(conn)
    if organisation not in known:
        listed = ", ".join(sorted(known)) or "(none yet: POST /api/v1/organisations first)"
        raise InvalidField("organisation", f"unknown organisation {organisation!r}; known: {listed}")


async def register_supporter(
    conn: Conn, values: dict[str, Any], source: str, scoring: Scoring | None = None
) -> store.SupporterRow:
    """Register a supporter: SupporterRegistered, then the waiting list may get their places.

    ``values`` are the columns of :data:`store.EDITABLE` plus ``id``; a taken id is a Conflict.
    """
    await store.lock_waiting_pass(conn)
    await _known_organisation(conn, values["organisation"])
    row = await store.insert_supporter(conn, values)
    if row is None:
        raise Conflict("supporter_exists", f"Ondersteuner {values['id']} bestaat al. Wijzig deze met PUT.")
    event = SupporterRegistered(**_profile(row), registered_at=row.registered_at or datetime.now(UTC))
    await publish(conn, event, source)
    if await waiting_pass(conn, source, scoring):
        row = await store.get_supporter_row(conn, row.id) or row
    return row


async def update_supporter(
    conn: Conn,
    supporter_id: str,
    changes: dict[str, Any],
    source: str,
    scoring: Scoring | None = None,
    *,
    municipality: str | None = None,
) -> store.SupporterRow:
    """Change a supporter's profile: SupporterUpdated naming what changed, then the waiting-list pass
    (a raised capacity, a resumed supporter or a wider profile may free a place for someone waiting).

    ``municipality`` limits a coordinator to supporters serving it, before and after the change.
    A change of contact details only (name, e-mail) is not announced: nothing public changed.
    """
    await store.lock_waiting_pass(conn)
    before = await store.get_supporter_row(conn, supporter_id, for_update=True)
    if before is None or (municipality is not None and municipality not in before.municipalities):
        raise NotFound("unknown_supporter", f"Ondersteuner {supporter_id} is onbekend.")
    if municipality is not None and municipality not in changes.get("municipalities", [municipality]):
        raise InvalidField("municipalities", f"must keep {municipality}: this key manages only that municipality")
    if "organisation" in changes:
        await _known_organisation(conn, changes["organisation"])
    try:
        after = await store.update_supporter(conn, supporter_id, changes) if changes else before
    except store.CapacityBelowCases as exc:
        raise InvalidField("capacity", str(exc)) from exc
    assert after is not None
    old, new = _profile(before), _profile(after)
    changed = [f for f in PUBLIC_FIELDS if old[f] != new[f]]
    if changed:
        event = SupporterUpdated(**new, changed=changed, updated_at=after.updated_at or datetime.now(UTC))
        await publish(conn, event, source)
        if await waiting_pass(conn, source, scoring):
            after = await store.get_supporter_row(conn, supporter_id) or after
    return after


async def create_organisation(conn: Conn, id: str, name: str, decides_on_provisions: bool) -> None:
    if not await store.insert_organisation(conn, id, name, decides_on_provisions):
        raise Conflict("organisation_exists", f"Organisatie {id} bestaat al.")
