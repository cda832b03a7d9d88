"""Matching's events: who supports a question (or why nobody yet), the supporter pool, and the life
of an assignment from accepted to ended."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts import topics
from contracts.codes import (
    ContactMethod,
    LifeDomain,
    OverdueStage,
    SupporterKind,
)
from contracts.events.base import (
    Event,
    Identifier,
    Municipality,
    Postcode4,
    Reason,
    check_languages,
    check_municipality,
)
from contracts.references import REFERENCE_PATTERN

# --- assignments ----------------------------------------------------------------------------------


class SupporterAssigned(Event):
    ce_type: ClassVar[str] = "nl.samenloket.supporter.assigned.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    question_id: str
    assignment_id: str
    supporter_id: str
    organisation: str
    supporter_kind: SupporterKind
    municipality: Municipality
    score: float
    reasons: list[Reason] = Field(default_factory=list)
    received_at: datetime
    assigned_at: datetime
    partner_supporter_id: str | None = Field(
        default=None, description="a duo: the other supporter, who gets a SupporterAssigned of their own"
    )
    reference: str | None = Field(
        default=None,
        pattern=REFERENCE_PATTERN,
        description="the question's short reference (QuestionReceived.reference), so a consumer that has not"
        " seen QuestionReceived yet still names the question as the resident does; random, no personal data",
    )

    def subject(self) -> str:
        return self.question_id


class QuestionWaiting(Event):
    """Eligible supporters exist but none has room: the question joins the waiting list."""

    ce_type: ClassVar[str] = "nl.samenloket.question.waiting.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    question_id: str
    municipality: Municipality
    eligible_supporters: int
    since: datetime

    def subject(self) -> str:
        return self.question_id


class CandidateVerdict(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    supporter_id: str
    organisation: str
    failed_rules: list[Reason]


class ConsultationRequired(Event):
    """No supporter satisfies the hard rules: coordinators decide together (gezamenlijk overleg)."""

    ce_type: ClassVar[str] = "nl.samenloket.consultation.required.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    question_id: str
    municipality: Municipality
    reason: Reason
    candidates: list[CandidateVerdict] = Field(default_factory=list)
    required_at: datetime

    def subject(self) -> str:
        return self.question_id


class ConsultationAppointmentPlanned(Event):
    """A coordinator planned the conversation with the resident in which they choose together who
    supports them (the joint consultation). Planning again replaces the earlier moment.

    Only the moment: how to reach the resident, and what they said, stay in intake and matching.
    """

    ce_type: ClassVar[str] = "nl.samenloket.consultation_appointment.planned.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    question_id: str
    municipality: Municipality
    planned_for: datetime = Field(description="when the conversation takes place")
    planned_at: datetime = Field(description="when it was planned: the latest plan of a question holds")

    def subject(self) -> str:
        return self.question_id


class ConsultationAppointmentHeld(Event):
    """The conversation to choose together took place (the choice itself follows as SupporterAssigned)."""

    ce_type: ClassVar[str] = "nl.samenloket.consultation_appointment.held.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    question_id: str
    municipality: Municipality
    planned_for: datetime = Field(description="the moment that was planned")
    held_at: datetime = Field(description="when the coordinator recorded that it took place")

    def subject(self) -> str:
        return self.question_id


# --- the supporter pool and the life of an assignment (matching) ------------------------------------

SupporterAvailability = Literal["active", "paused"]
DeclinedBy = Literal["supporter", "resident"]


class _SupporterProfile(Event):
    """What SupporterRegistered and SupporterUpdated share: the public profile, never name or e-mail.

    A supporter's contact details stay in matching; notifications fetch them over the internal call.
    """

    supporter_id: Identifier
    organisation: Identifier
    kind: SupporterKind
    municipalities: list[Municipality]
    life_domains: list[LifeDomain]
    languages: list[str]
    specialisms: list[str] = Field(default_factory=list)
    experience_themes: list[str] = Field(default_factory=list, description="lived-experience themes")
    capacity: int = Field(ge=0, description="most active cases at once")
    availability: SupporterAvailability = "active"
    paused_until: date | None = Field(default=None, description="paused until (and including) the day before")
    postcode: Postcode4 | None = None

    _languages = field_validator("languages")(check_languages)

    @field_validator("municipalities")
    @classmethod
    def _known_municipalities(cls, values: list[str]) -> list[str]:
        return [check_municipality(v) for v in values]

    def subject(self) -> str:
        return self.supporter_id


class SupporterRegistered(_SupporterProfile):
    ce_type: ClassVar[str] = "nl.samenloket.supporter.registered.v1"
    topic: ClassVar[str] = topics.SUPPORTERS

    registered_at: datetime


class SupporterUpdated(_SupporterProfile):
    """The profile after a change; ``changed`` names the profile fields that changed, and ``email`` or
    ``name`` when the supporter's e-mail address or name changed (the values are never on a topic)."""

    ce_type: ClassVar[str] = "nl.samenloket.supporter.updated.v1"
    topic: ClassVar[str] = topics.SUPPORTERS

    changed: list[str] = Field(default_factory=list)
    updated_at: datetime


class _AssignmentStep(Event):
    """What the steps in the life of an assignment share (topic assignments, key: question id)."""

    question_id: str
    assignment_id: str
    supporter_id: str
    organisation: str
    municipality: Municipality

    def subject(self) -> str:
        return self.question_id


class AssignmentAccepted(_AssignmentStep):
    ce_type: ClassVar[str] = "nl.samenloket.assignment.accepted.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    accepted_at: datetime


class AssignmentDeclined(_AssignmentStep):
    """The supporter or the resident declined; the question is never offered to this supporter again.

    ``reason`` is a code with its standard Dutch sentence; a person's own words stay in matching.
    """

    ce_type: ClassVar[str] = "nl.samenloket.assignment.declined.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    declined_by: DeclinedBy
    reason: Reason
    declined_at: datetime


class SupportEnded(_AssignmentStep):
    ce_type: ClassVar[str] = "nl.samenloket.support.ended.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    reason: Reason | None = None
    ended_at: datetime


class FirstContactMade(_AssignmentStep):
    """The supporter reached the resident for the first time (the promise: within 3 working days)."""

    ce_type: ClassVar[str] = "nl.samenloket.first_contact.made.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    method: ContactMethod
    reached_on: date = Field(description="the day the supporter reached the resident, as they recorded it")
    recorded_at: datetime


class FirstContactOverdue(_AssignmentStep):
    """No first contact yet: after 2 working days a reminder to the supporter, after 3 an escalation to
    the coordinator of the supporter's organisation (Dutch working days: no weekends, no public holidays)."""

    ce_type: ClassVar[str] = "nl.samenloket.first_contact.overdue.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    stage: OverdueStage
    assigned_at: datetime
    working_days: int = Field(ge=0, description="working days since the assignment")
    noticed_at: datetime
