"""A council's own view (``/adviesraad``, scope ``council``), in Dutch: what residents say in its area.

One page, four parts: the signals of its area and the municipality's answers (read only: the
desk answers); residents' experience texts by theme for a quarter (only groups of at least the
suppression threshold, :mod:`services.intake.experiences.reading`); the council's meetings and
whether it met its planned number this year; and its advice register (:mod:`.advice_forms`).
A key tied to a municipality sees that municipality (and regional signals); one without, the region.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.intake.councils import store as meetings
from services.intake.experiences.handlers import Participation
from services.intake.experiences.reading import PERIOD_PATTERN, period_of
from services.intake.settings import IntakeSettings
from services.intake.signals import domain, overdue, store
from services.intake.signals.handlers import Signals
from services.intake.staffpages.common import environment
from services.kit.access import Principal
from services.kit.dutch import today
from services.kit.region import region_of
from services.kit.runtime import Runtime
from services.kit.web.staff import PageSet, StaffPages

PATH: Final = "/adviesraad"
PAGES: Final = PageSet(
    path=PATH,
    audience="adviesraad",
    name="Adviesraad en cliëntenraad",
    scopes=(domain.COUNCIL,),
    login_heading="Inloggen voor de adviesraad of cliëntenraad",
    login_intro=(
        "Hier leest u wat inwoners zeggen over de hulp in uw gemeente: signalen, de antwoorden van de gemeente "
        "en ervaringen. U houdt ook uw bijeenkomsten en adviezen bij.",
    ),
    wrong_key="Deze sleutel werkt niet, of hoort niet bij een adviesraad of cliëntenraad.",
    back_text="Terug naar het overzicht",
)
_PERIOD: Final = re.compile(PERIOD_PATTERN)
#: What the page says after a form was sent (``?klaar=…``).
DONE: Final[dict[str, str]] = {
    "advies": "Het advies staat in het register.",
    "reactie": "De reactie op het advies is vastgelegd.",
    "bijeenkomst": "De bijeenkomst is vastgelegd.",
    "uitgenodigd": "De uitnodigingen zijn verstuurd. U ziet niet wie een uitnodiging kreeg.",
}


def previous_periods(current: str, count: int = 4) -> list[str]:
    """``current`` and the quarters before it, newest first."""
    year, quarter = int(current[:4]), int(current[-1])
    found = []
    for _ in range(count):
        found.append(f"{year}-Q{quarter}")
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return found


class CouncilPages(StaffPages):
    def __init__(self, rt: Runtime, signals: Signals, participation: Participation) -> None:
        super().__init__(rt, PAGES, environment())
        settings = rt.settings
        assert isinstance(settings, IntakeSettings)
        self.settings = settings
        self.signals = signals
        self.participation = participation
        self.organisation_names = dict(region_of(settings.region_file).organisation_names)
        self.sections: list[Any] = []  #: more parts of the page (the advice register adds itself)

    def current_period(self) -> str:
        return period_of(today())

    async def overview(self, request: Request, principal: Principal, period: str, **extra: Any) -> HTMLResponse:
        now = datetime.now(UTC)
        rows = await store.visible(self.rt.db, domain.reach_of(principal), store.Filters())
        signals = []
        for row in rows:
            signal = self.signals.opened(row)
            age = overdue.age_of(signal.raised_at, signal.answer is not None, now, self.settings.signal_answer_weeks)
            signals.append((signal, age))
        reading = await self.participation.readable(
            self.rt.db, principal.municipality, period, self.settings.suppression_threshold
        )
        own = await meetings.meetings_of(self.rt.db, principal.organisation, principal.municipality)
        year = today().year
        held = sum(1 for m in own if m["held_on"] is not None and m["held_on"].year == year)
        context: dict[str, Any] = {"problems": {}, "typed": {}, "done": None}
        for section in self.sections:
            context |= await section(principal)
        status_code = extra.pop("status_code", 200)
        context |= extra
        return self.render(
            request,
            "council.html",
            status_code,
            title="Overzicht – Adviesraad en cliëntenraad",
            principal=principal,
            signals=signals,
            weeks=self.settings.signal_answer_weeks,
            reading=reading,
            period=period,
            periods=previous_periods(period_of(today())),
            threshold=self.settings.suppression_threshold,
            meetings=own,
            year=year,
            held=held,
            organisation_names=self.organisation_names,
            planned=self.settings.council_meetings_per_year,
            **context,
        )


def router(rt: Runtime, pages: CouncilPages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    web.include_router(pages.router())

    @web.get(PATH, response_class=HTMLResponse)
    async def overview(request: Request, kwartaal: str | None = None, klaar: str | None = None) -> HTMLResponse:
        principal = await pages.principal(request)
        if principal is None:
            return pages.login(request)
        period = kwartaal if kwartaal and _PERIOD.match(kwartaal) else period_of(today())
        return await pages.overview(request, principal, period, done=DONE.get(klaar or ""))

    return web
