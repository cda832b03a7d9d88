"""The advice register API: a council records its advices (``POST /api/v1/advices``), the council or
the municipality's desk records the decision and response (``POST /api/v1/advices/{id}/answer``),
and both read the register. An advice the key may not see is answered as unknown (404)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, NoReturn

import asyncpg
from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from contracts.codes import LifeDomain
from contracts.events import AdviceAddressee, AdviceDecision, SignalTheme
from services.intake.advice import domain, handlers, store
from services.intake.advice.domain import AdviceBody, AdviceRefused, AnswerBody
from services.intake.settings import IntakeSettings
from services.kit.access import Principal, require
from services.kit.dutch import today
from services.kit.runtime import Runtime

Council = Annotated[Principal, Depends(require(domain.COUNCIL))]
Reader = Annotated[Principal, Depends(require(domain.COUNCIL, domain.DESK))]


class AdviceAnswerView(BaseModel):
    decision: AdviceDecision
    decided_on: date
    response: str
    responded_on: date
    answered_at: datetime


class AdviceView(BaseModel):
    advice_id: str
    council: str
    municipality: str | None
    subject: str
    text: str
    given_on: date
    addressee: AdviceAddressee
    addressee_organisation: str | None
    signal_ids: list[str]
    themes: list[SignalTheme]
    life_domains: list[LifeDomain]
    response_due: date
    late: bool
    answer: AdviceAnswerView | None


class AdviceList(BaseModel):
    advices: list[AdviceView]


def view_of(row: asyncpg.Record, on: date) -> AdviceView:
    answered = row["responded_on"] is not None
    return AdviceView(
        advice_id=row["advice_id"],
        council=row["council"],
        municipality=row["municipality"],
        subject=row["subject"],
        text=row["text"],
        given_on=row["given_on"],
        addressee=row["addressee"],
        addressee_organisation=row["addressee_organisation"],
        signal_ids=[str(s) for s in row["signal_ids"]],
        themes=row["themes"],
        life_domains=row["life_domains"],
        response_due=row["response_due"],
        late=domain.is_late(row["response_due"], row["responded_on"], on),
        answer=AdviceAnswerView(
            decision=row["decision"],
            decided_on=row["decided_on"],
            response=row["response"],
            responded_on=row["responded_on"],
            answered_at=row["answered_at"],
        )
        if answered
        else None,
    )


def refuse(exc: AdviceRefused) -> NoReturn:
    raise RequestValidationError([{"loc": ("body", exc.field), "msg": exc.message, "type": "value_error"}])


async def readable(rt: Runtime, principal: Principal) -> list[asyncpg.Record]:
    """The advices this key may read: a council its own, a desk its municipality's (the region's desk: all)."""
    rows: dict[str, asyncpg.Record] = {}
    if principal.has(domain.COUNCIL):
        rows |= {
            r["advice_id"]: r for r in await store.of_council(rt.db, principal.organisation, principal.municipality)
        }
    if principal.has(domain.DESK):
        rows |= {r["advice_id"]: r for r in await store.of_municipality(rt.db, principal.municipality)}
    return sorted(rows.values(), key=lambda r: (r["given_on"], r["recorded_at"]), reverse=True)


def router(rt: Runtime) -> APIRouter:
    settings = rt.settings
    assert isinstance(settings, IntakeSettings)
    api = APIRouter(prefix="/api/v1/advices", tags=["advice register"])

    @api.post("", status_code=status.HTTP_201_CREATED, response_model=AdviceView)
    async def give_advice(body: AdviceBody, principal: Council) -> AdviceView:
        """Record an advice of this council (publishes AdviceGiven). Linked signals must be ones the
        council may see (422 naming ``signal_ids`` otherwise)."""
        try:
            domain.check_advice(body, today())
            async with rt.db.acquire() as conn, conn.transaction():
                advice_id = await handlers.give(conn, rt.source, principal, body, settings.advice_response_weeks)
                row = await store.one(conn, advice_id)
        except AdviceRefused as exc:
            refuse(exc)
        assert row is not None
        return view_of(row, today())

    @api.get("", response_model=AdviceList)
    async def list_advices(principal: Reader) -> AdviceList:
        """The register this key may read, the newest first, with late responses flagged."""
        on = today()
        return AdviceList(advices=[view_of(r, on) for r in await readable(rt, principal)])

    @api.get("/{advice_id}", response_model=AdviceView)
    async def get_advice(advice_id: uuid.UUID, principal: Reader) -> AdviceView:
        row = await store.one(rt.db, advice_id)
        if row is None or not domain.may_see(principal, row["council"], row["municipality"]):
            raise HTTPException(status.HTTP_404_NOT_FOUND, domain.NOT_FOUND)
        return view_of(row, today())

    @api.post("/{advice_id}/answer", response_model=AdviceView)
    async def answer_advice(advice_id: uuid.UUID, body: AnswerBody, principal: Reader) -> AdviceView:
        """Record the addressee's decision and response (publishes AdviceAnswered); again: a correction."""
        try:
            async with rt.db.acquire() as conn, conn.transaction():
                row = await store.one(conn, advice_id, lock=True)
                if row is None or not domain.may_see(principal, row["council"], row["municipality"]):
                    raise HTTPException(status.HTTP_404_NOT_FOUND, domain.NOT_FOUND)
                await handlers.answer(conn, rt.source, row, body, principal.organisation, today())
                fresh = await store.one(conn, advice_id)
        except AdviceRefused as exc:
            refuse(exc)
        assert fresh is not None
        return view_of(fresh, today())

    return api
