"""How dates read for Dutch residents and staff: Dutch time and Dutch month names, for every service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

#: The time zone of the region: periods, quiet hours and dates in messages follow it.
DUTCH_TIME: Final = ZoneInfo("Europe/Amsterdam")
MONTHS: Final = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
#: Short month names, for chart axes.
SHORT_MONTHS: Final = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def dutch_date(moment: datetime | date) -> str:
    """``23 november 2026``: as a resident reads a date (a moment is read in Dutch time)."""
    day = moment.astimezone(DUTCH_TIME) if isinstance(moment, datetime) else moment
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def today() -> date:
    """Today's date in the region."""
    return datetime.now(DUTCH_TIME).date()
