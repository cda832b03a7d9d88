"""The signal API: raising, the routed listing and grouping, and the desk's acknowledgement and answer.

Who sees which signal is :func:`domain.reach_of`; a signal outside a key's reach is answered as
unknown (404), so its existence does not leak. The raising organisation is recorded but never shown:
a view only says whether the caller's own organisation raised it (``yours``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, NoReturn

import asyncpg
from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel

from contracts.codes import LifeDomain
from contracts.events import SignalLevel, SignalSource, SignalTheme, check_municipality
from services.intake.domain import SignalSubmission
from services.intake.handlers import NotServed
from services.intake.signals import domain, store
from services.intake.signals.domain import AnswerBody, SignalRefused, SignalStatus
from services.intake.signals.handlers import OpenSignal, Signals
from services.intake.tenancy import domain as tenancy
from services.intake.tenancy.http import not_served
from services.kit.access import Principal, require
from services.kit.db import Conn
from services.kit.region import check_served
from services.kit.runtime import Runtime

Reader = Annotated[Principal, Depends(require(*domain.READERS))]
Desk = Annotated[Principal, Depends(require(domain.DESK))]


class SignalAccepted(BaseModel):
    signal_id: str


class AnswerView(BaseModel):
    text: str
    answered_at: datetime


class SignalView(BaseModel):
    """A signal as the desk, the council and the raiser see it: with its text, never with its raiser's name."""

    signal_id: str
    theme: SignalTheme
    life_domain: LifeDomain | None
    municipality: str
    level: SignalLevel
    raised_by: SignalSource
    raised_at: datetime
    text: str
    status: SignalStatus
    acknowledged_at: datetime | None
    answer: AnswerView | None
    yours: bool


class SignalList(BaseModel):
    signals: list[SignalView]


class SignalGroupView(BaseModel):
    theme: SignalTheme
    life_domain: LifeDomain | None
    level: SignalLevel
    count: int
    municipalities: list[str]
    first_raised_at: datetime
    last_raised_at: datetime
    answered: int
    signal_ids: list[str]


class SignalGroups(BaseModel):
    groups: list[SignalGroupView]


def view_of(signal: OpenSignal, principal: Principal) -> SignalView:
    answer = signal.answer
    return SignalView(
        signal_id=signal.signal_id,
        theme=signal.theme,
        life_domain=signal.life_domain,
        municipality=signal.municipality,
        level=signal.level,
        raised_by=signal.raised_by,
        raised_at=signal.raised_at,
        text=signal.text,
        status=signal.status,
        acknowledged_at=signal.acknowledged_at,
        answer=AnswerView(text=answer.text, answered_at=answer.answered_at) if answer else None,
        yours=signal.raised_by_organisation is not None and signal.raised_by_organisation == principal.organisation,
    )


def refuse(exc: SignalRefused | tenancy.EntryRefused) -> NoReturn:
    """403 for what the key itself may not do; 422 naming the field when the body must change."""
    if exc.field is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, exc.message)
    raise RequestValidationError([{"loc": ("body", exc.field), "msg": exc.message, "type": "value_error"}])


def not_found() -> NoReturn:
    raise HTTPException(status.HTTP_404_NOT_FOUND, domain.NOT_FOUND)


MunicipalityFilter = Annotated[
    str | None, AfterValidator(lambda v: v if v is None else check_served(check_municipality(v)))
]


def filters(
    theme: Annotated[SignalTheme | None, Query(description="only signals on this theme")] = None,
    status_filter: Annotated[
        SignalStatus | None, Query(alias="status", description="raised, acknowledged or answered")
    ] = None,
    municipality: Annotated[MunicipalityFilter, Query(description="CBS code, e.g. GM0505")] = None,
    level: Annotated[SignalLevel | None, Query(description="local or regional")] = None,
) -> store.Filters:
    return store.Filters(theme=theme, status=status_filter, municipality=municipality, level=level)


Filtered = Annotated[store.Filters, Depends(filters)]


