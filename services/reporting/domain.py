"""What an event changes in the read models: pure rules, no I/O.

Events reach reporting over several topics, so their order is only guaranteed per topic and key.
A ``SupporterAssigned`` on ``samenloket.assignments`` may well be handled before the
``QuestionReceived`` of the same question on ``samenloket.questions``. Every rule here is therefore
written as a merge that is commutative, associative and idempotent: whatever the arrival order, and
however often an event is applied, the facts converge to the same state. That same property lets
``samenloket reporting rebuild`` replay the stored events and arrive at the same tables.

Rules for a question fact:
- ``QuestionReceived`` (intake) is authoritative for what intake knows: municipality, life domains,
  channel, referrer, how the resident found us, age band and the moment of receipt. Once it has been
  seen the fact is ``complete``.
- Before that, other events may create a *partial* fact; their copies of municipality and
  ``received_at`` fill the gap (the earliest one wins, so the result does not depend on order).
- Milestones (assigned, accepted, waiting, consultation) keep the earliest moment reported; the end
  of support keeps the latest (a duo ends when the last of the two ends).
- The first assignment (earliest ``assigned_at``, ties by assignment id) names the organisation and
  supporter kind of the question.
- The status follows from the milestones, not from the order of arrival: closed beats accepted beats
  assigned, which beats waiting and consultation; between waiting and consultation the later
  milestone wins (a tie goes to consultation, the more advanced step); otherwise the question is
  received.

Other facts follow the same idea: an assignment, a signal and a council meeting are filled in by
each event that speaks of them (earliest moment wins); a supporter's profile and a meeting's plan and
attendance are "last written wins" by the moment the event says it was made (ties broken by value,
never by arrival). Nothing here holds a resident reference: projections count, they do not identify.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal, TypeVar

from contracts.codes import SignalStatus
from contracts.events import (
    AssignmentAccepted,
    AssignmentDeclined,
    ConsultationRequired,
    CouncilMeetingHeld,
    CouncilMeetingPlanned,
    Event,
    ExperienceShared,
    QuestionReceived,
    QuestionWaiting,
    ReferralSubmitted,
    SignalAcknowledged,
    SignalAnswered,
    SignalRaised,
    SupportEnded,
    SupporterAssigned,
    SupporterRegistered,
    SupporterUpdated,
)

_T = TypeVar("_T", str, datetime, date)

Status = Literal["received", "waiting", "consultation", "assigned", "accepted", "closed"]
AssignmentState = Literal["assigned", "accepted", "declined", "ended"]

STATUSES: tuple[Status, ...] = ("received", "waiting", "consultation", "assigned", "accepted", "closed")

#: Event types that must never be stored by reporting: they carry personal data.
PERSONAL_DATA_TYPES: frozenset[str] = frozenset({ReferralSubmitted.ce_type})


# --- questions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionFact:
    """One question as the municipality sees it. ``None`` means: not known (yet)."""

    question_id: str
    municipality: str | None = None
    life_domains: tuple[str, ...] | None = None
    channel: str | None = None
    referrer: str | None = None
    found_via: str | None = None
    age_band: str | None = None
    received_at: datetime | None = None
    assigned_at: datetime | None = None
    first_assignment_id: str | None = None
    organisation: str | None = None
    supporter_kind: str | None = None
    accepted_at: datetime | None = None
    waiting_since: datetime | None = None
    consultation_at: datetime | None = None
    ended_at: datetime | None = None
    complete: bool = False

    @property
    def status(self) -> Status:
        return status_of(self)

    def derived(self) -> dict[str, str]:
        return {"status": self.status}


@dataclass(frozen=True)
class QuestionChange:
    """What one event says about a question, as a partial fact.

    ``fact.complete`` is true only for ``QuestionReceived``: its intake fields replace whatever
    partial values were there.
    """

    fact: QuestionFact


def received_fact(payload: QuestionReceived) -> QuestionFact:
    return QuestionFact(
        payload.question_id,
        municipality=payload.municipality,
        life_domains=tuple(payload.life_domains),
        channel=payload.channel,
        referrer=payload.referrer,
        found_via=payload.found_via,
        age_band=payload.age_band,
        received_at=payload.received_at,
        complete=True,
    )


def merge_question(current: QuestionFact | None, change: QuestionChange) -> QuestionFact:
    """Apply ``change`` to ``current`` (``None``: the question is not known yet)."""
    new = change.fact
    base = current or QuestionFact(new.question_id)
    if new.complete:
        intake = replace(
            base,
            municipality=new.municipality,
            life_domains=new.life_domains,
            channel=new.channel,
            referrer=new.referrer,
            found_via=new.found_via,
            age_band=new.age_band,
            received_at=new.received_at,
            complete=True,
        )
    elif base.complete:
        intake = base
    else:
        intake = replace(
            base,
            municipality=_least(base.municipality, new.municipality),
            received_at=_least(base.received_at, new.received_at),
        )
    first = _first_assignment(base, new)
    return replace(
        intake,
        assigned_at=_least(base.assigned_at, new.assigned_at),
        first_assignment_id=first.first_assignment_id,
        organisation=first.organisation,
        supporter_kind=first.supporter_kind,
        accepted_at=_least(base.accepted_at, new.accepted_at),
        waiting_since=_least(base.waiting_since, new.waiting_since),
        consultation_at=_least(base.consultation_at, new.consultation_at),
        ended_at=_greatest(base.ended_at, new.ended_at),
    )


def _first_assignment(a: QuestionFact, b: QuestionFact) -> QuestionFact:
    """Of two facts, the one naming the earliest assignment (ties: the smaller assignment id)."""
    named = [f for f in (a, b) if f.first_assignment_id is not None and f.assigned_at is not None]
    if not named:
        return a
    return min(named, key=lambda f: (f.assigned_at, f.first_assignment_id))


def status_of(fact: QuestionFact) -> Status:
    """The current status, derived from the milestones only (see the module docstring)."""
    if fact.ended_at is not None:
        return "closed"
    if fact.accepted_at is not None:
        return "accepted"
    if fact.assigned_at is not None:
        return "assigned"
    if fact.consultation_at is not None and (fact.waiting_since is None or fact.consultation_at >= fact.waiting_since):
        return "consultation"
    if fact.waiting_since is not None:
        return "waiting"
    return "received"


# --- assignments ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentFact:
    """One assignment of a supporter to a question; each step fills in its part."""

    assignment_id: str
    question_id: str | None = None
    municipality: str | None = None
    organisation: str | None = None
    supporter_kind: str | None = None
    assigned_at: datetime | None = None
    accepted_at: datetime | None = None
    declined_at: datetime | None = None
    declined_by: str | None = None
    decline_code: str | None = None
    decline_text: str | None = None
    ended_at: datetime | None = None

    @property
    def state(self) -> AssignmentState:
        if self.ended_at is not None:
            return "ended"
        if self.declined_at is not None:
            return "declined"
        if self.accepted_at is not None:
            return "accepted"
        return "assigned"

    def derived(self) -> dict[str, str]:
        return {"state": self.state}


def merge_assignment(current: AssignmentFact | None, new: AssignmentFact) -> AssignmentFact:
    base = current or AssignmentFact(new.assignment_id)
    decline = _first_decline(base, new)
    return AssignmentFact(
        assignment_id=base.assignment_id,
        question_id=_least(base.question_id, new.question_id),
        municipality=_least(base.municipality, new.municipality),
        organisation=_least(base.organisation, new.organisation),
        supporter_kind=_least(base.supporter_kind, new.supporter_kind),
        assigned_at=_least(base.assigned_at, new.assigned_at),
        accepted_at=_least(base.accepted_at, new.accepted_at),
        declined_at=decline.declined_at,
        declined_by=decline.declined_by,
        decline_code=decline.decline_code,
        decline_text=decline.decline_text,
        ended_at=_least(base.ended_at, new.ended_at),
    )


def _first_decline(a: AssignmentFact, b: AssignmentFact) -> AssignmentFact:
    declined = [f for f in (a, b) if f.declined_at is not None]
    if not declined:
        return a
    return min(declined, key=lambda f: (f.declined_at, f.declined_by or "", f.decline_code or "", f.decline_text or ""))


# --- supporters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupporterFact:
    """A supporter's capacity profile (never a name or contact detail): the latest one wins."""

    supporter_id: str
    organisation: str
    kind: str
    capacity: int
    availability: str
    paused_until: date | None
    municipalities: tuple[str, ...]
    as_of: datetime

    def derived(self) -> dict[str, str]:
        return {}


