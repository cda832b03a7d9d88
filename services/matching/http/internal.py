"""``/internal/v1``: what other services may ask matching (with the internal token only)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel

from services.kit.http import internal_auth
from services.kit.runtime import Runtime
from services.matching import store


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
    organisation: str


def router(rt: Runtime) -> APIRouter:
    routes = APIRouter(
        prefix="/internal/v1",
        tags=["internal"],
        dependencies=[Depends(internal_auth(rt.settings.internal_token.get_secret_value()))],
    )

    @routes.get("/supporters/{supporter_id}/contact", response_model=SupporterContact)
    async def supporter_contact(supporter_id: str) -> SupporterContact:
        """Contact details of one supporter, for notifications."""
        async with rt.db.acquire() as conn:
            supporter = await store.get_supporter_row(conn, supporter_id)
        if supporter is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown supporter {supporter_id!r}")
        return SupporterContact(
            supporter_id=supporter.id, name=supporter.name, email=supporter.email, organisation=supporter.organisation
        )

    @routes.get("/questions/{question_id}/supporters", response_model=list[SupporterOfQuestion])
    async def supporters_of_question(question_id: str) -> list[SupporterOfQuestion]:
        """Who supports the question now (open assignments; a duo's two), for the resident's own page."""
        async with rt.db.acquire() as conn:
            found = await store.open_supporters(conn, question_id)
        return [SupporterOfQuestion(**vars(s)) for s in found]

    return routes
