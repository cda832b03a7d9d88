"""``/api/v1/consultations``: the joint consultation's queue, and assigning by hand."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.events import Reason, refuse_bsn
from contracts.text import CleanText
from services.kit.runtime import Runtime
from services.matching import handlers
from services.matching.container import Container
from services.matching.http.assignment_models import AssignmentOut
from services.matching.http.common import Coordinator, Identifier, check_municipality_query, command, who


class ManualAssignIn(CleanText):
    model_config = ConfigDict(extra="forbid")

    supporter_id: Identifier
    reason: str = Field(min_length=5, max_length=1000, description="why the consultation chose this supporter")

    _reason = field_validator("reason")(refuse_bsn)


class CandidateOut(BaseModel):
    supporter_id: str
    name: str
    organisation: str
    kind: str
    free_places: int
    score: float
    eligible: bool
    failed_rules: list[Reason]


class ConsultationOut(BaseModel):
    question_id: str
    municipality: str | None
    life_domains: list[str]
    preferred_supporter_kind: str | None
    languages: list[str]
    postcode: str | None
    required_at: datetime
    reason: Reason
    candidates: list[CandidateOut]

    @classmethod
    def of(cls, item: handlers.QueueItem) -> ConsultationOut:
        q = item.question
        return cls(
            question_id=item.consultation.question_id,
            municipality=item.consultation.municipality,
            life_domains=list(q.life_domains) if q else [],
            preferred_supporter_kind=q.preferred_supporter_kind if q else None,
            languages=list(q.languages) if q else [],
            postcode=q.postcode if q else None,
            required_at=item.consultation.required_at,
            reason=item.consultation.reason,
            candidates=[CandidateOut(**vars(c), eligible=not c.failed_rules) for c in item.candidates],
        )


def router(rt: Runtime, c: Container) -> APIRouter:
    routes = APIRouter(prefix="/api/v1", tags=["joint consultation"])

    @routes.get("/consultations", response_model=list[ConsultationOut])
    async def consultations(
        principal: Coordinator,
        municipality: str | None = Query(default=None, description="CBS code, e.g. GM0505"),
    ) -> list[ConsultationOut]:
        """Questions no supporter fits, oldest first, with the candidates now and the rules each fails."""
        municipality = check_municipality_query(principal, municipality)
        async with rt.db.acquire() as conn:
            queue = await handlers.consultation_queue(conn, municipality, c.scoring)
        return [ConsultationOut.of(item) for item in queue]

    @routes.post(
        "/consultations/{question_id}/assign", status_code=status.HTTP_201_CREATED, response_model=AssignmentOut
    )
    async def assign_by_hand(question_id: str, body: ManualAssignIn, principal: Coordinator) -> AssignmentOut:
        """A coordinator assigns by hand: soft rules may be overridden (the reason is recorded), capacity
        never (409 when the supporter is full)."""
        found = await command(
            rt,
            lambda conn: handlers.assign_by_hand(
                conn,
                question_id,
                body.supporter_id,
                body.reason,
                who(principal),
                c.source,
                c.scoring,
                municipality=principal.municipality,
            ),
        )
        return AssignmentOut.of(found)

    return routes
