"""HTTP entry points of matching.

All routes are guarded by the internal token for now; a later issue gives coordinators their own
API keys for the ``/api/v1`` routes. A supporter's e-mail address leaves matching only through the
internal contact route (for notifications), never on a topic or in the pool listing.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from contracts.codes import MUNICIPALITIES
from contracts.events import Reason
from services.kit.http import internal_auth
from services.kit.runtime import Runtime
from services.matching import store


class SupporterContact(BaseModel):
    supporter_id: str
    name: str
    email: str
    organisation: str


class SupporterProfile(BaseModel):
    """A supporter in the pool, without contact details."""

    supporter_id: str
    name: str
    kind: str
    organisation: str
    municipalities: list[str]
    life_domains: list[str]
    languages: list[str]
    specialisms: list[str]
    capacity: int
    active_cases: int
    postcode: str | None
    active: bool


class AssignmentOut(BaseModel):
    assignment_id: str
    question_id: str
    supporter_id: str
    organisation: str
    supporter_kind: str
    score: float
    reasons: list[Reason]
    status: str
    assigned_at: datetime


def routers(rt: Runtime) -> list[APIRouter]:
    guard = [Depends(internal_auth(rt.settings.internal_token.get_secret_value()))]
    internal = APIRouter(prefix="/internal/v1", tags=["internal"], dependencies=guard)
    api = APIRouter(prefix="/api/v1", tags=["supporters"], dependencies=guard)

    @internal.get("/supporters/{supporter_id}/contact", response_model=SupporterContact)
    async def supporter_contact(supporter_id: str) -> SupporterContact:
        """Contact details of one supporter, for notifications."""
        async with rt.db.acquire() as conn:
            supporter = await store.get_supporter(conn, supporter_id)
        if supporter is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown supporter {supporter_id!r}")
        return SupporterContact(
            supporter_id=supporter.id, name=supporter.name, email=supporter.email, organisation=supporter.organisation
        )

    @api.get("/supporters", response_model=list[SupporterProfile])
    async def supporters(
        municipality: str | None = Query(default=None, description="CBS code, e.g. GM0505"),
    ) -> list[SupporterProfile]:
        """The supporter pool, optionally only those serving one municipality."""
        if municipality is not None and municipality not in MUNICIPALITIES:
            allowed = ", ".join(sorted(MUNICIPALITIES))
            raise RequestValidationError(
                [
                    {
                        "loc": ("query", "municipality"),
                        "msg": f"unknown municipality code {municipality!r}; allowed: {allowed}",
                        "type": "value_error",
                    }
                ]
            )
        async with rt.db.acquire() as conn:
            found = await store.list_supporters(conn, municipality)
        return [
            SupporterProfile(
                supporter_id=s.id,
                name=s.name,
                kind=s.kind,
                organisation=s.organisation,
                municipalities=list(s.municipalities),
                life_domains=list(s.life_domains),
                languages=list(s.languages),
                specialisms=list(s.specialisms),
                capacity=s.capacity,
                active_cases=s.active_cases,
                postcode=s.postcode,
                active=s.active,
            )
            for s in found
        ]

    @api.get("/assignments/{question_id}", response_model=AssignmentOut)
    async def assignment(question_id: str) -> AssignmentOut:
        """The supporter assigned to a question, with the reasons for the choice."""
        async with rt.db.acquire() as conn:
            found = await store.get_assignment(conn, question_id)
            outcome = None if found else await store.question_outcome(conn, question_id)
        if found is None:
            state = f" (status: {outcome})" if outcome else ""
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no assignment for question {question_id!r}{state}")
        return AssignmentOut(**vars(found))

    return [internal, api]
