"""One assignment of a supporter to a question, filled in by each step (assigned, accepted, declined,
ended); the earliest moment of each step wins, the first decline names the reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.reporting.domain.merging import least

AssignmentState = Literal["assigned", "accepted", "declined", "ended"]


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
        question_id=least(base.question_id, new.question_id),
        municipality=least(base.municipality, new.municipality),
        organisation=least(base.organisation, new.organisation),
        supporter_kind=least(base.supporter_kind, new.supporter_kind),
        assigned_at=least(base.assigned_at, new.assigned_at),
        accepted_at=least(base.accepted_at, new.accepted_at),
        declined_at=decline.declined_at,
        declined_by=decline.declined_by,
        decline_code=decline.decline_code,
        decline_text=decline.decline_text,
        ended_at=least(base.ended_at, new.ended_at),
    )


def _first_decline(a: AssignmentFact, b: AssignmentFact) -> AssignmentFact:
    declined = [f for f in (a, b) if f.declined_at is not None]
    if not declined:
        return a
    return min(declined, key=lambda f: (f.declined_at, f.declined_by or "", f.decline_code or "", f.decline_text or ""))
