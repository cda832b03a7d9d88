"""The participation staff pages as routers: the desk's, and the council's with its advice register."""

from __future__ import annotations

from fastapi import APIRouter

from services.intake.experiences.handlers import Participation
from services.intake.signals.handlers import Signals
from services.intake.staffpages import advice_forms, council, desk, panel_forms
from services.kit.runtime import Runtime


def routers(rt: Runtime, signals: Signals, participation: Participation) -> list[APIRouter]:
    pages = council.CouncilPages(rt, signals, participation)
    advice_forms.install(pages)
    panel_forms.install(pages)
    council_web = council.router(rt, pages)
    advice_forms.routes(council_web, pages)
    panel_forms.routes(council_web, pages)
    return [desk.router(rt, signals), council_web]
