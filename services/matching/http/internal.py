"""``/internal/v1``: what other services may ask matching (with the internal token only)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field

from services.kit.http import internal_auth
from services.kit.region import current_region
from services.kit.runtime import Runtime
from services.matching import store
from services.matching.store.organisations import organisation_coordinator


class SupporterOfQuestion(BaseModel):
    """A supporter of a question as the resident reads them: display names, never contact details."""

    name: str
    organisation_name: str
    kind: str
    status: str
    assigned_at: datetime


class SupporterContact(BaseModel):
    supporter_id: str
    name: str
    email: str
    organisation: str = Field(description="the organisation's id")
    organisation_name: str = Field(description="the organisation's display name, as people read it")


class OrganisationName(BaseModel):
    id: str
    name: str = Field(description="the display name, as people read it")


class OrganisationCoordinator(BaseModel):
    organisation: str
    name: str
    coordinator_email: str | None


def router(rt: Runtime) -> APIRouter:
    routes = APIRouter(
        prefix="/internal/v1",
        tags=["internal"],
        dependencies=[Depends(internal_auth(rt.settings.internal_token.get_secret_value()))],
    )

    @routes.get("/supporters/{supporter_id}/contact", response_model=SupporterContact)
    async def supporter_contact(supporter_id: str) -> SupporterContact:
        """Contact details of one supporter and the name of their organisation, for notifications."""
        async with rt.db.acquire() as conn:
            supporter = await store.get_supporter_row(conn, supporter_id)
            organisations = await store.load_organisations(conn) if supporter is not None else {}
        if supporter is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown supporter {supporter_id!r}")
        organisation = organisations.get(supporter.organisation)
        return SupporterContact(
            supporter_id=supporter.id,
            name=supporter.name,
            email=supporter.email,
            organisation=supporter.organisation,
            organisation_name=organisation.name
            if organisation
            else current_region().organisation_name(supporter.organisation),
        )

    @routes.get("/organisations/{organisation}/coordinator", response_model=OrganisationCoordinator)
    async def organisation_coordinator_contact(organisation: str) -> OrganisationCoordinator:
        """An organisation's display name and coordinator address (None: none set), for notifications."""
        async with rt.db.acquire() as conn:
            found = await organisation_coordinator(conn, organisation)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown organisation {organisation!r}")
        return OrganisationCoordinator(organisation=organisation, name=found[0], coordinator_email=found[1])

    @routes.get("/organisations", response_model=list[OrganisationName])
    async def organisation_names() -> list[OrganisationName]:
        """Every organisation's id and display name, for pages and reports that show names (reporting)."""
        async with rt.db.acquire() as conn:
            found = await store.load_organisations(conn)
        return [OrganisationName(id=o.id, name=o.name) for o in found.values()]

    @routes.get("/questions/{question_id}/supporters", response_model=list[SupporterOfQuestion])
    async def supporters_of_question(question_id: str) -> list[SupporterOfQuestion]:
        """Who supports the question now (open assignments; a duo's two), for the resident's own page."""
        async with rt.db.acquire() as conn:
            found = await store.open_supporters(conn, question_id)
        return [SupporterOfQuestion(**vars(s)) for s in found]

    return routes
