"""The promise of first contact within 3 working days, kept by matching's running background watch on
real PostgreSQL and a real broker, with a clock the tests move instead of waiting days.

Each test makes real assignments (a QuestionReceived, matching assigns) and then dates them to a
chosen Dutch moment, moves the watch's clock and reads what matching published on the assignments
topic: one reminder after 2 working days, one escalation after 3, none once FirstContactMade was
heard, none for ended support; weekends and holidays count as days off. Each test uses a municipality
of its own; the watch passes every 50 ms.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from contracts import topics
from contracts.events import FirstContactMade, FirstContactOverdue, SupporterAssigned
from services.kit import db
from services.kit.dutch import DUTCH_TIME
from services.kit.settings import Settings
from services.matching import store
from services.matching.handlers.overdue import FirstContactWatch, late_assignments
from tests.support.harness import RunningService, eventually, publish, run_service
from tests.support.matching import INTERNAL, envelope, events_about, events_so_far, question, supporter_body, uid

pytestmark = pytest.mark.integration


def nl(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=DUTCH_TIME)  # type: ignore[misc]


@dataclass
class Clock:
    """The watch's clock: the test sets the time."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Case:
    question_id: str
    assignment_id: str
    supporter_id: str
    municipality: str


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock(nl(2026, 1, 5, 9, 0))


@pytest.fixture(scope="module")
def quick(settings: Settings) -> Settings:
    return settings.model_copy(update={"first_contact_pass_seconds": 0.05})


@pytest.fixture(scope="module")
async def matching(quick: Settings, clock: Clock) -> AsyncIterator[RunningService]:
    def with_clock(runtime: Any) -> None:
        runtime.container.first_contact.clock = clock

    async with run_service("matching", quick, prepare=with_clock) as svc:
        async with svc.runtime.db.acquire() as conn:
            await store.upsert_organisation(conn, "mee", "MEE Plus", False)
        yield svc


def watch_of(svc: RunningService) -> FirstContactWatch:
    watch = svc.runtime.container.first_contact
    assert isinstance(watch, FirstContactWatch)
    return watch


async def assigned(svc: RunningService, settings: Settings, municipality: str, at: datetime) -> Case:
    """A question in ``municipality`` assigned by matching, then dated to ``at``."""
    body = supporter_body(municipality, name="Anna de Wit")
    answer = await svc.client.post("/api/v1/supporters", json=body, headers=INTERNAL)
    assert answer.status_code == 201, answer.text
    q = question(municipality)
    await publish(settings, topics.QUESTIONS, envelope(q))
    [event] = await events_about(settings, q.question_id, SupporterAssigned.ce_type)
    await svc.runtime.db.execute("UPDATE assignments SET assigned_at = $2 WHERE question_id = $1", q.question_id, at)
    return Case(q.question_id, event.data["assignment_id"], event.data["supporter_id"], municipality)


async def at(svc: RunningService, clock: Clock, moment: datetime, passes: int = 3) -> None:
    """Move the clock to ``moment`` and let the running watch make ``passes`` whole passes; then wait
    until what they published has left the outbox."""
    clock.now = moment
    watch = watch_of(svc)
    start = watch.passes
    await eventually(lambda: watch.passes >= start + passes + 1)
    await eventually(lambda: svc.runtime.db.fetchval("SELECT count(*) = 0 FROM outbox"))


async def overdue(settings: Settings, question_id: str) -> list[FirstContactOverdue]:
    """Every FirstContactOverdue about the question on the assignments topic, up to its current end."""
    events = await events_so_far(settings, question_id, FirstContactOverdue.ce_type)
    return [FirstContactOverdue.model_validate(e.data) for e in events]


async def first_contact(svc: RunningService, settings: Settings, case: Case) -> None:
    """The supporter records first contact: matching publishes FirstContactMade (here: we do, as it would)."""
    made = FirstContactMade(
        question_id=case.question_id,
        assignment_id=case.assignment_id,
        supporter_id=case.supporter_id,
        organisation="mee",
        municipality=case.municipality,
        method="phone",
        reached_on=date(2026, 3, 3),
        recorded_at=datetime.now(DUTCH_TIME),
    )
    await publish(settings, topics.ASSIGNMENTS, envelope(made, source="/samenloket/matching"))
    await eventually(
        lambda: svc.runtime.db.fetchval(
            "SELECT count(*) = 1 FROM first_contacts_heard WHERE assignment_id = $1", case.assignment_id
        )
    )


# --- the running watch ------------------------------------------------------------------------------


