"""A supporter's capacity profile (never a name or contact detail): the latest profile wins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


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
