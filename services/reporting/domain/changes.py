"""From events to projection changes: what each event reporting reads says about its facts."""

from __future__ import annotations

from datetime import datetime

from contracts.events import (
    AdviceAnswered,
    AdviceGiven,
    AssignmentAccepted,
    AssignmentDeclined,
    ConsultationRequired,
    CouncilMeetingHeld,
    CouncilMeetingPlanned,
    Event,
    ExperienceShared,
    FirstContactMade,
    QuestionReceived,
    QuestionWaiting,
    QuestionWithdrawn,
    ReferralSubmitted,
    SignalAcknowledged,
    SignalAnswered,
    SignalRaised,
    SupportEnded,
    SupporterAssigned,
    SupporterRegistered,
    SupporterUpdated,
)
from services.reporting.domain.advice import AdviceFact
from services.reporting.domain.assignments import AssignmentFact
from services.reporting.domain.participation import ExperienceFact, MeetingFact, ParticipantFact
from services.reporting.domain.questions import QuestionChange, QuestionFact, received_fact
from services.reporting.domain.signals import SignalFact
from services.reporting.domain.supporters import SupporterFact
from services.reporting.domain.withdrawals import WithdrawalFact, withdrawal_fact

#: Event types that must never be stored by reporting: they carry personal data.
PERSONAL_DATA_TYPES: frozenset[str] = frozenset({ReferralSubmitted.ce_type})


Change = (
    QuestionChange
    | AssignmentFact
    | SupporterFact
    | SignalFact
    | ExperienceFact
    | MeetingFact
    | WithdrawalFact
    | AdviceFact
)


def storable(ce_type: str) -> bool:
    """Whether reporting may keep this event in its event store."""
    return ce_type not in PERSONAL_DATA_TYPES


def changes_of(payload: Event) -> list[Change]:
    """The projection changes one event causes; an empty list for events no projection uses."""
    match payload:
        case QuestionReceived():
            return [QuestionChange(received_fact(payload))]
        case SupporterAssigned():
            return assigned_changes(payload)
        case AssignmentAccepted():
            question = QuestionFact(
                payload.question_id, municipality=payload.municipality, accepted_at=payload.accepted_at
            )
            return [QuestionChange(question), step_fact(payload, accepted_at=payload.accepted_at)]
        case AssignmentDeclined():
            return [declined_fact(payload)]
        case SupportEnded():
            question = QuestionFact(payload.question_id, municipality=payload.municipality, ended_at=payload.ended_at)
            return [QuestionChange(question), ended_fact(payload)]
        case FirstContactMade():
            return [first_contact_fact(payload)]
        case QuestionWaiting():
            fact = QuestionFact(payload.question_id, municipality=payload.municipality, waiting_since=payload.since)
            return [QuestionChange(fact)]
        case ConsultationRequired():
            fact = QuestionFact(
                payload.question_id, municipality=payload.municipality, consultation_at=payload.required_at
            )
            return [QuestionChange(fact)]
        case SupporterRegistered() | SupporterUpdated():
            return [supporter_fact(payload)]
        case SignalRaised():
            return [signal_fact(payload)]
        case SignalAcknowledged():
            return [
                SignalFact(
                    payload.signal_id, municipality=payload.municipality, acknowledged_at=payload.acknowledged_at
                )
            ]
        case SignalAnswered():
            return [SignalFact(payload.signal_id, municipality=payload.municipality, answered_at=payload.answered_at)]
        case ExperienceShared():
            return [experience_fact(payload)]
        case CouncilMeetingPlanned():
            return [planned_fact(payload)]
        case CouncilMeetingHeld():
            return [held_fact(payload)]
        case QuestionWithdrawn():
            return [withdrawal_fact(payload)]
        case AdviceGiven():
            return [advice_fact(payload)]
        case AdviceAnswered():
            return [
                AdviceFact(
                    payload.advice_id,
                    decision=payload.decision,
                    decided_on=payload.decided_on,
                    responded_on=payload.responded_on,
                    answered_at=payload.answered_at,
                )
            ]
    return []


def assigned_changes(payload: SupporterAssigned) -> list[Change]:
    question = QuestionFact(
        payload.question_id,
        municipality=payload.municipality,
        received_at=payload.received_at,
        assigned_at=payload.assigned_at,
        first_assignment_id=payload.assignment_id,
        organisation=payload.organisation,
        supporter_kind=payload.supporter_kind,
    )
    assignment = AssignmentFact(
        payload.assignment_id,
        question_id=payload.question_id,
        municipality=payload.municipality,
        organisation=payload.organisation,
        supporter_kind=payload.supporter_kind,
        assigned_at=payload.assigned_at,
    )
    return [QuestionChange(question), assignment]


