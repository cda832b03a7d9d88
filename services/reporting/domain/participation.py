"""What residents share and who takes part: experiences with support, and council meetings (their plan and
who attended, each "last written wins" by the moment the event says it was made)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime


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
