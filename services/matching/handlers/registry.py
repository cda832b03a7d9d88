"""The supporter registry: organisations, and supporters registered or changed by coordinators.

Registering or changing a supporter announces what is public of the profile (SupporterRegistered,
SupporterUpdated; never the name or e-mail address themselves) and lets the waiting list have any
place that came free.

A coordinator's key is bound to its organisation (and, when it has one, its municipality): it changes
only its own organisation's supporters (another's are unknown to it), within its municipality, and
no supporter moves to another organisation. Every registration and change is audited with the key
that made it and the names of the fields changed; a change of e-mail address or name is announced as
SupporterUpdated with ``changed: ["email"]`` or ``["name"]`` (the values stay in matching; notifications
forgets the supporter's cached contact details on it).
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
from services.matching.store import supporter_audit

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
#: Contact fields: never published; a change of one is announced by the field's name only.
CONTACT_FIELDS = ("name", "email")
#: Who acts when no key is named (the internal token: services and operators' scripts).
INTERNAL_ACTOR = "samenloket/internal"


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
    conn: Conn,
    values: dict[str, Any],
    source: str,
    scoring: Scoring | None = None,
    *,
    actor: str = INTERNAL_ACTOR,
) -> store.SupporterRow:
    """Register a supporter: SupporterRegistered, then the waiting list may get their places.

    ``values`` are the columns of :data:`store.EDITABLE` plus ``id``; a taken id is a Conflict.
    Which organisation and municipalities a key may give is checked by the caller (the route).
    """
    await store.lock_waiting_pass(conn)
    await _known_organisation(conn, values["organisation"])
    row = await store.insert_supporter(conn, values)
    if row is None:
        raise Conflict("supporter_exists", f"Ondersteuner {values['id']} bestaat al. Wijzig deze met PUT.")
    event = SupporterRegistered(**_profile(row), registered_at=row.registered_at or datetime.now(UTC))
    await publish(conn, event, source)
    await supporter_audit.record(conn, row.id, "registered", [], actor)
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
    organisation: str | None = None,
    actor: str = INTERNAL_ACTOR,
) -> store.SupporterRow:
    """Change a supporter's profile: SupporterUpdated naming what changed, then the waiting-list pass
    (a raised capacity, a resumed supporter or a wider profile may free a place for someone waiting).

    ``organisation`` limits a coordinator to their organisation's supporters (another's is NotFound),
    ``municipality`` to supporters serving it: such a key may give or take that municipality only.
    Moving a supporter to another organisation is refused for everyone. A change of the name or e-mail
    address is announced by the field's name (notifications caches contact details until then).
    """
    await store.lock_waiting_pass(conn)
    before = await store.get_supporter_row(conn, supporter_id, for_update=True)
    if (
        before is None
        or (municipality is not None and municipality not in before.municipalities)
        or (organisation is not None and before.organisation != organisation)
    ):
        raise NotFound("unknown_supporter", f"Ondersteuner {supporter_id} is onbekend.")
    if changes.get("organisation", before.organisation) != before.organisation:
        raise InvalidField(
            "organisation",
            f"a supporter cannot move to another organisation (stays {before.organisation});"
            " register them anew at the other organisation",
        )
    changes = {k: v for k, v in changes.items() if k != "organisation"}
    if municipality is not None and "municipalities" in changes:
        _check_municipalities_of_key(municipality, before.municipalities, changes["municipalities"])
    try:
        after = await store.update_supporter(conn, supporter_id, changes) if changes else before
    except store.CapacityBelowCases as exc:
        raise InvalidField("capacity", str(exc)) from exc
    assert after is not None
    old, new = _profile(before), _profile(after)
    changed = [f for f in PUBLIC_FIELDS if old[f] != new[f]]
    contact = [f for f in CONTACT_FIELDS if getattr(before, f) != getattr(after, f)]
    if changed or contact:
        announced = changed + contact
        event = SupporterUpdated(**new, changed=announced, updated_at=after.updated_at or datetime.now(UTC))
        await publish(conn, event, source)
    if changed or contact:
        await supporter_audit.record(conn, supporter_id, "changed", changed + contact, actor)
    if changed and await waiting_pass(conn, source, scoring):
        after = await store.get_supporter_row(conn, supporter_id) or after
    return after


def _check_municipalities_of_key(municipality: str, before: list[str], after: list[str]) -> None:
    """A key of one municipality keeps it, and gives or takes no other municipality."""
    if municipality not in after:
        raise InvalidField("municipalities", f"must keep {municipality}: this key manages only that municipality")
    others = (set(before) ^ set(after)) - {municipality}
    if others:
        raise InvalidField(
            "municipalities",
            f"this key manages only {municipality}; it cannot add or remove {', '.join(sorted(others))}",
        )


async def create_organisation(conn: Conn, id: str, name: str, decides_on_provisions: bool) -> None:
    if not await store.insert_organisation(conn, id, name, decides_on_provisions):
        raise Conflict("organisation_exists", f"Organisatie {id} bestaat al.")
