"""StatisticsPublished on samenloket.statistics: suppressed figures for every municipality and the region.

The reporting service runs with a one-second schedule; what it publishes is read back from the
broker. No count of people below the threshold may leave unsuppressed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import ConsumerRecord

from contracts.envelope import CloudEvent, decode
from contracts.events import Event, StatisticsPublished
from contracts.topics import STATISTICS
from services.kit.region import region_of
from services.kit.runtime import Runtime
from services.kit.settings import Settings
from services.reporting import app, periods, publisher
from services.reporting.settings import ReportingSettings
from tests.support.harness import RunningService, read_topic, run_service
from tests.support.reporting import new_id, question, send, signal, stored, supporter

MUNICIPALITIES = region_of().municipality_names

pytestmark = pytest.mark.integration

TOWN, SMALL = "GM0505", "GM0642"
#: Tables that do not count people, and the statistics (hours, percentages): shown as they are.
NOT_PEOPLE = {"capacity_by_organisation", "signals_by_theme", "statistics"}


@pytest.fixture(scope="module")
async def reporting(settings: Settings) -> AsyncIterator[RunningService]:
    scheduled = settings.model_copy(update={"statistics_interval_seconds": 1.0})
    async with run_service("reporting", scheduled) as service:
        now = datetime.now(UTC) - timedelta(minutes=1)
        events: list[Event] = [
            question(new_id("q"), TOWN, now, ("wmo", "youth") if i < 4 else ("wmo",)) for i in range(12)
        ]
        events += [question(new_id("q"), SMALL, now, ("debts",)) for _ in range(3)]
        events += [signal(new_id("sig"), SMALL, now), supporter("s-st", [SMALL], 4, now)]
        await stored(service, await send(settings, *events))
        yield service


def latest_by_area(records: list[ConsumerRecord]) -> dict[str, tuple[CloudEvent, StatisticsPublished]]:
    found: dict[str, tuple[CloudEvent, StatisticsPublished]] = {}
    for record in records:
        event = decode(record.headers, record.value)
        if event.type == StatisticsPublished.ce_type:
            payload = StatisticsPublished.model_validate(event.data)
            found[payload.area] = (event, payload)
    return found


def cell_map(payload: StatisticsPublished) -> dict[tuple[str, str, str], Any]:
    return {(c.table, c.row, c.column): c for c in payload.cells}


def everything_counted(records: list[ConsumerRecord]) -> bool:
    latest = latest_by_area(records)
    if set(latest) != {*MUNICIPALITIES, "region"}:
        return False
    town = cell_map(latest[TOWN][1]).get(("questions_by_life_domain", "wmo", "n"))
    return town is not None and town.value == 12


async def test_every_area_gets_suppressed_statistics(reporting: RunningService, settings: Settings) -> None:
    records = await read_topic(settings, STATISTICS, everything_counted, timeout=60)
    latest = latest_by_area(records)
    quarter = periods.current_quarter()
    threshold = reporting.runtime.settings.suppression_threshold
    for area, (event, payload) in latest.items():
        assert (payload.period_start, payload.period_end, payload.threshold) == (quarter.start, quarter.end, threshold)
        assert event.subject == area and event.source == "/samenloket/reporting"
        assert event.municipality == (None if area == "region" else area)
        assert {c.table for c in payload.cells} >= {"questions_by_life_domain", "experience_statements", "statistics"}
        for cell in payload.cells:
            marker = {"small": "<10", "secondary": "×"}.get(cell.suppression or "")
            assert cell.suppressed == (cell.value is None and cell.display == marker) or cell.display == "–", cell
            if cell.table not in NOT_PEOPLE and not cell.suppressed:
                assert cell.value == 0 or (cell.value or 0) >= threshold, (area, cell)

    town = cell_map(latest[TOWN][1])
    assert town[("questions_by_life_domain", "wmo", "n")].value == 12
    youth = town[("questions_by_life_domain", "youth", "n")]
    assert (youth.value, youth.display, youth.suppressed) == (None, "<10", True)
    small = cell_map(latest[SMALL][1])
    assert small[("questions_by_municipality", SMALL, "n")].display == "<10"
    assert small[("signals_by_theme", "waiting_times", "raised")].value == 1  # a report, not a person
    assert small[("capacity_by_organisation", "mee-plus", "professional")].value == 4
    region = cell_map(latest["region"][1])
    assert region[("questions_by_municipality", SMALL, "n")].suppressed
    # Linked: the region's 15 with the town's own 12 would give the small town's 3 away, so the town's
    # figure is hidden in the region's table and, the same figure, in the town's own publication too.
    assert region[("questions_by_municipality", TOWN, "n")].suppressed
    assert town[("questions_by_municipality", TOWN, "n")].suppressed
    assert region[("questions_by_life_domain", "debts", "n")].suppressed


async def test_one_publication_per_interval_however_many_instances(reporting: RunningService) -> None:
    runtime = reporting.runtime
    [schedule] = runtime.loops  # stop this instance's schedule; act as two instances by hand
    runtime.loops.remove(schedule)  # stopped on purpose: the watchdog must not take it for a crash
    schedule.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await schedule
    assert schedule.get_name() == "reporting-statistics_schedule"
    assert await publisher.publish_due(runtime, every=3600) == 0  # the schedule published a moment ago
    later = datetime.now(UTC) + timedelta(hours=1)
    assert await publisher.publish_due(runtime, every=3600, now=later) == len(MUNICIPALITIES) + 1
    assert await publisher.publish_due(runtime, every=3600, now=later + timedelta(minutes=1)) == 0


async def test_an_interval_of_zero_publishes_nothing(settings: Settings) -> None:
    runtime: Runtime[ReportingSettings] = Runtime(
        app.spec(), settings.model_copy(update={"statistics_interval_seconds": 0.0})
    )
    assert app.background(runtime.container) == []
