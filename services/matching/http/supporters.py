"""``/api/v1/supporters``: the supporter pool, for coordinators (a municipality's key sees its own)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, Query, status

from services.kit.runtime import Runtime
from services.matching import handlers, store
from services.matching.container import Container
from services.matching.http.common import Coordinator, check_municipality_query, command, invalid
from services.matching.http.supporter_models import (
    OpenCase,
    SupporterChanges,
    SupporterDetail,
    SupporterIn,
    SupporterProfile,
    availability_columns,
    profile_fields,
)


def router(rt: Runtime, c: Container) -> APIRouter:
    routes = APIRouter(prefix="/api/v1", tags=["supporter registry"])

    @routes.post("/supporters", status_code=status.HTTP_201_CREATED, response_model=SupporterProfile)
    async def register_supporter(body: SupporterIn, principal: Coordinator) -> SupporterProfile:
        """Register a supporter: SupporterRegistered, and waiting questions may get their places at once."""
        if principal.municipality is not None and principal.municipality not in body.municipalities:
            raise invalid("municipalities", f"must include {principal.municipality}: this key manages only that one")
        values = body.model_dump(exclude={"supporter_id", "availability", "paused_until"})
        values |= {"id": body.supporter_id or f"s-{uuid.uuid4().hex[:12]}"}
        values |= availability_columns(body.availability, body.paused_until)
        row = await command(rt, lambda conn: handlers.register_supporter(conn, values, c.source, c.scoring))
        return SupporterProfile.of(row)

    @routes.put("/supporters/{supporter_id}", response_model=SupporterProfile)
    async def update_supporter(supporter_id: str, body: SupporterChanges, principal: Coordinator) -> SupporterProfile:
        """Change capacity, availability (active, or paused until a date), profile or contact details."""
        changes = body.columns()
        row = await command(
            rt,
            lambda conn: handlers.update_supporter(
                conn, supporter_id, changes, c.source, c.scoring, municipality=principal.municipality
            ),
        )
        return SupporterProfile.of(row)

    @routes.get("/supporters", response_model=list[SupporterProfile])
    async def supporters(
        principal: Coordinator,
        municipality: str | None = Query(default=None, description="CBS code, e.g. GM0505"),
    ) -> list[SupporterProfile]:
        """The supporter pool, optionally only those serving one municipality."""
        municipality = check_municipality_query(principal, municipality)
        async with rt.db.acquire() as conn:
            found = await store.list_supporter_rows(conn, municipality)
        return [SupporterProfile.of(s) for s in found]

    @routes.get("/supporters/{supporter_id}", response_model=SupporterDetail)
    async def supporter(supporter_id: str, principal: Coordinator) -> SupporterDetail:
        """One supporter with their open cases."""
        async with rt.db.acquire() as conn:
            row = await store.get_supporter_row(conn, supporter_id)
            cases = await store.open_cases(conn, supporter_id) if row else []
        if row is None or not (principal.municipality is None or principal.municipality in row.municipalities):
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

    return routes
