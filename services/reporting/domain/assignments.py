"""One assignment of a supporter to a question, filled in by each step (assigned, accepted, declined, first
contact, ended); the earliest moment of each step wins, the first decline names the reason, the earliest first
contact its method and the earliest end its outcome (ties decided by value, never by arrival).

What the fact derives is stored beside it: its state, and for first contact the working days from the day
of the assignment (Dutch time) to the day of first contact, and the last day that still keeps the promise
of contact within 3 working days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from services.kit.dutch import DUTCH_TIME
from services.kit.workdays import CONTACT_WITHIN_WORKING_DAYS, add_working_days, working_days_from
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
    #: The day the supporter reached the resident, as they recorded it, and how.
    first_contact_on: date | None = None
    first_contact_method: str | None = None
    #: Why support ended (an end reason code); None: not said, or not ended.
    end_code: str | None = None

    @property
    def state(self) -> AssignmentState:
        if self.ended_at is not None:
            return "ended"
        if self.declined_at is not None:
            return "declined"
        if self.accepted_at is not None:
            return "accepted"
        return "assigned"

    @property
    def assigned_on(self) -> date | None:
        """The day of the assignment in Dutch time."""
        return self.assigned_at.astimezone(DUTCH_TIME).date() if self.assigned_at else None

    @property
    def first_contact_working_days(self) -> int | None:
        """Working days from the assignment to first contact; None while either is unknown."""
        if self.assigned_on is None or self.first_contact_on is None:
            return None
        return working_days_from(self.assigned_on, self.first_contact_on)

    @property
    def first_contact_due_on(self) -> date | None:
        """The last day of the promise: first contact within 3 working days of the assignment."""
        return add_working_days(self.assigned_on, CONTACT_WITHIN_WORKING_DAYS) if self.assigned_on else None

    def derived(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "first_contact_working_days": self.first_contact_working_days,
            "first_contact_due_on": self.first_contact_due_on,
        }


def merge_assignment(current: AssignmentFact | None, new: AssignmentFact) -> AssignmentFact:
    base = current or AssignmentFact(new.assignment_id)
    decline = _first_decline(base, new)
    contact = _first_contact(base, new)
    end = _first_end(base, new)
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
        ended_at=end.ended_at,
        first_contact_on=contact.first_contact_on,
        first_contact_method=contact.first_contact_method,
        end_code=end.end_code,
    )


def _first_decline(a: AssignmentFact, b: AssignmentFact) -> AssignmentFact:
    declined = [f for f in (a, b) if f.declined_at is not None]
    if not declined:
        return a
    return min(declined, key=lambda f: (f.declined_at, f.declined_by or "", f.decline_code or "", f.decline_text or ""))


def _first_contact(a: AssignmentFact, b: AssignmentFact) -> AssignmentFact:
    """The fact holding the earliest first contact (its day and method go together)."""
    made = [f for f in (a, b) if f.first_contact_on is not None]
    if not made:
        return a
    return min(made, key=lambda f: (f.first_contact_on, f.first_contact_method or ""))


def _first_end(a: AssignmentFact, b: AssignmentFact) -> AssignmentFact:
    """The fact holding the earliest end (its moment and outcome go together)."""
    ended = [f for f in (a, b) if f.ended_at is not None]
    if not ended:
        return a
    return min(ended, key=lambda f: (f.ended_at, f.end_code or ""))
