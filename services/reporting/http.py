"""The report API for the municipality (guarded by the internal token until analyst keys exist)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AfterValidator, BaseModel, Field

from contracts.codes import LIFE_DOMAINS
from contracts.events import check_municipality
from services.kit.http import internal_auth
from services.kit.runtime import Runtime
from services.reporting import store

MunicipalityFilter = Annotated[
    str | None,
    AfterValidator(lambda v: v if v is None else check_municipality(v)),
    Query(description="CBS code, e.g. GM0505; leave out for the whole region", examples=["GM0505"]),
]


class QuestionFigures(BaseModel):
    total: int = Field(description="questions known, partial ones included")
    by_life_domain: dict[str, int] = Field(description="questions per life domain (a question may have several)")


class Overview(BaseModel):
    municipality: str | None = Field(description="the municipality asked for; null means the whole region")
    questions: QuestionFigures
    assigned: int = Field(description="questions whose current status is assigned")
    waiting: int = Field(description="questions whose current status is waiting")
    consultation: int = Field(description="questions waiting for a joint consultation")
    signals: int = Field(description="signals raised")
    median_minutes_received_to_assigned: float | None = Field(
        description="median minutes from receipt to first assignment; null when nothing is assigned"
    )


def router(runtime: Runtime) -> APIRouter:
    token = runtime.settings.internal_token.get_secret_value()
    api = APIRouter(prefix="/api/v1/reports", tags=["reports"], dependencies=[Depends(internal_auth(token))])

    @api.get("/overview", response_model=Overview)
    async def overview(municipality: MunicipalityFilter = None) -> Overview:
        figures = await store.overview(runtime.db, municipality)
        return Overview(
            municipality=municipality,
            questions=QuestionFigures(
                total=figures.total,
                by_life_domain={d: figures.by_life_domain.get(d, 0) for d in LIFE_DOMAINS},
            ),
            assigned=figures.assigned,
            waiting=figures.waiting,
            consultation=figures.consultation,
            signals=figures.signals,
            median_minutes_received_to_assigned=figures.median_minutes_received_to_assigned,
        )

    return api
