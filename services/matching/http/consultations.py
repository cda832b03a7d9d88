"""``/api/v1/consultations``: the joint consultation's queue, its conversation with the resident (planned,
held, the resident's own view), and assigning by hand (one supporter or a duo)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from contracts.events import Reason, refuse_bsn
from contracts.text import CleanText
from services.kit.runtime import Runtime
from services.matching import handlers, store
from services.matching.container import Container
from services.matching.http.assignment_models import AssignmentOut
from services.matching.http.common import Coordinator, Identifier, check_municipality_query, command, who


class ManualAssignIn(CleanText):
    model_config = ConfigDict(extra="forbid")

    supporter_id: Identifier
    partner_supporter_id: Identifier | None = Field(
        default=None,
        description="a duo: the second supporter (a professional plus a volunteer or experience expert, either"
        " order); both are booked, or neither",
    )
    reason: str = Field(min_length=5, max_length=1000, description="why the consultation chose this supporter")

    _reason = field_validator("reason")(refuse_bsn)


class AppointmentIn(CleanText):
    model_config = ConfigDict(extra="forbid")

    planned_for: AwareDatetime = Field(description="when the conversation with the resident takes place")


class ResidentViewIn(CleanText):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=handlers.meetings.VIEW_MIN,
        max_length=handlers.meetings.VIEW_MAX,
        description="the resident's own view: what they want from a supporter (stays in matching)",
    )

    _text = field_validator("text")(refuse_bsn)


class MeetingOut(BaseModel):
    """The consultation's conversation with the resident: planned, held, and the note of their view."""

    question_id: str
    planned_for: datetime | None
    planned_at: datetime | None
    held_at: datetime | None
    resident_view: str | None
    view_at: datetime | None

    @classmethod
    def of(cls, m: store.Meeting) -> MeetingOut:
        return cls(
            question_id=m.question_id,
            planned_for=m.planned_for,
            planned_at=m.planned_at,
            held_at=m.held_at,
            resident_view=m.resident_view,
            view_at=m.view_at,
        )


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
        municipality = check_municipality_query(rt.region, principal, municipality)
        async with rt.db.acquire() as conn:
            queue = await handlers.consultation_queue(conn, municipality, c.scoring)
        return [ConsultationOut.of(item) for item in queue]

    @routes.post(
        "/consultations/{question_id}/assign", status_code=status.HTTP_201_CREATED, response_model=AssignmentOut
    )
    async def assign_by_hand(question_id: str, body: ManualAssignIn, principal: Coordinator) -> AssignmentOut:
        """A coordinator assigns by hand, one supporter or a duo (``partner_supporter_id``): soft rules may
        be overridden (the reason is recorded), capacity never (409 when a supporter is full; a duo is
        booked whole or not at all). A duo answers the professional's assignment."""
        partner = body.partner_supporter_id
        if partner is None:
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
        else:
            found = await command(
                rt,
                lambda conn: handlers.assign_duo_by_hand(
                    conn,
                    question_id,
                    (body.supporter_id, partner),
                    body.reason,
                    who(principal),
                    c.source,
                    c.scoring,
                    municipality=principal.municipality,
                ),
            )
        return AssignmentOut.of(found)

    @routes.put("/consultations/{question_id}/appointment", response_model=MeetingOut)
    async def plan_appointment(question_id: str, body: AppointmentIn, principal: Coordinator) -> MeetingOut:
        """Plan (or plan again) the conversation with the resident: ConsultationAppointmentPlanned, and the
        resident's own page shows the moment. A moment past, or more than three months ahead, is 422."""
        meeting = await command(
            rt,
            lambda conn: handlers.plan_appointment(
                conn, question_id, body.planned_for, who(principal), c.source, municipality=principal.municipality
            ),
        )
        return MeetingOut.of(meeting)

    @routes.post("/consultations/{question_id}/appointment/held", response_model=MeetingOut)
    async def appointment_held(question_id: str, principal: Coordinator) -> MeetingOut:
        """The conversation took place: ConsultationAppointmentHeld (409 when none was planned, or held already)."""
        meeting = await command(
            rt,
            lambda conn: handlers.appointment_held(
                conn, question_id, who(principal), c.source, municipality=principal.municipality
            ),
        )
        return MeetingOut.of(meeting)

    @routes.put("/consultations/{question_id}/resident-view", response_model=MeetingOut)
    async def resident_view(question_id: str, body: ResidentViewIn, principal: Coordinator) -> MeetingOut:
        """The resident's own view in a short note (5-600 characters, no BSN); it never leaves matching."""
        meeting = await command(
            rt,
            lambda conn: handlers.record_resident_view(
                conn, question_id, body.text, who(principal), municipality=principal.municipality
            ),
        )
        return MeetingOut.of(meeting)

    return routes
