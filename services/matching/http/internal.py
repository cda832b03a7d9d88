"""``/internal/v1``: what other services may ask matching (with the internal token only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel

from services.kit.http import internal_auth
from services.kit.runtime import Runtime
from services.matching import store


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

    return routes