def merge_supporter(current: SupporterFact | None, new: SupporterFact) -> SupporterFact:
    if current is None:
        return new
    return max(current, new, key=_supporter_order)


def _supporter_order(fact: SupporterFact) -> tuple[object, ...]:
    """Later ``as_of`` wins; equal moments are decided by the values, never by arrival."""
    return (
        fact.as_of,
        fact.organisation,
        fact.kind,
        fact.capacity,
        fact.availability,
        fact.paused_until or date.min,
        fact.municipalities,
    )


# --- signals --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignalFact:
    """A signal and how far the municipality got with it. ``raised_at`` is known once SignalRaised is."""

    signal_id: str
    municipality: str | None = None
    theme: str | None = None
    life_domain: str | None = None
    level: str | None = None
    raised_by: str | None = None
    raised_at: datetime | None = None
    acknowledged_at: datetime | None = None
    answered_at: datetime | None = None

    @property
    def status(self) -> SignalStatus:
        if self.answered_at is not None:
            return "answered"
        if self.acknowledged_at is not None:
            return "acknowledged"
        return "raised"

    def derived(self) -> dict[str, str]:
        return {"status": self.status}


def merge_signal(current: SignalFact | None, new: SignalFact) -> SignalFact:
    base = current or SignalFact(new.signal_id)
    raised = _raised_part(base, new)
    return replace(
        raised,
        municipality=raised.municipality if raised.raised_at else _least(base.municipality, new.municipality),
        acknowledged_at=_least(base.acknowledged_at, new.acknowledged_at),
        answered_at=_least(base.answered_at, new.answered_at),
    )