def step_fact(payload: AssignmentAccepted, *, accepted_at: datetime | None = None) -> AssignmentFact:
    return AssignmentFact(
        payload.assignment_id,
        question_id=payload.question_id,
        municipality=payload.municipality,
        organisation=payload.organisation,
        accepted_at=accepted_at,
    )


def ended_fact(payload: SupportEnded) -> AssignmentFact:
    return AssignmentFact(
        payload.assignment_id,
        question_id=payload.question_id,
        municipality=payload.municipality,
        organisation=payload.organisation,
        ended_at=payload.ended_at,
        end_code=payload.reason.code if payload.reason else None,
    )


def first_contact_fact(payload: FirstContactMade) -> AssignmentFact:
    """The day the supporter reached the resident (not when they recorded it) and how."""
    return AssignmentFact(
        payload.assignment_id,
        question_id=payload.question_id,
        municipality=payload.municipality,
        organisation=payload.organisation,
        first_contact_on=payload.reached_on,
        first_contact_method=payload.method,
    )


def declined_fact(payload: AssignmentDeclined) -> AssignmentFact:
    return AssignmentFact(
        payload.assignment_id,
        question_id=payload.question_id,
        municipality=payload.municipality,
        organisation=payload.organisation,
        declined_at=payload.declined_at,
        declined_by=payload.declined_by,
        decline_code=payload.reason.code,
        decline_text=payload.reason.text,
    )


def supporter_fact(payload: SupporterRegistered | SupporterUpdated) -> SupporterFact:
    as_of = payload.registered_at if isinstance(payload, SupporterRegistered) else payload.updated_at
    return SupporterFact(
        supporter_id=payload.supporter_id,
        organisation=payload.organisation,
        kind=payload.kind,
        capacity=payload.capacity,
        availability=payload.availability,
        paused_until=payload.paused_until,
        municipalities=tuple(sorted(payload.municipalities)),
        as_of=as_of,
    )


def signal_fact(payload: SignalRaised) -> SignalFact:
    return SignalFact(
        signal_id=payload.signal_id,
        municipality=payload.municipality,
        theme=payload.theme,
        life_domain=payload.life_domain,
        level=payload.level,
        raised_by=payload.raised_by,
        raised_at=payload.raised_at,
    )


def experience_fact(payload: ExperienceShared) -> ExperienceFact:
    statements = payload.statements
    return ExperienceFact(
        experience_id=payload.experience_id,
        municipality=payload.municipality,
        life_domains=tuple(payload.life_domains),
        age_band=payload.age_band,
        organisation=payload.organisation,
        supporter_kind=payload.supporter_kind,
        knew_where_to_go=statements.knew_where_to_go,
        helped_quickly=statements.helped_quickly,
        supporter_on_my_side=statements.supporter_on_my_side,
        score=payload.score,
        has_text=payload.has_text,
        shared_at=payload.shared_at,
    )


def planned_fact(payload: CouncilMeetingPlanned) -> MeetingFact:
    return MeetingFact(
        payload.meeting_id,
        council=payload.council,
        municipality=payload.municipality,
        planned_for=payload.planned_for,
        planned_at=payload.planned_at,
    )


def held_fact(payload: CouncilMeetingHeld) -> MeetingFact:
    participants = tuple(
        ParticipantFact(p.role, p.organisation, p.municipality, p.age_band, tuple(p.life_domains))
        for p in payload.participants
    )
    return MeetingFact(
        payload.meeting_id,
        council=payload.council,
        municipality=payload.municipality,
        held_on=payload.held_on,
        recorded_at=payload.recorded_at,
        participants=participants,
    )


def advice_fact(payload: AdviceGiven) -> AdviceFact:
    return AdviceFact(
        payload.advice_id,
        council=payload.council,
        municipality=payload.municipality,
        addressee=payload.recipient,
        addressee_organisation=payload.recipient_organisation,
        given_on=payload.given_on,
        response_due=payload.response_due,
        themes=tuple(payload.themes),
        life_domains=tuple(payload.life_domains),
        signal_count=payload.signal_count,
        recorded_at=payload.recorded_at,
    )
