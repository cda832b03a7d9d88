"""The reports of every area read with grouped statements equal those read area by area, raw and published.

The dashboard and the quarterly report build the region's report and every municipality's in one
snapshot (their suppression is linked). :func:`report.build_reports` runs each statement once for all
areas, grouped by municipality; :func:`report.build_reports_one_by_one` is the rule it must equal. The
data: the report test's quarter (Q1 2025: questions, assignments, declines, waiting, signals,
experiences, a council meeting, supporters serving several municipalities) and the linked test's May
2025 (40, 12 and 3 questions in three towns: small cells hidden, and a second one hidden across areas),
plus a region-wide meeting and questions in three more municipalities.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.kit.region import region_of
from services.kit.settings import Settings
from services.reporting import report
from services.reporting.store.grouped import AreaReader, grouped
from services.reporting.suppression import PublishedReport
from services.reporting.tables import Period
from tests.integration.test_reporting_report import scene_events
from tests.support.harness import RunningService, run_service
from tests.support.reporting import accepted, assigned, declined, meeting_held, new_id, question, send, stored

pytestmark = pytest.mark.integration

DORDRECHT, SLIEDRECHT, ALBLASSERDAM = "GM0505", "GM0610", "GM0482"
Q1 = Period(date(2025, 1, 1), date(2025, 3, 31))
Q2 = Period(date(2025, 4, 1), date(2025, 6, 30))
MAY = datetime(2025, 5, 5, 9, 0, tzinfo=UTC)
JANUARY = datetime(2025, 1, 20, 9, 0, tzinfo=UTC)
NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
THRESHOLD = 10


def may_events() -> list[Any]:
    events: list[Any] = []
    for town, n, domains in ((DORDRECHT, 40, ("wmo",)), (SLIEDRECHT, 12, ("wmo",)), (ALBLASSERDAM, 3, ("debts",))):
        for i in range(n):
            qid = new_id("q")
            events.append(question(qid, town, MAY + timedelta(days=i % 20), domains))
            if i % 3 == 0:
                a = assigned(qid, town, MAY + timedelta(days=i % 20), hours=1 + i)
                events += [a, declined(a, hours=2) if i % 2 else accepted(a, hours=5)]
    # A few questions in three other municipalities in Q1, and a meeting of the whole region.
    for town in sorted(set(region_of().municipality_names) - {DORDRECHT, SLIEDRECHT, ALBLASSERDAM})[:3]:
        events += [question(new_id("q"), town, JANUARY + timedelta(days=i), ("youth",)) for i in range(4)]
    events.append(meeting_held("m-region", None, date(2025, 5, 20), residents=3, at=MAY + timedelta(days=16)))
    return events


@pytest.fixture(scope="module")
async def reporting(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("reporting", settings) as service:
        await stored(service, await send(settings, *scene_events(), *may_events()))
        yield service


def published(reports: dict[str | None, Any]) -> dict[str | None, PublishedReport]:
    return {
        area: report.with_derived_withheld(p)
        for area, p in report.suppression.publish_linked(
            reports, THRESHOLD, report.MIRRORED_STATISTICS, report.same_counts(reports)
        ).items()
    }


@pytest.mark.parametrize("period", [Q1, Q2], ids=["q1", "q2"])
async def test_grouped_reports_equal_the_reports_read_area_by_area(reporting: RunningService, period: Period) -> None:
    db = reporting.runtime.db
    one_by_one = await report.build_reports_one_by_one(db, period, now=NOW)
    together = await report.build_reports(db, period, now=NOW)
    assert list(together) == list(one_by_one)
    for area, built in one_by_one.items():
        assert together[area] == built, area
    assert published(together) == published(one_by_one)
    assert published(together) == await report.published_reports(db, period, THRESHOLD, now=NOW)


async def test_small_cells_and_their_partners_across_areas_are_hidden_the_same_way(reporting: RunningService) -> None:
    shown = await report.published_reports(reporting.runtime.db, Q2, THRESHOLD, now=NOW)
    region = next(t for t in shown[None].tables if t.table.key == "questions_by_municipality")
    assert region.cells[(ALBLASSERDAM, "n")].suppressed  # 3: below the threshold
    assert region.cells[(DORDRECHT, "n")].value == 40
    # Sliedrecht's 12 is hidden too (else the region's total would give Alblasserdam's 3 away), and with it
    # Sliedrecht's own total: the secondary suppression across areas.
    assert region.cells[(SLIEDRECHT, "n")].suppressed
    own = next(t for t in shown[SLIEDRECHT].tables if t.table.key == "questions_by_municipality")
    assert own.total.suppressed


async def test_each_statement_runs_once_for_all_areas(reporting: RunningService) -> None:
    areas = (None, *region_of().municipality_names)
    async with reporting.runtime.db.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        reader = AreaReader(conn)
        await reader.each(areas, lambda a: report.report_of(reader, report.window(a, Q2, NOW)))  # type: ignore[arg-type]
        grouped_statements = reader.statements
    async with reporting.runtime.db.acquire() as conn:
        counting = AreaReader(conn)
        await counting.each((None,), lambda a: report.report_of(counting, report.window(a, Q2, NOW)))  # type: ignore[arg-type]
    # One region alone asks every statement once; all areas together need at most a few more (the
    # supporters' capacity is read apart for the region, and "no rows" answers once per statement).
    assert grouped_statements < 2 * counting.statements < len(areas) * counting.statements


def test_statements_that_do_not_filter_by_area_are_not_grouped() -> None:
    assert grouped("SELECT count(*) FROM question_facts") is None
    assert grouped("SELECT count(*) FROM question_facts WHERE municipality = $1") is None
    found = grouped(
        "SELECT q.status AS k, count(*) AS n FROM question_facts q"
        " WHERE ($1::text IS NULL OR q.municipality = $1) GROUP BY 1"
    )
    assert found is not None and found.kind == "sets" and "GROUPING SETS" in found.sql
