"""``/api/v1/organisations``: supporting and referring organisations (regional, for coordinators).

``/api/v1/organisations/{id}/coordinator`` is where an organisation's coordinators say which address
hears of late first contacts of their supporters (escalations). Only the organisation's own key
without a municipality (or the internal token) reads or sets it; for any other key the organisation
is unknown (404). The address is no part of the organisation listing.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from contracts.text import CleanText, SingleLine
from services.kit.access import Principal
from services.kit.runtime import Runtime
from services.matching import handlers, store
from services.matching.http.common import INTERNAL, Coordinator, Identifier, command, who
from services.matching.store.organisations import organisation_coordinator, set_coordinator_email

log = logging.getLogger(__name__)


class OrganisationIn(CleanText):
    model_config = ConfigDict(extra="forbid")

    id: Identifier
    name: Annotated[str, Field(min_length=1, max_length=200), SingleLine]
    decides_on_provisions: bool = Field(
        default=False, description="true for e.g. a social team that prepares municipal decisions (not independent)"
    )


class OrganisationOut(BaseModel):
    id: str
    name: str
    decides_on_provisions: bool


class CoordinatorIn(CleanText):
    model_config = ConfigDict(extra="forbid")

    coordinator_email: EmailStr | None = Field(
        description="where escalations about late first contacts go; null: the loket's general coordinator address"
    )


class CoordinatorOut(BaseModel):
    organisation: str
    name: str
    coordinator_email: str | None


def _own_organisation(principal: Principal, organisation: str) -> None:
    """404 unless the key is the organisation's own (or the internal token); 403 for a municipality's key."""
    if principal is not INTERNAL and principal.organisation != organisation:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown organisation {organisation!r}")
    if principal.municipality is not None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "Dit geldt voor de hele organisatie: gebruik een sleutel zonder gemeente."
        )


def router(rt: Runtime) -> APIRouter:
    routes = APIRouter(prefix="/api/v1", tags=["supporter registry"])

    @routes.post("/organisations", status_code=status.HTTP_201_CREATED, response_model=OrganisationOut)
    async def create_organisation(body: OrganisationIn, principal: Coordinator) -> OrganisationOut:
        """Register a supporting or referring organisation (regional: only a key without a municipality)."""
        if principal.municipality is not None:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "Organisaties zijn regionaal: gebruik een regionale sleutel."
            )
        await command(
            rt, lambda conn: handlers.create_organisation(conn, body.id, body.name, body.decides_on_provisions)
        )
        return OrganisationOut(**body.model_dump())

    @routes.get("/organisations", response_model=list[OrganisationOut])
    async def organisations(principal: Coordinator) -> list[OrganisationOut]:
        async with rt.db.acquire() as conn:
            found = await store.load_organisations(conn)
        return [
            OrganisationOut(id=o.id, name=o.name, decides_on_provisions=o.decides_on_provisions) for o in found.values()
        ]

    @routes.get("/organisations/{organisation}/coordinator", response_model=CoordinatorOut)
    async def coordinator(organisation: str, principal: Coordinator) -> CoordinatorOut:
        """Where escalations about this organisation's supporters go (the organisation's own key only)."""
        _own_organisation(principal, organisation)
        async with rt.db.acquire() as conn:
            found = await organisation_coordinator(conn, organisation)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown organisation {organisation!r}")
        return CoordinatorOut(organisation=organisation, name=found[0], coordinator_email=found[1])

    @routes.put("/organisations/{organisation}/coordinator", response_model=CoordinatorOut)
    async def set_coordinator(organisation: str, body: CoordinatorIn, principal: Coordinator) -> CoordinatorOut:
        """Set (or clear, with null) the coordinator address of the key's own organisation."""
        _own_organisation(principal, organisation)
        email = str(body.coordinator_email) if body.coordinator_email else None
        async with rt.db.acquire() as conn, conn.transaction():
            if not await set_coordinator_email(conn, organisation, email):
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown organisation {organisation!r}")
            found = await organisation_coordinator(conn, organisation)
        assert found is not None
        # Who and when, never the address itself.
        log.info(
            "coordinator address of an organisation set",
            extra={"organisation": organisation, "by": who(principal), "cleared": email is None},
        )
        return CoordinatorOut(organisation=organisation, name=found[0], coordinator_email=found[1])

    return routes
