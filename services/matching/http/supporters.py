"""``/api/v1/supporters``: the supporter pool, for coordinators.

A coordinator's key is bound to its organisation: it registers, reads, changes and pauses only its
own organisation's supporters (another organisation's supporter answers 404, as unknown), and a key
tied to a municipality only gives that municipality. The internal token manages every organisation.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel

from services.kit.access import Principal
from services.kit.runtime import Runtime
from services.matching import handlers, store
from services.matching.container import Container
from services.matching.http.common import INTERNAL, Coordinator, check_municipality_query, command, invalid, who
from services.matching.http.supporter_models import (
    OpenCase,
    SupporterChanges,
    SupporterDetail,
    SupporterIn,
    SupporterProfile,
    availability_columns,
    profile_fields,
)
from services.matching.store import supporter_audit


class AuditEntryOut(BaseModel):
    """One registration or change: who (organisation/key), when, which fields (names, never values)."""

    action: str
    fields: list[str]
    actor: str
    at: datetime


def organisation_of(principal: Principal) -> str | None:
    """The organisation whose supporters ``principal`` manages; None for the internal token (all)."""
    return None if principal is INTERNAL else principal.organisation


def in_scope(principal: Principal, row: store.SupporterRow | None) -> bool:
    """Whether the key may see this supporter: its organisation's, serving its municipality."""
    if row is None:
        return False
    organisation = organisation_of(principal)
    if organisation is not None and row.organisation != organisation:
        return False
    return principal.municipality is None or principal.municipality in row.municipalities


def router(rt: Runtime, c: Container) -> APIRouter:
    routes = APIRouter(prefix="/api/v1", tags=["supporter registry"])

    @routes.post("/supporters", status_code=status.HTTP_201_CREATED, response_model=SupporterProfile)
    async def register_supporter(body: SupporterIn, principal: Coordinator) -> SupporterProfile:
        """Register a supporter of the key's own organisation (and municipality): SupporterRegistered, and
        waiting questions may get their places at once."""
        organisation = organisation_of(principal)
        if organisation is not None and body.organisation != organisation:
            raise invalid("organisation", f"must be {organisation}: this key manages only that organisation")
        if principal.municipality is not None and body.municipalities != [principal.municipality]:
            raise invalid("municipalities", f"must be {principal.municipality} only: this key manages only that one")
        values = body.model_dump(exclude={"supporter_id", "availability", "paused_until"})
        values |= {"id": body.supporter_id or f"s-{uuid.uuid4().hex[:12]}"}
        values |= availability_columns(body.availability, body.paused_until)
        row = await command(
            rt, lambda conn: handlers.register_supporter(conn, values, c.source, c.scoring, actor=who(principal))
        )
        return SupporterProfile.of(row)

    @routes.put("/supporters/{supporter_id}", response_model=SupporterProfile)
    async def update_supporter(supporter_id: str, body: SupporterChanges, principal: Coordinator) -> SupporterProfile:
        """Change capacity, availability (active, or paused until a date), profile or contact details of a
        supporter of the key's organisation. Moving them to another organisation is refused."""
        changes = body.columns()
        row = await command(
            rt,
            lambda conn: handlers.update_supporter(
                conn,
                supporter_id,
                changes,
                c.source,
                c.scoring,
                municipality=principal.municipality,
                organisation=organisation_of(principal),
                actor=who(principal),
            ),
        )
        return SupporterProfile.of(row)

    @routes.get("/supporters", response_model=list[SupporterProfile])
    async def supporters(
        principal: Coordinator,
        municipality: str | None = Query(default=None, description="CBS code, e.g. GM0505"),
    ) -> list[SupporterProfile]:
        """The key's organisation's supporters, optionally only those serving one municipality."""
        municipality = check_municipality_query(rt.region, principal, municipality)
        async with rt.db.acquire() as conn:
            found = await store.list_supporter_rows(conn, municipality, organisation=organisation_of(principal))
        return [SupporterProfile.of(s) for s in found]

    @routes.get("/supporters/{supporter_id}", response_model=SupporterDetail)
    async def supporter(supporter_id: str, principal: Coordinator) -> SupporterDetail:
        """One supporter with their open cases."""
        async with rt.db.acquire() as conn:
            row = await store.get_supporter_row(conn, supporter_id)
            cases = await store.open_cases(conn, supporter_id) if row else []
        if row is None or not in_scope(principal, row):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown supporter {supporter_id!r}")
        return SupporterDetail(
            **profile_fields(row),
            open_cases=[
                OpenCase(
                    question_id=c.question_id, assignment_id=c.assignment_id, status=c.status, assigned_at=c.assigned_at
                )
                for c in cases
            ],
        )

    @routes.get("/supporters/{supporter_id}/audit", response_model=list[AuditEntryOut])
    async def supporter_audit_log(supporter_id: str, principal: Coordinator) -> list[AuditEntryOut]:
        """Who registered and changed this supporter, when, and which fields (never the values), newest first."""
        async with rt.db.acquire() as conn:
            row = await store.get_supporter_row(conn, supporter_id)
            entries = await supporter_audit.history(conn, supporter_id) if in_scope(principal, row) else None
        if entries is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown supporter {supporter_id!r}")
        return [AuditEntryOut(action=e.action, fields=e.fields, actor=e.actor, at=e.at) for e in entries]

    return routes