async def test_one_reminder_after_two_working_days_and_one_escalation_after_three(
    matching: RunningService, settings: Settings, clock: Clock
) -> None:
    clock.now = nl(2026, 3, 2, 9, 0)
    case = await assigned(matching, settings, "GM0505", nl(2026, 3, 2, 10, 0))  # a Monday

    await at(matching, clock, nl(2026, 3, 4, 9, 59))  # 1 working day and 23 hours
    assert await overdue(settings, case.question_id) == []

    await at(matching, clock, nl(2026, 3, 4, 10, 0))  # Wednesday: 2 working days
    [reminder] = await overdue(settings, case.question_id)
    assert (reminder.stage, reminder.working_days, reminder.assignment_id) == ("reminder", 2, case.assignment_id)
    assert (reminder.supporter_id, reminder.organisation, reminder.municipality) == (case.supporter_id, "mee", "GM0505")
    assert reminder.assigned_at == nl(2026, 3, 2, 10, 0) and reminder.noticed_at == nl(2026, 3, 4, 10, 0)

    await at(matching, clock, nl(2026, 3, 5, 9, 0))  # more passes, still before 3 working days
    assert [e.stage for e in await overdue(settings, case.question_id)] == ["reminder"]

    await at(matching, clock, nl(2026, 3, 5, 10, 0))  # Thursday: 3 working days
    await at(matching, clock, nl(2026, 3, 9, 10, 0))  # and later still: nothing more
    events = await overdue(settings, case.question_id)
    assert [(e.stage, e.working_days) for e in events] == [("reminder", 2), ("escalation", 3)]
    rows = await matching.runtime.db.fetch(
        "SELECT stage FROM first_contact_notices WHERE assignment_id = $1 ORDER BY stage DESC", case.assignment_id
    )
    assert [r["stage"] for r in rows] == ["reminder", "escalation"]
    # No personal data on the topic: ids, codes and moments only.
    assert set(json.loads(events[1].model_dump_json())) <= {
        "question_id",
        "assignment_id",
        "supporter_id",
        "organisation",
        "municipality",
        "stage",
        "assigned_at",
        "working_days",
        "noticed_at",
    }


async def test_weekends_and_holidays_are_not_counted(
    matching: RunningService, settings: Settings, clock: Clock
) -> None:
    clock.now = nl(2026, 4, 2, 9, 0)
    # Thursday before Easter: Good Friday, the weekend and Easter Monday are days off.
    case = await assigned(matching, settings, "GM0642", nl(2026, 4, 2, 10, 0))

    await at(matching, clock, nl(2026, 4, 7, 18, 0))  # six calendar days, one working day (Tuesday)
    assert await overdue(settings, case.question_id) == []
    await at(matching, clock, nl(2026, 4, 8, 10, 0))  # Wednesday: 2 working days
    assert [e.stage for e in await overdue(settings, case.question_id)] == ["reminder"]
    await at(matching, clock, nl(2026, 4, 9, 10, 0))  # Thursday: 3
    assert [e.stage for e in await overdue(settings, case.question_id)] == ["reminder", "escalation"]


async def test_first_contact_heard_in_time_means_no_notice_at_all(
    matching: RunningService, settings: Settings, clock: Clock
) -> None:
    clock.now = nl(2026, 5, 4, 9, 0)
    reached = await assigned(matching, settings, "GM0590", nl(2026, 5, 4, 10, 0))
    sentinel = await assigned(matching, settings, "GM0590", nl(2026, 5, 4, 10, 0))
    await first_contact(matching, settings, reached)

    await at(matching, clock, nl(2026, 5, 11, 10, 0))
    assert [e.stage for e in await overdue(settings, sentinel.question_id)] == ["reminder", "escalation"]
    assert await overdue(settings, reached.question_id) == []


async def test_first_contact_after_the_reminder_stops_the_escalation(
    matching: RunningService, settings: Settings, clock: Clock
) -> None:
    clock.now = nl(2026, 6, 1, 9, 0)
    case = await assigned(matching, settings, "GM0610", nl(2026, 6, 1, 10, 0))
    await at(matching, clock, nl(2026, 6, 3, 11, 0))
    assert [e.stage for e in await overdue(settings, case.question_id)] == ["reminder"]

    await first_contact(matching, settings, case)
    await at(matching, clock, nl(2026, 6, 10, 11, 0))
    assert [e.stage for e in await overdue(settings, case.question_id)] == ["reminder"]


async def test_ended_support_gets_no_notice(matching: RunningService, settings: Settings, clock: Clock) -> None:
    clock.now = nl(2026, 6, 15, 9, 0)
    ended = await assigned(matching, settings, "GM0482", nl(2026, 6, 15, 10, 0))
    sentinel = await assigned(matching, settings, "GM0482", nl(2026, 6, 15, 10, 0))
    answer = await matching.client.post(
        f"/api/v1/assignments/{ended.question_id}/end", json={"reason_code": "resident_stopped"}, headers=INTERNAL
    )
    assert answer.status_code == 200, answer.text

    await at(matching, clock, nl(2026, 6, 22, 10, 0))
    assert len(await overdue(settings, sentinel.question_id)) == 2
    assert await overdue(settings, ended.question_id) == []


