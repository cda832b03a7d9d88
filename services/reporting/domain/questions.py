"""A question as the municipality sees it, merged from every event that speaks of it; its status follows
from its milestones. See the rules for a question fact in :mod:`services.reporting.domain`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from contracts.events import QuestionReceived
from services.reporting.domain.merging import greatest, least

Status = Literal["received", "waiting", "consultation", "assigned", "accepted", "closed"]


STATUSES: tuple[Status, ...] = ("received", "waiting", "consultation", "assigned", "accepted", "closed")


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
    # One constructor call (no dataclasses.replace): the rebuild merges millions of these.
    if new.complete:
        intake: QuestionFact = new
    elif base.complete:
        intake = base
    else:
        intake = QuestionFact(
            base.question_id,
            municipality=least(base.municipality, new.municipality),
            received_at=least(base.received_at, new.received_at),
            life_domains=base.life_domains,
            channel=base.channel,
            referrer=base.referrer,
            found_via=base.found_via,
            age_band=base.age_band,
        )
    first = _first_assignment(base, new)
    return QuestionFact(
        base.question_id,
        intake.municipality,
        intake.life_domains,
        intake.channel,
        intake.referrer,
        intake.found_via,
        intake.age_band,
        intake.received_at,
        least(base.assigned_at, new.assigned_at),
        first.first_assignment_id,
        first.organisation,
        first.supporter_kind,
        least(base.accepted_at, new.accepted_at),
        least(base.waiting_since, new.waiting_since),
        least(base.consultation_at, new.consultation_at),
        greatest(base.ended_at, new.ended_at),
        intake.complete,
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
