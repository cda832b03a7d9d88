"""When a signal's answer is late, and how old a signal is: pure rules on the Dutch working-day clock.

The desk promises an answer within ``signal_answer_weeks`` weeks (default 6), counted as five
working days a week by the kit's clock (:mod:`services.kit.workdays`, Dutch public holidays off),
so a signal raised just before Christmas gets the days it would get any other time of year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.kit.workdays import after_working_days, working_days_between

WORKING_DAYS_A_WEEK = 5


@dataclass(frozen=True)
class Age:
    working_days: int
    due: datetime
    late: bool


def age_of(raised_at: datetime, answered: bool, now: datetime, weeks: int) -> Age:
    """How many working days ago it came in, when the answer is due, and whether an open one is late."""
    due = after_working_days(raised_at, weeks * WORKING_DAYS_A_WEEK)
    return Age(working_days_between(raised_at, now), due, not answered and now >= due)