async def test_a_late_start_sends_both_stages_and_a_pass_runs_on_start(
    matching: RunningService, settings: Settings, clock: Clock
) -> None:
    clock.now = nl(2026, 7, 1, 9, 0)
    case = await assigned(matching, settings, "GM0531", nl(2026, 7, 1, 10, 0))
    # Another instance starts a week later: its first pass, right at start, finds both stages due.
    later = FirstContactWatch(
        matching.runtime, matching.runtime.source, interval=3600, clock=lambda: nl(2026, 7, 8, 12)
    )
    task = asyncio.create_task(later.run())
    try:
        await eventually(lambda: later.passes >= 1)
    finally:
        task.cancel()
    await eventually(lambda: matching.runtime.db.fetchval("SELECT count(*) = 0 FROM outbox"))
    events = await overdue(settings, case.question_id)
    assert [(e.stage, e.working_days) for e in events] == [("reminder", 5), ("escalation", 5)]


async def test_two_instances_never_send_a_notice_twice(
    matching: RunningService, settings: Settings, clock: Clock
) -> None:
    clock.now = nl(2026, 7, 13, 9, 0)
    cases = [await assigned(matching, settings, "GM1978", nl(2026, 7, 13, 10, 0)) for _ in range(3)]
    assert settings.database_url
    pools = [await db.create_pool(settings.database_url, "matching", 4) for _ in range(2)]
    try:
        due = nl(2026, 7, 20, 10, 0)
        watches = [
            FirstContactWatch(SimpleNamespace(db=pool), "/samenloket/matching", clock=lambda: due) for pool in pools
        ]
        clock.now = due  # the service's own watch competes too
        sent = await asyncio.gather(*(w.pass_once() for w in watches), *(w.pass_once() for w in watches))
    finally:
        for pool in pools:
            await pool.close()
    mine = {c.assignment_id for c in cases}
    by_us = [(n.assignment_id, n.stage) for batch in sent for n in batch if n.assignment_id in mine]
    assert len(by_us) == len(set(by_us))
    await at(matching, clock, due)
    for case in cases:
        assert [e.stage for e in await overdue(settings, case.question_id)] == ["reminder", "escalation"]


async def test_one_of_a_duo_reaching_the_resident_keeps_the_promise_for_both(
    matching: RunningService, settings: Settings, clock: Clock
) -> None:
    clock.now = nl(2026, 8, 3, 9, 0)
    municipality = "GM0505"
    lead, partner = uid("s-lead"), uid("s-partner")
    for sid, kind in ((lead, "professional"), (partner, "volunteer")):
        body = supporter_body(municipality, supporter_id=sid, kind=kind, capacity=0)
        assert (await matching.client.post("/api/v1/supporters", json=body, headers=INTERNAL)).status_code == 201
    question_id = uid("q-duo")
    for sid, role, other in ((lead, "lead", partner), (partner, "partner", lead)):
        await matching.runtime.db.execute(
            "INSERT INTO assignments (assignment_id, question_id, supporter_id, score, reasons, status, assigned_at,"
            " municipality, role, partner_id) VALUES ($1, $2, $3, 0.8, '[]', 'accepted', $4, $5, $6, $7)",
            f"a-{sid}",
            question_id,
            sid,
            nl(2026, 8, 3, 10, 0),
            municipality,
            role,
            other,
        )
    await first_contact(matching, settings, Case(question_id, f"a-{partner}", partner, municipality))
    sentinel = await assigned(matching, settings, municipality, nl(2026, 8, 3, 10, 0))

    await at(matching, clock, nl(2026, 8, 10, 10, 0))
    assert len(await overdue(settings, sentinel.question_id)) == 2
    assert await overdue(settings, question_id) == []


# --- what the coordinators' page flags --------------------------------------------------------------


async def test_late_assignments_name_supporter_organisation_and_how_late(
    matching: RunningService, settings: Settings, clock: Clock
) -> None:
    clock.now = nl(2026, 9, 7, 9, 0)
    late = await assigned(matching, settings, "GM0610", nl(2026, 9, 7, 10, 0))  # a Monday
    in_time = await assigned(matching, settings, "GM0610", nl(2026, 9, 10, 10, 0))  # Thursday: 2 working days
    reached = await assigned(matching, settings, "GM0610", nl(2026, 9, 7, 10, 0))
    await first_contact(matching, settings, reached)

    async with matching.runtime.db.acquire() as conn:
        found = await late_assignments(conn, nl(2026, 9, 14, 10, 0), "GM0610")  # the next Monday
        elsewhere = await late_assignments(conn, nl(2026, 9, 14, 10, 0), "GM0505")
    mine = [item for item in found if item.assignment.question_id in {late.question_id, in_time.question_id}]
    [item] = mine
    assert item.assignment.question_id == late.question_id
    assert (item.assignment.supporter_name, item.assignment.organisation_name) == ("Anna de Wit", "MEE Plus")
    assert item.assignment.municipality == "GM0610"
    assert (item.working_days, item.days_late) == (5, 2)
    assert reached.question_id not in {i.assignment.question_id for i in found}
    assert late.question_id not in {i.assignment.question_id for i in elsewhere}
    assert timedelta(0) < nl(2026, 9, 14, 10, 0) - item.assignment.assigned_at
