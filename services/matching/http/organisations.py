"""``/api/v1/organisations``: supporting and referring organisations (regional, for coordinators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from contracts.text import CleanText, SingleLine
from services.kit.runtime import Runtime
from services.matching import handlers, store
from services.matching.http.common import Coordinator, Identifier, command


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

    return routes
