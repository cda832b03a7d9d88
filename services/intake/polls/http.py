"""The councils' polls API (scope ``council``): create a short poll, list its own with the results
(suppressed), one poll. Another council's poll is unknown (404). Panel members are invited through
``POST /api/v1/council/panel/invitations`` with ``poll_id``; a public poll's page is ``/peiling/<id>``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel

from services.intake.polls import domain, store
from services.intake.polls.domain import PollBody, Results
from services.intake.settings import IntakeSettings
from services.kit.access import Principal, require
from services.kit.runtime import Runtime

Council = Annotated[Principal, Depends(require("council"))]
NOT_FOUND = "Deze peiling is niet bekend. / This poll is not known."


class PollView(BaseModel):
    poll_id: str
    title: str
    life_domain: str
    audience: domain.Audience
    municipality: str | None
    created_at: datetime
    page: str | None
    results: Results


class PollList(BaseModel):
    polls: list[PollView]


def may_see(principal: Principal, row: asyncpg.Record) -> bool:
    return row["council"] == principal.organisation and principal.may_see_municipality(row["municipality"])


def router(rt: Runtime) -> APIRouter:
    settings = rt.settings
    assert isinstance(settings, IntakeSettings)
    api = APIRouter(prefix="/api/v1/council/polls", tags=["council"])

    async def view(row: asyncpg.Record) -> PollView:
        answers = await store.answers(rt.db, uuid.UUID(row["poll_id"]))
        return PollView(
            poll_id=row["poll_id"],
            title=row["title"],
            life_domain=row["life_domain"],
            audience=row["audience"],
            municipality=row["municipality"],
            created_at=row["created_at"],
            page=f"/peiling/{row['poll_id']}" if row["audience"] == "public" else None,
            results=domain.results(store.questions_of(row), answers, settings.suppression_threshold),
        )

    @api.post("", status_code=status.HTTP_201_CREATED, response_model=PollView)
    async def create(body: PollBody, principal: Council) -> PollView:
        """A short poll on one theme, for the council's panel (invite it next) or public (share its page)."""
        poll_id = uuid.uuid4()
        async with rt.db.acquire() as conn, conn.transaction():
            await store.insert(
                conn,
                poll_id,
                principal.organisation,
                principal.municipality,
                body.life_domain,
                body.title,
                [q.model_dump() for q in body.questions],
                body.audience,
                datetime.now(UTC),
            )
            row = await store.one(conn, poll_id)
        assert row is not None
        return await view(row)

    @api.get("", response_model=PollList)
    async def list_polls(principal: Council) -> PollList:
        rows = await store.of_council(rt.db, principal.organisation, principal.municipality)
        return PollList(polls=[await view(r) for r in rows])

    @api.get("/{poll_id}", response_model=PollView)
    async def get_poll(poll_id: uuid.UUID, principal: Council) -> PollView:
        row = await store.one(rt.db, poll_id)
        if row is None or not may_see(principal, row):
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
        return await view(row)

    return api
