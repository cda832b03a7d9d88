"""``GET /api/v1/council/experiences``: the experience texts a council may read (scope ``council``).

A key tied to a municipality reads that municipality's texts; a key without one the region's. Only
groups of at least the suppression threshold are returned (:mod:`.reading`); how many groups were
held back is said, never their sizes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from services.intake.experiences.handlers import Participation
from services.intake.experiences.reading import PERIOD_PATTERN, period_of
from services.intake.settings import IntakeSettings
from services.kit.access import Principal, require
from services.kit.dutch import today
from services.kit.runtime import Runtime

Council = Annotated[Principal, Depends(require("council"))]
Period = Annotated[str | None, Query(pattern=PERIOD_PATTERN, description="a calendar quarter, e.g. 2026-Q3")]


class TextGroupView(BaseModel):
    theme: str
    period: str
    size: int
    texts: list[str]


class ExperienceTexts(BaseModel):
    period: str
    threshold: int
    groups: list[TextGroupView]
    held_back: int


def router(rt: Runtime, participation: Participation) -> APIRouter:
    settings = rt.settings
    assert isinstance(settings, IntakeSettings)
    api = APIRouter(prefix="/api/v1/council", tags=["council"])

    @api.get("/experiences", response_model=ExperienceTexts)
    async def experience_texts(principal: Council, period: Period = None) -> ExperienceTexts:
        """Experience texts of the key's area in one quarter (default: this one), grouped by theme.

        A group with fewer texts than the suppression threshold is never shown; a text is shown
        without any fact about its writer, and one that still holds contact data not at all.
        """
        chosen = period or period_of(today())
        found = await participation.readable(rt.db, principal.municipality, chosen, settings.suppression_threshold)
        return ExperienceTexts(
            period=chosen,
            threshold=settings.suppression_threshold,
            groups=[
                TextGroupView(theme=g.theme, period=g.period, size=g.size, texts=list(g.texts)) for g in found.groups
            ],
            held_back=found.held_back,
        )

    return api