def _raised_part(a: SignalFact, b: SignalFact) -> SignalFact:
    """The fact whose SignalRaised fields count (the earliest raise, ties by value)."""
    raised = [f for f in (a, b) if f.raised_at is not None]
    if not raised:
        return a
    return min(raised, key=lambda f: (f.raised_at, f.municipality or "", f.theme or "", f.life_domain or ""))


# --- experiences and council meetings -------------------------------------------------------------


@dataclass(frozen=True)
class ExperienceFact:
    """A shared experience: answers and a mark, with the coarse facts needed for representativeness."""

    experience_id: str
    municipality: str
    life_domains: tuple[str, ...]
    age_band: str | None
    organisation: str | None
    supporter_kind: str | None
    knew_where_to_go: str | None
    helped_quickly: str | None
    supporter_on_my_side: str | None
    score: int
    has_text: bool
    shared_at: datetime

    def derived(self) -> dict[str, str]:
        return {}


def merge_experience(current: ExperienceFact | None, new: ExperienceFact) -> ExperienceFact:
    """An experience is shared once; a redelivery with other values keeps the smaller one (by value)."""
    return new if current is None else min(current, new, key=repr)


@dataclass(frozen=True)
class ParticipantFact:
    role: str
    organisation: str | None
    municipality: str | None
    age_band: str | None
    life_domains: tuple[str, ...]


@dataclass(frozen=True)
class MeetingFact:
    """A council meeting: its plan (latest ``planned_at`` wins) and who took part (latest ``recorded_at``)."""

    meeting_id: str
    council: str | None = None
    municipality: str | None = None
    planned_for: date | None = None
    planned_at: datetime | None = None
    held_on: date | None = None
    recorded_at: datetime | None = None
    participants: tuple[ParticipantFact, ...] = ()

    def derived(self) -> dict[str, str]:
        return {}


def merge_meeting(current: MeetingFact | None, new: MeetingFact) -> MeetingFact:
    """Combine plan and attendance. Once attendance is known, its council and municipality count."""
    base = current or MeetingFact(new.meeting_id)
    plan = _latest(base, new, lambda f: f.planned_at, lambda f: (f.planned_for, f.council, f.municipality or ""))
    held = _latest(base, new, lambda f: f.recorded_at, lambda f: (f.held_on, f.council, repr(f.participants)))
    if held.recorded_at is None:
        return replace(plan, held_on=None, recorded_at=None, participants=())
    return MeetingFact(
        meeting_id=base.meeting_id,
        council=held.council,
        municipality=held.municipality,
        planned_for=plan.planned_for,
        planned_at=plan.planned_at,
        held_on=held.held_on,
        recorded_at=held.recorded_at,
        participants=held.participants,
    )


def _latest(
    a: MeetingFact,
    b: MeetingFact,
    moment: Callable[[MeetingFact], datetime | None],
    values: Callable[[MeetingFact], tuple[object, ...]],
) -> MeetingFact:
    known = [f for f in (a, b) if moment(f) is not None]
    if not known:
        return a
    return max(known, key=lambda f: (moment(f), repr(values(f))))


# --- from events to changes -----------------------------------------------------------------------

Change = QuestionChange | AssignmentFact | SupporterFact | SignalFact | ExperienceFact | MeetingFact


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
            return [QuestionChange(question), step_fact(payload, ended_at=payload.ended_at)]
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


def step_fact(
    payload: AssignmentAccepted | SupportEnded, *, accepted_at: datetime | None = None, ended_at: datetime | None = None
) -> AssignmentFact:
    return AssignmentFact(
        payload.assignment_id,
        question_id=payload.question_id,
        municipality=payload.municipality,
        organisation=payload.organisation,
        accepted_at=accepted_at,
        ended_at=ended_at,
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


def _least(a: _T | None, b: _T | None) -> _T | None:
    """The smaller of two optional values, ignoring ``None`` (like SQL's ``LEAST``)."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _greatest(a: _T | None, b: _T | None) -> _T | None:
    """The larger of two optional values, ignoring ``None`` (like SQL's ``GREATEST``)."""
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
