"""Dutch working days: Monday to Friday, except the public holidays of the ``holidays`` library's NL
calendar (New Year, Easter, King's Day, Ascension, Whitsun, Christmas, …). The promise to residents is
first contact within 3 working days of the assignment; these rules count them. Pure, no I/O.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Final

import holidays

#: Working days within which a supporter contacts the resident after the assignment.
CONTACT_WITHIN_WORKING_DAYS: Final = 3


@lru_cache(maxsize=128)
def public_holidays(year: int) -> frozenset[date]:
    """The Dutch public holidays of ``year``."""
    return frozenset(holidays.country_holidays("NL", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def working_days_between(start: date, end: date) -> int:
    """The working days after ``start`` up to and including ``end``: 0 on the same day (or before it).

    Assigned on a Friday and contacted the next Wednesday is 3 (Monday, Tuesday, Wednesday).
    """
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself for 0): the last day that still counts as
    "within ``days`` working days"."""
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        left -= is_working_day(day)
    return day
