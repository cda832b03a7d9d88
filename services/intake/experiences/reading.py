"""What a council reads of experience texts: grouped by theme and period, only in large groups. Pure.

Rules (issue 16):
- a council reads texts of its own area only (the store selects them by the key's municipality);
- texts are grouped by theme (the question's life domain) and period (a calendar quarter); a group
  is shown only when it holds texts of at least ``threshold`` experiences, so no text can be traced
  back through a small group;
- a text shows with its group's theme, period and size only: never with an age band, an
  organisation, a score, a date or a municipality that could single its writer out; within a group
  texts are ordered by a digest of their words, not by when they came in;
- a text that still holds contact data or a BSN (:func:`screening.still_reaches_someone`) is left
  out, and does not count towards its group's size.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from services.intake.experiences.screening import still_reaches_someone

PERIOD_PATTERN: Final = r"^20[0-9]{2}-Q[1-4]$"  # this century: year 0 is no date


@dataclass(frozen=True)
class OpenedText:
    """One experience's text as the store gives it (opened), with what groups it."""

    experience_id: str
    life_domains: tuple[str, ...]
    shared_at: datetime
    text: str


@dataclass(frozen=True)
class TextGroup:
    theme: str
    period: str
    texts: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.texts)


@dataclass(frozen=True)
class Reading:
    """The groups a council may read, and how many groups were held back as too small (no sizes)."""

    groups: tuple[TextGroup, ...]
    held_back: int


def period_of(moment: datetime | date) -> str:
    """The calendar quarter, e.g. ``2026-Q3``."""
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def period_bounds(period: str) -> tuple[date, date]:
    """The first day of ``period`` and the first day after it."""
    year, quarter = int(period[:4]), int(period[-1])
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, end


def dutch_period(period: str) -> str:
    return f"{period[-1]}e kwartaal {period[:4]}"


def _order(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def readable_groups(texts: Iterable[OpenedText], threshold: int) -> Reading:
    """Group texts by theme and period; keep the groups of at least ``threshold`` readable texts."""
    grouped: defaultdict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for item in texts:
        if not item.text.strip() or still_reaches_someone(item.text):
            continue
        for theme in item.life_domains:
            grouped[(theme, period_of(item.shared_at))][item.experience_id] = item.text
    shown: list[TextGroup] = []
    held_back = 0
    for (theme, period), by_id in grouped.items():
        if len(by_id) < threshold:
            held_back += 1
            continue
        shown.append(TextGroup(theme, period, tuple(sorted(by_id.values(), key=_order))))
    shown.sort(key=lambda g: g.theme)
    shown.sort(key=lambda g: g.period, reverse=True)  # the newest period first, themes A to Z
    return Reading(tuple(shown), held_back)
