"""Real events for the dashboard's integration and browser tests: a quarter with big and small numbers.

In the 2nd quarter of 2026 Dordrecht (GM0505) gets 12 questions in April (all assigned, so the median
time to a supporter is shown), 3 in May and 4 in June (both below the threshold: hidden), and 3
signals. Two professionals of mee-plus with 10 places each serve both towns, so the 12 active
assignments fill 60% of them. Zwijndrecht (GM0642) gets 2 questions (everything hidden). Papendrecht (GM0590)
gets 11 questions in April: with Zwijndrecht's 2 hidden the region's table per municipality must hide a
second municipality, and linked suppression hides Papendrecht's (the smallest), in its own report too,
so Dordrecht's 19 and the region's 32 can both be shown. In the 3rd quarter Dordrecht gets 11
questions, so switching the period changes the figures. Each of Dordrecht's 12 April assignments has its
first contact within 3 working days (the share and the median are shown).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from contracts.events import (
    Event,
    FirstContactMade,
    QuestionReceived,
    SignalRaised,
    SupporterAssigned,
    SupporterRegistered,
)
from services.kit.dutch import DUTCH_TIME
from services.kit.settings import Settings
from services.kit.workdays import add_working_days
from tests.support.matching import publish_all

APRIL = datetime(2026, 4, 6, 9, 0, tzinfo=UTC)
MAY = datetime(2026, 5, 11, 9, 0, tzinfo=UTC)
JUNE = datetime(2026, 6, 8, 9, 0, tzinfo=UTC)
AUGUST = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)
#: Questions per (municipality, quarter) this seed sends.
EXPECTED = {("GM0505", "2026-K2"): 19, ("GM0642", "2026-K2"): 2, ("GM0590", "2026-K2"): 11, ("GM0505", "2026-K3"): 11}


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def question(municipality: str, at: datetime, domains: list[str]) -> QuestionReceived:
    return QuestionReceived(
        question_id=uid("q"),
        resident_ref=uid("r"),
        municipality=municipality,
        life_domains=domains,  # type: ignore[arg-type]
        preferred_supporter_kind="any",
        languages=["nl"],
        postcode="3311",
        channel="web",
        received_at=at,
    )


def assigned(q: QuestionReceived, hours: float) -> SupporterAssigned:
    return SupporterAssigned(
        question_id=q.question_id,
        assignment_id=uid("a"),
        supporter_id="s-1",
        organisation="mee-plus",
        supporter_kind="professional",
        municipality=q.municipality,
        score=0.8,
        received_at=q.received_at,
        assigned_at=q.received_at + timedelta(hours=hours),
    )


def contacted(a: SupporterAssigned, working_days: int) -> FirstContactMade:
    """First contact ``working_days`` Dutch working days after the day of the assignment."""
    day = add_working_days(a.assigned_at.astimezone(DUTCH_TIME).date(), working_days)
    return FirstContactMade(
        question_id=a.question_id,
        assignment_id=a.assignment_id,
        supporter_id=a.supporter_id,
        organisation=a.organisation,
        municipality=a.municipality,
        method="phone",
        reached_on=day,
        recorded_at=a.assigned_at + timedelta(days=7),
    )


def signal(municipality: str, at: datetime) -> SignalRaised:
    return SignalRaised(
        signal_id=uid("sig"),
        theme="waiting_times",
        life_domain="youth",
        municipality=municipality,
        level="local",
        raised_by="supporter",
        raised_at=at,
    )


def supporter(capacity: int) -> SupporterRegistered:
    return SupporterRegistered(
        supporter_id=uid("s"),
        organisation="mee-plus",
        kind="professional",
        municipalities=["GM0505", "GM0642"],
        life_domains=["wmo", "youth", "debts", "housing"],
        languages=["nl"],
        capacity=capacity,
        registered_at=APRIL - timedelta(days=30),
    )


def quarter_events() -> tuple[list[Event], list[Event]]:
    """``(intake's events, matching's events)`` of the scenario above."""
    april = [question("GM0505", APRIL + timedelta(days=i % 20), ["wmo"]) for i in range(12)]
    may = [question("GM0505", MAY + timedelta(days=i), ["youth"]) for i in range(3)]
    june = [question("GM0505", JUNE + timedelta(days=i), ["debts"]) for i in range(4)]
    zwijndrecht = [question("GM0642", APRIL + timedelta(days=i), ["wmo"]) for i in range(2)]
    papendrecht = [question("GM0590", APRIL + timedelta(days=i), ["housing"]) for i in range(11)]
    august = [question("GM0505", AUGUST + timedelta(days=i), ["housing"]) for i in range(11)]
    signals = [signal("GM0505", APRIL + timedelta(days=i)) for i in range(3)]
    intake: list[Event] = [*april, *may, *june, *zwijndrecht, *papendrecht, *august, *signals]
    assignments = [assigned(q, 2 + i) for i, q in enumerate(april)]
    contacts = [contacted(a, i % 4) for i, a in enumerate(assignments)]
    matching: list[Event] = [supporter(10), supporter(10), *assignments, *contacts]
    return intake, matching


async def seed_quarters(settings: Settings) -> None:
    intake, matching = quarter_events()
    await publish_all(settings, intake, source="/samenloket/intake")
    await publish_all(settings, matching, source="/samenloket/matching")
