"""The signal lifecycle: raising, routing to the municipality's desk and councils, acknowledging and
answering, grouping, and the resident's status link. See :mod:`services.intake.signals.domain`."""

from __future__ import annotations

from fastapi import APIRouter

from services.intake.handlers import Intake
from services.intake.signals import http, web
from services.intake.signals.handlers import Signals
from services.kit.runtime import Runtime


def routers(rt: Runtime, intake: Intake) -> list[APIRouter]:
    """The signal API and the resident's signal pages, sealing texts with intake's vault."""
    signals = Signals(intake.vault, rt.source)
    return [http.router(rt, signals), web.router(rt, signals)]
