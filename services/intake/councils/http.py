"""The council meetings API (scope ``council``): plan a meeting, list the council's own meetings, and
record who took part. A meeting of another council is answered as unknown (404)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, NoReturn

import asyncpg
from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from contracts.events import Participant, SignalTheme
from services.intake.councils import domain, handlers, store
from services.intake.councils.domain import MeetingHeld, MeetingOutcome, MeetingPlan, MeetingRefused
from services.kit.access import Principal, require
from services.kit.db import Conn
from services.kit.dutch import today
from services.kit.runtime import Runtime

Council = Annotated[Principal, Depends(require("council"))]


class MeetingView(BaseModel):
    meeting_id: str
    municipality: str | None
    planned_for: date
    themes: list[SignalTheme]
    invited_organisations: list[str]
    planned_at: datetime
    held_on: date | None
    participants: list[Participant] | None
    recorded_at: datetime | None
    co_organisers: list[str]
    outcomes: str | None
    follow_up: list[str]


class MeetingList(BaseModel):
    meetings: list[MeetingView]


def view_of(row: asyncpg.Record) -> MeetingView:
    return MeetingView(
        meeting_id=row["meeting_id"],
        municipality=row["municipality"],
        planned_for=row["planned_for"],
        themes=row["themes"],
        invited_organisations=row["invited_organisations"],
        planned_at=row["planned_at"],
        held_on=row["held_on"],
        participants=store.participants_of(row),
        recorded_at=row["recorded_at"],
        co_organisers=row["co_organisers"],
        outcomes=row["outcomes"],
        follow_up=row["follow_up"],
    )


def refuse(exc: MeetingRefused) -> NoReturn:
    """403 for what the key itself may not do; 422 naming the field when the body must change."""
    if exc.field is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, exc.message)
    raise RequestValidationError([{"loc": ("body", exc.field), "msg": exc.message, "type": "value_error"}])


async def own_meeting(conn: Conn, meeting_id: uuid.UUID, principal: Principal) -> asyncpg.Record:
    """The council's own meeting, locked; 404 for any other."""
    row = await store.one(conn, meeting_id, lock=True)
    if row is None or not domain.may_see(principal, row["council"], row["municipality"], row["co_organisers"]):
        raise HTTPException(status.HTTP_404_NOT_FOUND, domain.NOT_FOUND)
    return row


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(prefix="/api/v1/council", tags=["council"])

    @api.post("/meetings", status_code=status.HTTP_201_CREATED, response_model=MeetingView)
    async def plan_meeting(body: MeetingPlan, principal: Council) -> MeetingView:
        """Plan a meeting (publishes CouncilMeetingPlanned). ``municipality`` null plans a regional meeting;
        a key tied to a municipality plans for that municipality only (403 otherwise)."""
        try:
            domain.check_plan(principal, body, today())
        except MeetingRefused as exc:
            refuse(exc)
        async with rt.db.acquire() as conn, conn.transaction():
            meeting_id = await handlers.plan(conn, rt.source, principal.organisation, body)
            row = await store.one(conn, uuid.UUID(meeting_id))
        assert row is not None
        return view_of(row)

    @api.get("/meetings", response_model=MeetingList)
    async def list_meetings(principal: Council) -> MeetingList:
        """This council's meetings, the earliest first."""
        rows = await store.meetings_of(rt.db, principal.organisation, principal.municipality)
        return MeetingList(meetings=[view_of(r) for r in rows])

    @api.post("/meetings/{meeting_id}/participants", response_model=MeetingView)
    async def record_participants(meeting_id: uuid.UUID, body: MeetingHeld, principal: Council) -> MeetingView:
        """Record who took part (publishes CouncilMeetingHeld). Recording again replaces the list."""
        try:
            domain.check_held(body, today())
        except MeetingRefused as exc:
            refuse(exc)
        async with rt.db.acquire() as conn, conn.transaction():
            row = await own_meeting(conn, meeting_id, principal)
            await handlers.record_held(conn, rt.source, meeting_id, row["council"], row["municipality"], body)
            fresh = await store.one(conn, meeting_id)
        assert fresh is not None
        return view_of(fresh)

    @api.post("/meetings/{meeting_id}/outcome", response_model=MeetingView)
    async def record_outcome(meeting_id: uuid.UUID, body: MeetingOutcome, principal: Council) -> MeetingView:
        """Record what came of a meeting and its follow-up actions (any of its organisers); again: a correction.
        The words stay in intake; no event carries them."""
        async with rt.db.acquire() as conn, conn.transaction():
            await own_meeting(conn, meeting_id, principal)
            await store.record_outcome(conn, meeting_id, body.outcomes, list(body.follow_up))
            fresh = await store.one(conn, meeting_id)
        assert fresh is not None
        return view_of(fresh)

    return api
