"""A signal and how far the municipality got with it: the earliest raise counts, each step keeps its
earliest moment."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from contracts.codes import SignalStatus
from services.reporting.domain.merging import least


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
        municipality=raised.municipality if raised.raised_at else least(base.municipality, new.municipality),
        acknowledged_at=least(base.acknowledged_at, new.acknowledged_at),
        answered_at=least(base.answered_at, new.answered_at),
    )


def _raised_part(a: SignalFact, b: SignalFact) -> SignalFact:
    """The fact whose SignalRaised fields count (the earliest raise, ties by value)."""
    raised = [f for f in (a, b) if f.raised_at is not None]
    if not raised:
        return a
    return min(raised, key=lambda f: (f.raised_at, f.municipality or "", f.theme or "", f.life_domain or ""))
