"""Dutch working days (pure): weekends and public holidays from the ``holidays`` library, counted in
Dutch time, and when the reminder and the escalation about a late first contact are due."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.kit.dutch import DUTCH_TIME
from services.kit.workdays import (
    after_working_days,
    counting_start,
    is_working_day,
    public_holidays,
    working_days_between,
)
from services.matching.domain.workdays import due_stages


def nl(*parts: int) -> datetime:
    """A moment in Dutch time."""
    return datetime(*parts, tzinfo=DUTCH_TIME)  # type: ignore[misc]


def test_the_dutch_public_holidays_of_2026_are_the_days_off() -> None:
    assert set(public_holidays(2026)) == {
        date(2026, 1, 1),  # Nieuwjaarsdag
        date(2026, 4, 3),  # Goede vrijdag
        date(2026, 4, 5),  # Eerste paasdag
        date(2026, 4, 6),  # Tweede paasdag
        date(2026, 4, 27),  # Koningsdag
        date(2026, 5, 14),  # Hemelvaartsdag
        date(2026, 5, 24),  # Eerste pinksterdag
        date(2026, 5, 25),  # Tweede pinksterdag
        date(2026, 12, 25),  # Eerste kerstdag
        date(2026, 12, 26),  # Tweede kerstdag
    }
    assert public_holidays(2026)[date(2026, 4, 27)] == "Koningsdag"
    for day in public_holidays(2026):
        assert not is_working_day(day)


def test_liberation_day_is_a_day_off_only_every_fifth_year() -> None:
    assert not is_working_day(date(2025, 5, 5))  # a Monday, lustrum year
    assert is_working_day(date(2026, 5, 5))  # a Tuesday
    assert date(2030, 5, 5) in public_holidays(2030)
    assert date(2027, 5, 5) not in public_holidays(2027) and is_working_day(date(2027, 5, 5))


def test_weekends_are_not_working_days_and_weekdays_are() -> None:
    assert [is_working_day(date(2026, 3, d)) for d in range(2, 9)] == [True] * 5 + [False] * 2


def test_two_and_three_working_days_after_a_friday_afternoon_skip_the_weekend() -> None:
    friday = nl(2026, 3, 6, 15, 0)
    assert after_working_days(friday, 2) == nl(2026, 3, 10, 15, 0)  # Tuesday
    assert after_working_days(friday, 3) == nl(2026, 3, 11, 15, 0)  # Wednesday
    assert working_days_between(friday, nl(2026, 3, 10, 14, 59)) == 1
    assert working_days_between(friday, nl(2026, 3, 10, 15, 0)) == 2


def test_easter_adds_good_friday_and_easter_monday() -> None:
    thursday = nl(2026, 4, 2, 10, 0)
    assert after_working_days(thursday, 1) == nl(2026, 4, 7, 10, 0)
    assert after_working_days(thursday, 2) == nl(2026, 4, 8, 10, 0)
    assert after_working_days(thursday, 3) == nl(2026, 4, 9, 10, 0)
    assert working_days_between(thursday, nl(2026, 4, 8, 9, 59)) == 1


def test_kings_day_and_ascension_count_as_days_off() -> None:
    assert after_working_days(nl(2026, 4, 24, 9, 0), 2) == nl(2026, 4, 29, 9, 0)  # Fri → skip Mon 27 April
    assert after_working_days(nl(2026, 5, 13, 9, 0), 1) == nl(2026, 5, 15, 9, 0)  # Wed → skip Ascension


def test_an_assignment_in_the_weekend_counts_from_the_next_working_morning() -> None:
    saturday = nl(2026, 3, 7, 11, 30)
    assert counting_start(saturday) == nl(2026, 3, 9, 0, 0)
    assert after_working_days(saturday, 2) == nl(2026, 3, 11, 0, 0)
    assert working_days_between(saturday, nl(2026, 3, 10, 23, 59)) == 1
    # On a holiday too: Easter Monday 2026 counts from Tuesday 00:00.
    assert counting_start(nl(2026, 4, 6, 12, 0)) == nl(2026, 4, 7, 0, 0)


def test_moments_in_utc_are_counted_in_dutch_time() -> None:
    # Friday 23:30 UTC is Saturday 00:30 in Amsterdam (winter time): it counts from Monday.
    late_friday = datetime(2026, 1, 9, 23, 30, tzinfo=UTC)
    assert counting_start(late_friday) == nl(2026, 1, 12, 0, 0)
    # Across the change to summer time (Sunday 29 March 2026) the clock time stays 09:00 Dutch time.
    assert after_working_days(nl(2026, 3, 27, 9, 0), 1) == nl(2026, 3, 30, 9, 0)
    assert working_days_between(nl(2026, 3, 27, 9, 0), datetime(2026, 3, 30, 7, 0, tzinfo=UTC)) == 1


def test_no_time_or_a_moment_before_is_zero_days() -> None:
    moment = nl(2026, 3, 4, 12, 0)
    assert working_days_between(moment, moment) == 0
    assert working_days_between(moment, moment - timedelta(days=3)) == 0
    assert after_working_days(moment, 0) == moment
    with pytest.raises(ValueError):
        after_working_days(moment, -1)


def test_the_reminder_is_due_after_two_working_days_and_the_escalation_after_three() -> None:
    assert due_stages(0) == [] and due_stages(1) == []
    assert due_stages(2) == ["reminder"]
    assert due_stages(3) == ["reminder", "escalation"]
    assert due_stages(9) == ["reminder", "escalation"]


MOMENTS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.just(UTC))


@settings(max_examples=300, deadline=None)
@given(start=MOMENTS, days=st.integers(min_value=0, max_value=15))
def test_counting_and_adding_agree(start: datetime, days: int) -> None:
    moment = after_working_days(start, days)
    assert working_days_between(start, moment) == days
    assert working_days_between(start, moment - timedelta(seconds=1)) == max(days - 1, 0)
    assert is_working_day(moment.date())
