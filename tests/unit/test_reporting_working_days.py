"""Dutch working days for the promise of first contact within 3 working days: weekends and public holidays
(the ``holidays`` library's NL calendar) do not count."""

from __future__ import annotations

from datetime import date

from services.kit.workdays import (
    add_working_days,
    is_working_day,
    public_holidays,
    working_days_from,
)

FRIDAY = date(2025, 3, 7)


def test_a_weekend_does_not_count() -> None:
    assert working_days_from(FRIDAY, date(2025, 3, 10)) == 1  # Monday
    assert working_days_from(FRIDAY, date(2025, 3, 12)) == 3  # Wednesday: still within 3
    assert working_days_from(FRIDAY, date(2025, 3, 13)) == 4
    assert add_working_days(FRIDAY, 3) == date(2025, 3, 12)
    assert working_days_from(date(2025, 3, 8), date(2025, 3, 9)) == 0  # Saturday to Sunday


def test_the_same_day_and_a_day_before_are_zero() -> None:
    assert working_days_from(FRIDAY, FRIDAY) == 0
    assert working_days_from(FRIDAY, date(2025, 3, 6)) == 0
    assert add_working_days(FRIDAY, 0) == FRIDAY


def test_easter_and_kings_day_do_not_count() -> None:
    # Assigned Thursday 17 April 2025: Good Friday 18 and Easter Monday 21 April are holidays in the NL calendar.
    thursday = date(2025, 4, 17)
    assert {date(2025, 4, 18), date(2025, 4, 21)} <= set(public_holidays(2025))
    assert not is_working_day(date(2025, 4, 21)) and is_working_day(date(2025, 4, 22))
    assert add_working_days(thursday, 3) == date(2025, 4, 24)
    assert working_days_from(thursday, date(2025, 4, 24)) == 3
    # King's Day 2026 falls on a Monday.
    assert add_working_days(date(2026, 4, 24), 3) == date(2026, 4, 30)


def test_christmas_and_new_year_across_the_turn_of_the_year() -> None:
    # Wednesday 24 December 2025: the 25th and 26th are holidays, then a weekend.
    assert add_working_days(date(2025, 12, 24), 3) == date(2025, 12, 31)
    # Monday 29 December: 30 and 31 December, then New Year's Day does not count, Friday 2 January does.
    assert add_working_days(date(2025, 12, 29), 3) == date(2026, 1, 2)
    assert working_days_from(date(2025, 12, 24), date(2026, 1, 5)) == 5
