"""What an event changes in the read models: pure rules, no I/O.

Events reach reporting over several topics, so their order is only guaranteed per topic and key.
A ``SupporterAssigned`` on ``samenloket.assignments`` may well be handled before the
``QuestionReceived`` of the same question on ``samenloket.questions``. Every rule here is therefore
written as a merge that is commutative, associative and idempotent: whatever the arrival order, and
however often an event is applied, the facts converge to the same state. That same property lets a
later rebuild replay the stored events in any order.

Rules for a question fact:
- ``QuestionReceived`` (intake) is authoritative for what intake knows: municipality, life domains,
  channel, referrer and the moment of receipt. Once it has been seen the fact is ``complete``.
- Before that, other events may create a *partial* fact; their copies of municipality and
  ``received_at`` fill the gap (the earliest one wins, so the result does not depend on order).
- Milestones (assigned, waiting, consultation) keep the earliest moment reported.
- The status follows from the milestones, not from the order of arrival: assigned beats waiting and
  consultation; between waiting and consultation the later milestone wins (a tie goes to
  consultation, the more advanced step); otherwise the question is received.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, TypeVar

from contracts.events import (
    ConsultationRequired,
    Event,
    QuestionReceived,
    QuestionWaiting,
    ReferralSubmitted,
    SignalRaised,
    SupporterAssigned,
)

_T = TypeVar("_T", str, datetime)

Status = Literal["received", "waiting", "consultation", "assigned"]

#: Event types that must never be stored by reporting: they carry personal data.
PERSONAL_DATA_TYPES: frozenset[str] = frozenset({ReferralSubmitted.ce_type})


@dataclass(frozen=True)
class QuestionFact:
    """One question as the municipality sees it. ``None`` means: not known (yet)."""

    question_id: str
    municipality: str | None = None
    life_domains: tuple[str, ...] | None = None
    channel: str | None = None
    referrer: str | None = None
    received_at: datetime | None = None
    assigned_at: datetime | None = None
    waiting_since: datetime | None = None
    consultation_at: datetime | None = None
    complete: bool = False

    @property
    def status(self) -> Status:
        return status_of(self)


@dataclass(frozen=True)
class QuestionChange:
    """What one event says about a question, as a partial fact.

    ``fact.complete`` is true only for ``QuestionReceived``: its intake fields replace whatever
    partial values were there.
    """

    fact: QuestionFact


@dataclass(frozen=True)
class SignalFact:
    signal_id: str
    municipality: str
    theme: str
    life_domain: str | None
    level: str
    raised_by: str
    raised_at: datetime


Change = QuestionChange | SignalFact


def storable(ce_type: str) -> bool:
    """Whether reporting may keep this event in its event store."""
    return ce_type not in PERSONAL_DATA_TYPES


def changes_of(payload: Event) -> list[Change]:
    """The projection changes one event causes; an empty list for events no projection uses."""
    match payload:
        case QuestionReceived():
            return [QuestionChange(received_fact(payload))]
        case SupporterAssigned():
            fact = QuestionFact(
                payload.question_id,
                municipality=payload.municipality,
                received_at=payload.received_at,
                assigned_at=payload.assigned_at,
            )
            return [QuestionChange(fact)]
        case QuestionWaiting():
            fact = QuestionFact(payload.question_id, municipality=payload.municipality, waiting_since=payload.since)
            return [QuestionChange(fact)]
        case ConsultationRequired():
            fact = QuestionFact(
                payload.question_id, municipality=payload.municipality, consultation_at=payload.required_at
            )
            return [QuestionChange(fact)]
        case SignalRaised():
            return [signal_fact(payload)]
    return []


def received_fact(payload: QuestionReceived) -> QuestionFact:
    return QuestionFact(
        payload.question_id,
        municipality=payload.municipality,
        life_domains=tuple(payload.life_domains),
        channel=payload.channel,
        referrer=payload.referrer,
        received_at=payload.received_at,
        complete=True,
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
    return replace(
        intake,
        assigned_at=_least(base.assigned_at, new.assigned_at),
        waiting_since=_least(base.waiting_since, new.waiting_since),
        consultation_at=_least(base.consultation_at, new.consultation_at),
    )


def status_of(fact: QuestionFact) -> Status:
    """The current status, derived from the milestones only (see the module docstring)."""
    if fact.assigned_at is not None:
        return "assigned"
    if fact.consultation_at is not None and (fact.waiting_since is None or fact.consultation_at >= fact.waiting_since):
        return "consultation"
    if fact.waiting_since is not None:
        return "waiting"
    return "received"


def _least(a: _T | None, b: _T | None) -> _T | None:
    """The smaller of two optional values, ignoring ``None`` (like SQL's ``LEAST``)."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
