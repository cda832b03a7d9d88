"""Reporting periods: whole calendar months in Dutch time, and the window of moments a report reads.

Periods are whole calendar months in Dutch time (Europe/Amsterdam): a question received at 00:30 on
1 April counts in April. Only whole months may be asked (:func:`month_error`): two periods a day
apart would otherwise give away one day's questions by category. Pure rules, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from services.kit.dutch import DUTCH_TIME
from services.reporting.tables import Period

ZONE = DUTCH_TIME


@dataclass(frozen=True)
class Window:
    """The query parameters every figure shares: area, the period as moments, and now."""

    area: str | None
    start: datetime
    end: datetime
    period: Period
    now: datetime

    @property
    def args(self) -> tuple[str | None, datetime, datetime]:
        """``($1 area, $2 start, $3 end)`` of the store's figure queries."""
        return (self.area, self.start, self.end)

    @property
    def today(self) -> date:
        """The day of ``now`` in Dutch time."""
        return self.now.astimezone(ZONE).date()


def window(area: str | None, period: Period, now: datetime) -> Window:
    return Window(area, day_start(period.start), day_start(period.end + timedelta(days=1)), period, now)


def day_start(day: date) -> datetime:
    """Midnight of ``day`` in Dutch time."""
    return datetime.combine(day, time(), ZONE)


def months_in(period: Period) -> tuple[str, ...]:
    months = []
    year, month = period.start.year, period.start.month
    while (year, month) <= (period.end.year, period.end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(months)


def quarter_of(day: date) -> Period:
    """The calendar quarter that holds ``day``."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    next_start = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    return Period(start, next_start - timedelta(days=1))


def current_quarter(now: datetime | None = None) -> Period:
    return quarter_of((now or datetime.now(UTC)).astimezone(ZONE).date())


def month_error(period: Period) -> tuple[str, str] | None:
    """``("from" | "to", why)`` when ``period`` is not whole calendar months, else ``None``."""
    if period.start.day != 1:
        return "from", f"'from' ({period.start}) must be the first day of a month"
    if (period.end + timedelta(days=1)).day != 1:
        return "to", f"'to' ({period.end}) must be the last day of a month"
    return None
