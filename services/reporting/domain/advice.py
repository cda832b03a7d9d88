"""A council's advice and its outcome, as reporting keeps it (from AdviceGiven and AdviceAnswered).

Like the other facts the merge is commutative, associative and idempotent: the advice's own fields
come from AdviceGiven (latest ``recorded_at`` wins, ties by value), the outcome from AdviceAnswered
(latest ``answered_at`` wins: a correction replaces the earlier answer), whatever the arrival order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime


@dataclass(frozen=True)
class AdviceFact:
    advice_id: str
    council: str | None = None
    municipality: str | None = None
    addressee: str | None = None
    addressee_organisation: str | None = None
    given_on: date | None = None
    response_due: date | None = None
    themes: tuple[str, ...] = ()
    life_domains: tuple[str, ...] = ()
    signal_count: int = 0
    recorded_at: datetime | None = None
    decision: str | None = None
    decided_on: date | None = None
    responded_on: date | None = None
    answered_at: datetime | None = None

    def derived(self) -> dict[str, str]:
        return {}


_GIVEN = (
    "council",
    "municipality",
    "addressee",
    "addressee_organisation",
    "given_on",
    "response_due",
    "themes",
    "life_domains",
    "signal_count",
    "recorded_at",
)
_ANSWER = ("decision", "decided_on", "responded_on", "answered_at")


def _pick(a: AdviceFact, b: AdviceFact, moment: str, names: tuple[str, ...]) -> AdviceFact:
    """The one of ``a`` and ``b`` whose ``moment`` is latest (None is earliest); ties by value."""

    def key(f: AdviceFact) -> tuple[float, str]:
        at: datetime | None = getattr(f, moment)
        return (at.timestamp() if at else float("-inf"), repr(tuple(getattr(f, n) for n in names)))

    return max((a, b), key=key)


def merge_advice(current: AdviceFact | None, new: AdviceFact) -> AdviceFact:
    base = current or AdviceFact(new.advice_id)
    given = _pick(base, new, "recorded_at", _GIVEN)
    answer = _pick(base, new, "answered_at", _ANSWER)
    return replace(given, **{n: getattr(answer, n) for n in _ANSWER}, advice_id=base.advice_id)