def router(rt: Runtime, signals: Signals) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["signals"])

    @api.post("/signals", status_code=status.HTTP_202_ACCEPTED, response_model=SignalAccepted)
    async def raise_signal(
        body: SignalSubmission, principal: Annotated[Principal, Depends(require(*domain.RAISERS))]
    ) -> SignalAccepted:
        """Signal a systemic problem to the municipality (signaleren); residents use the form at ``/signaal``.

        ``raised_by`` follows from the key: left out, a council key raises as ``council``, staff as
        ``staff``, a coordinator as ``supporter``, a partner as ``partner``. A ``raised_by`` the key
        may not claim is refused (422). A key limited to a municipality signals for that municipality
        only (403 otherwise). The key's organisation is recorded, so it can read its own signals and
        their answers; it is never shown to others.
        """
        if not rt.region.serves(body.municipality):
            not_served(NotServed(body.municipality, rt.region))
        try:
            tenancy.check_municipality(principal, body.municipality)
            raised_by = domain.source_for(principal, body.raised_by)
        except (tenancy.EntryRefused, SignalRefused) as exc:
            refuse(exc)
        async with rt.db.acquire() as conn, conn.transaction():
            signal_id = await signals.raise_signal(conn, body, raised_by, organisation=principal.organisation)
        return SignalAccepted(signal_id=signal_id)

    @api.get("/signals", response_model=SignalList)
    async def list_signals(principal: Reader, chosen: Filtered) -> SignalList:
        """The signals this key may see, newest first (at most 200), with text, status and answer.

        The municipality's desk sees its municipality's signals; a council its municipality's plus
        every regional one (a key without municipality: all); other keys the signals their own
        organisation raised.
        """
        rows = await store.visible(rt.db, domain.reach_of(principal), chosen)
        return SignalList(signals=[view_of(signals.opened(r), principal) for r in rows])

    @api.get("/signals/groups", response_model=SignalGroups)
    async def signal_groups(principal: Reader, chosen: Filtered) -> SignalGroups:
        """Signals this key may see, grouped by theme, life domain and level: the largest group first."""
        facts = await store.visible_facts(rt.db, domain.reach_of(principal), chosen)
        return SignalGroups(
            groups=[
                SignalGroupView(
                    theme=g.theme,
                    life_domain=g.life_domain,
                    level=g.level,
                    count=g.count,
                    municipalities=list(g.municipalities),
                    first_raised_at=g.first_raised_at,
                    last_raised_at=g.last_raised_at,
                    answered=g.answered,
                    signal_ids=list(g.signal_ids),
                )
                for g in domain.group_signals(facts)
            ]
        )

    @api.get("/signals/{signal_id}", response_model=SignalView)
    async def get_signal(signal_id: uuid.UUID, principal: Reader) -> SignalView:
        """One signal, under the listing's rules; one this key may not see is unknown (404)."""
        async with rt.db.acquire() as conn:
            row = await seen_signal(conn, signal_id, principal)
        return view_of(signals.opened(row), principal)

    @api.post("/signals/{signal_id}/acknowledge", response_model=SignalView)
    async def acknowledge(signal_id: uuid.UUID, principal: Desk) -> SignalView:
        """The desk has read the signal (publishes SignalAcknowledged). Again: no change, the same answer."""
        async with rt.db.acquire() as conn, conn.transaction():
            row = await responded_signal(conn, signal_id, principal)
            if domain.acknowledge_changes(row["status"]):
                await signals.acknowledge(conn, signal_id, row["municipality"], principal.organisation)
            fresh = await store.one(conn, signal_id)
        assert fresh is not None
        return view_of(signals.opened(fresh), principal)

    @api.post("/signals/{signal_id}/answer", response_model=SignalView)
    async def answer(signal_id: uuid.UUID, body: AnswerBody, principal: Desk) -> SignalView:
        """The desk's answer, shown to whoever raised the signal (publishes SignalAnswered without the text).

        Answering acknowledges too. An answer is final: answering again is refused (409).
        """
        async with rt.db.acquire() as conn, conn.transaction():
            row = await responded_signal(conn, signal_id, principal)
            try:
                await signals.answer(
                    conn, signal_id, row["municipality"], row["status"], body.text, principal.organisation
                )
            except domain.AlreadyAnswered as exc:
                raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
            fresh = await store.one(conn, signal_id)
        assert fresh is not None
        return view_of(signals.opened(fresh), principal)

    return api


async def seen_signal(conn: Conn, signal_id: uuid.UUID, principal: Principal, lock: bool = False) -> asyncpg.Record:
    """The signal, when the key may see it; 404 (as for an unknown one) when it may not."""
    row = await store.one(conn, signal_id, lock=lock)
    if row is None or not domain.reach_of(principal).covers(
        row["municipality"], row["level"], row["raised_by_organisation"]
    ):
        not_found()
    return row


async def responded_signal(conn: Conn, signal_id: uuid.UUID, principal: Principal) -> asyncpg.Record:
    """The signal a desk acts on, locked: 404 when the key may not see it, 403 when it may not answer it."""
    row = await seen_signal(conn, signal_id, principal, lock=True)
    if not domain.may_respond(principal, row["municipality"]):
        raise HTTPException(status.HTTP_403_FORBIDDEN, domain.DESK_ONLY)
    return row
