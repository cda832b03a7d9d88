"""The municipality's signal desk (``/signalenloket``, scope ``municipality``), in Dutch.

The desk sees the signals of its municipality (a desk key without one: the region's), newest
first, with their texts, themes, who raised them (as a kind, never a name), their age in working
days and whether the answer is late (:mod:`services.intake.signals.overdue`). Above the list the
signals are grouped by theme, life domain and level, so patterns show. Each open signal has a form
to mark it read and one to answer it, through the same use cases as the API.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import asyncpg
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from services.intake.settings import IntakeSettings
from services.intake.signals import domain, overdue, store
from services.intake.signals.handlers import OpenSignal, Signals
from services.intake.staffpages.common import environment
from services.kit.access import Principal
from services.kit.db import Conn
from services.kit.runtime import Runtime
from services.kit.web.forms import first
from services.kit.web.headers import redirect
from services.kit.web.staff import PageSet, StaffPages

PATH: Final = "/signalenloket"
PAGES: Final = PageSet(
    path=PATH,
    audience="signalenloket",
    name="Signalenloket",
    scopes=(domain.DESK,),
    login_heading="Inloggen voor het signalenloket",
    login_intro=(
        "Hier leest u de signalen van inwoners, ondersteuners en organisaties over uw gemeente. "
        "U laat weten dat u een signaal gelezen heeft, en u geeft een antwoord.",
    ),
    wrong_key="Deze sleutel werkt niet, of hoort niet bij het signalenloket van een gemeente.",
    back_text="Terug naar de signalen",
)
ANSWER_PROBLEMS: Final = {
    "missing": "Schrijf een antwoord.",
    "too_long": "Maak het antwoord korter (hoogstens 4000 tekens).",
    "bsn": "Haal het burgerservicenummer (BSN) uit het antwoord.",
}


def answer_problem(exc: ValidationError) -> str:
    kinds = {e["type"] for e in exc.errors()}
    if "bsn_found" in kinds:
        return ANSWER_PROBLEMS["bsn"]
    if "string_too_long" in kinds:
        return ANSWER_PROBLEMS["too_long"]
    return ANSWER_PROBLEMS["missing"]


@dataclass(frozen=True)
class DeskItem:
    signal: OpenSignal
    age: overdue.Age
    may_respond: bool


class DeskPages(StaffPages):
    def __init__(self, rt: Runtime, signals: Signals) -> None:
        super().__init__(rt, PAGES, environment())
        settings = rt.settings
        assert isinstance(settings, IntakeSettings)
        self.weeks = settings.signal_answer_weeks
        self.signals = signals

    async def listing(
        self,
        request: Request,
        principal: Principal,
        status: int = 200,
        problems: dict[str, str] | None = None,
        typed: dict[str, str] | None = None,
        done: str | None = None,
    ) -> HTMLResponse:
        reach = domain.reach_of(principal)
        rows = await store.visible(self.rt.db, reach, store.Filters())
        facts = await store.visible_facts(self.rt.db, reach, store.Filters())
        now = datetime.now(UTC)
        items: list[DeskItem] = []
        for row in rows:
            signal = self.signals.opened(row)
            age = overdue.age_of(signal.raised_at, signal.answer is not None, now, self.weeks)
            items.append(DeskItem(signal, age, domain.may_respond(principal, signal.municipality)))
        title = "Signalen" if not problems else "Fout: Signalen"
        return self.render(
            request,
            "desk.html",
            status,
            title=f"{title} – Signalenloket",
            principal=principal,
            items=items,
            groups=domain.group_signals(facts),
            weeks=self.weeks,
            late=sum(1 for i in items if i.age.late),
            problems=problems or {},
            typed=typed or {},
            done=done,
        )


def router(rt: Runtime, signals: Signals) -> APIRouter:
    pages = DeskPages(rt, signals)
    web = APIRouter(include_in_schema=False)
    web.include_router(pages.router())

    @web.get(PATH, response_class=HTMLResponse)
    async def desk(request: Request, klaar: str | None = None) -> HTMLResponse:
        principal = await pages.principal(request)
        if principal is None:
            return pages.login(request)
        return await pages.listing(request, principal, done=klaar if klaar in ("gelezen", "beantwoord") else None)

    async def acting(request: Request, signal_id: str) -> tuple[Principal, uuid.UUID, dict[str, list[str]]] | Response:
        principal = await pages.principal(request)
        if principal is None:
            return pages.login(request, 401, "U bent niet (meer) ingelogd. Log in en probeer het opnieuw.")
        values = await pages.admit(request)
        if isinstance(values, Response):
            return values
        try:
            sid = uuid.UUID(signal_id)
        except ValueError:
            return unknown(request, principal)
        return principal, sid, dict(values)

    async def respondable(conn: Conn, sid: uuid.UUID, principal: Principal) -> asyncpg.Record | None:
        """The signal, locked, when this desk may answer it; None (shown as unknown: 404) otherwise."""
        row = await store.one(conn, sid, lock=True)
        if row is None or not domain.may_respond(principal, row["municipality"]):
            return None
        return row

    def unknown(request: Request, principal: Principal) -> HTMLResponse:
        return pages.refuse(request, 404, "Dit signaal is niet bekend.", principal)

    @web.post(PATH + "/signalen/{signal_id}/gelezen", response_class=HTMLResponse)
    async def acknowledge(request: Request, signal_id: str) -> Response:
        acted = await acting(request, signal_id)
        if isinstance(acted, Response):
            return acted
        principal, sid, _ = acted
        async with rt.db.acquire() as conn, conn.transaction():
            row = await respondable(conn, sid, principal)
            if row is None:
                return unknown(request, principal)
            if domain.acknowledge_changes(row["status"]):
                await signals.acknowledge(conn, sid, row["municipality"], principal.organisation)
        return redirect(f"{PATH}?klaar=gelezen#signaal-{sid}")

    @web.post(PATH + "/signalen/{signal_id}/antwoord", response_class=HTMLResponse)
    async def answer(request: Request, signal_id: str) -> Response:
        acted = await acting(request, signal_id)
        if isinstance(acted, Response):
            return acted
        principal, sid, values = acted
        text = first(values, "antwoord")
        try:
            body = domain.AnswerBody(text=text)
        except ValidationError as exc:
            key = str(sid)
            return await pages.listing(request, principal, 422, {key: answer_problem(exc)}, {key: text})
        async with rt.db.acquire() as conn, conn.transaction():
            row = await respondable(conn, sid, principal)
            if row is None:
                return unknown(request, principal)
            try:
                await signals.answer(conn, sid, row["municipality"], row["status"], body.text, principal.organisation)
            except domain.AlreadyAnswered:
                return pages.refuse(request, 409, "Dit signaal is al beantwoord. Een antwoord wordt niet vervangen.")
        return redirect(f"{PATH}?klaar=beantwoord#signaal-{sid}")

    return web
