"""Dutch working days, shared by every service: the promise "contact within 3 working days" counted
as people count it (pure).

A **working day** is Monday to Friday in Dutch time (:data:`services.kit.dutch.DUTCH_TIME`) that is
not a Dutch public holiday. The holidays come from the maintained ``holidays`` library
(``holidays.country_holidays("NL")``, category ``public``), not from a list of our own, so Easter and
Ascension move by themselves. What that gives, and so what we count as a day off:

- New Year's Day, Good Friday, Easter Sunday and Monday, King's Day (27 April; the 26th when the 27th
  is a Sunday), Ascension Day, Whit Sunday and Monday, Christmas Day and Boxing Day;
- Liberation Day (5 May) only every fifth year (2025, 2030, …): the library keeps it in the
  ``optional`` category in the other years, as most collective labour agreements do ("once every
  lustrum a paid day off"). We follow that: in other years 5 May is a working day.
- Good Friday counts as a day off: the library lists it (it is a public holiday of the Algemene
  termijnenwet, the Dutch law on time limits, and many organisations close). A supporter is never
  reminded because of a day their organisation was closed.

**Counting.** An assignment made on a working day counts from that moment; one made in a weekend or
on a holiday counts from the start (00:00) of the next working day. *N working days after* is the
same clock time on the N-th working day after that start: an assignment on Friday at 15:00 is two
working days old on Tuesday at 15:00 and three on Wednesday at 15:00 (a holiday in between adds a
day). The clock time is Dutch time; summer time changes on a Sunday, never on a working day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Final

import holidays

from services.kit.dutch import DUTCH_TIME

#: The promise to residents: a supporter makes first contact within this many working days.
CONTACT_WITHIN_WORKING_DAYS: Final = 3
#: The joint consultation answers (or makes an appointment to choose together) within this many.
CONSULTATION_WITHIN_WORKING_DAYS: Final = 5


@lru_cache(maxsize=64)
def public_holidays(year: int) -> dict[date, str]:
    """The Dutch public holidays of ``year`` with their Dutch names, as the ``holidays`` library gives them."""
    found = holidays.country_holidays("NL", years=year, categories=(holidays.PUBLIC,), language="nl")
    return {day: str(name) for day, name in sorted(found.items())}


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a public holiday."""
    return day.weekday() < 5 and day not in public_holidays(day.year)


def next_working_day(day: date) -> date:
    """The first working day strictly after ``day``."""
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


# --- by day (reports: assigned on one day, reached on another) -------------------------------------


def working_days_from(start: date, end: date) -> int:
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
    day = start
    for _ in range(days):
        day = next_working_day(day)
    return day


# --- by the clock (reminders: due at the same clock time N working days later) -------------------


def counting_start(moment: datetime) -> datetime:
    """From when a moment counts, in Dutch time: itself on a working day, else 00:00 of the next one."""
    local = moment.astimezone(DUTCH_TIME)
    if is_working_day(local.date()):
        return local
    return _at(next_working_day(local.date()), time(0))


def after_working_days(moment: datetime, days: int) -> datetime:
    """The moment ``days`` working days after ``moment`` (Dutch time; see the module docstring)."""
    if days < 0:
        raise ValueError("days must not be negative")
    start = counting_start(moment)
    return _at(add_working_days(start.date(), days), start.time())


def working_days_between(start: datetime, end: datetime) -> int:
    """Whole working days from ``start`` to ``end``: the largest N with ``after_working_days(start, N) <= end``
    (0 when ``end`` is not later)."""
    begin = counting_start(start)
    until = end.astimezone(DUTCH_TIME)
    count = 0
    day = begin.date()
    while day < until.date():
        day += timedelta(days=1)
        if is_working_day(day) and _at(day, begin.time()) <= until:
            count += 1
    return count


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock.replace(tzinfo=None), tzinfo=DUTCH_TIME)
