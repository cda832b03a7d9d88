"""The dashboard's filters: quarters and from/to dates read from its form and checked with Dutch messages
naming the field, and the names of periods and months in Dutch. No I/O."""

from __future__ import annotations

import re
from datetime import date, timedelta

from services.kit.dutch import SHORT_MONTHS, dutch_date
from services.reporting.tables import (
    Period,
)

#: The longest period the dashboard shows at once.
MAX_DAYS = 3 * 366
QUARTER_PATTERN = re.compile(r"^(\d{4})-K([1-4])$")


class FilterError(ValueError):
    """A filter the dashboard cannot use; ``field`` is the name of the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- periods -----------------------------------------------------------------------------------------


def quarter_period(year: int, quarter: int) -> Period:
    start = date(year, 3 * quarter - 2, 1)
    next_start = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return Period(start, next_start - timedelta(days=1))


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_code(year: int, quarter: int) -> str:
    return f"{year}-K{quarter}"


def quarter_name(year: int, quarter: int) -> str:
    return f"{quarter}e kwartaal {year}"


def recent_quarters(today: date, count: int = 8) -> list[tuple[str, str]]:
    """``(code, Dutch name)`` of the current quarter and the ones before it, newest first."""
    year, quarter = quarter_of(today)
    found = []
    for _ in range(count):
        found.append((quarter_code(year, quarter), quarter_name(year, quarter)))
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return found


def read_date(field: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError(field, "Vul een datum in als jjjj-mm-dd, bijvoorbeeld 2026-07-01.") from None


def read_period(kwartaal: str | None, van: str | None, tot: str | None, today: date) -> tuple[Period, str]:
    """The chosen period and the quarter code to show as chosen (``""`` for an own period).

    A quarter wins; without one, ``van`` and ``tot`` make the period; without any, the current quarter.
    """
    if kwartaal:
        match = QUARTER_PATTERN.match(kwartaal)
        if not match or not 2000 <= int(match.group(1)) <= 2100:
            raise FilterError("kwartaal", "Kies een kwartaal uit de lijst.")
        return quarter_period(int(match.group(1)), int(match.group(2))), kwartaal
    if not van and not tot:
        year, quarter = quarter_of(today)
        return quarter_period(year, quarter), quarter_code(year, quarter)
    if not van:
        raise FilterError("van", "Vul ook de begindatum in.")
    if not tot:
        raise FilterError("tot", "Vul ook de einddatum in.")
    start, end = read_date("van", van), read_date("tot", tot)
    if start > end:
        raise FilterError("tot", "De einddatum ligt vóór de begindatum.")
    if (end - start).days > MAX_DAYS:
        raise FilterError("tot", "Kies een periode van hoogstens drie jaar.")
    if start.day != 1:
        raise FilterError("van", "Kies als begindatum de eerste dag van een maand, bijvoorbeeld 2026-07-01.")
    if (end + timedelta(days=1)).day != 1:
        raise FilterError("tot", "Kies als einddatum de laatste dag van een maand, bijvoorbeeld 2026-09-30.")
    return Period(start, end), ""


def period_name(period: Period) -> str:
    year, quarter = quarter_of(period.start)
    if quarter_period(year, quarter) == period:
        return quarter_name(year, quarter)
    return f"{dutch_date(period.start)} tot en met {dutch_date(period.end)}"


def month_label(code: str) -> str:
    """``2026-07`` → ``jul 2026``; other codes as they are."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", code)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return code
    return f"{SHORT_MONTHS[int(match.group(2)) - 1]} {match.group(1)}"
