"""The overview's kept counts (migration 013) answer what scanning every question fact answers.

The triggers keep counts per municipality as facts change; the store reads them, and finds the median
minutes to assignment from the minute counts and an index. Here the same figures come from the plain
queries over ``question_facts`` (what the overview read before), live and after a rebuild, and must
be equal, the median to the last bit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.kit.region import region_of
from services.kit.settings import Settings
from services.reporting import rebuild
from services.reporting.store import overview
from tests.integration.test_reporting_report import scene_events
from tests.support.harness import RunningService, run_service
from tests.support.reporting import accepted, assigned, new_id, question, send, stored

pytestmark = pytest.mark.integration

#: What the overview read before the kept counts: every question fact of the area.
SCANNED = """
SELECT count(*) AS total,
       count(*) FILTER (WHERE life_domains IS NOT NULL) AS with_life_domains,
       count(*) FILTER (WHERE status IN ('assigned', 'accepted', 'closed')) AS assigned,
       count(*) FILTER (WHERE status = 'waiting') AS waiting,
       count(*) FILTER (WHERE status = 'consultation') AS consultation,
       count(*) FILTER (WHERE assigned_at IS NOT NULL AND received_at IS NOT NULL) AS measured,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM assigned_at - received_at) / 60)
           FILTER (WHERE assigned_at IS NOT NULL AND received_at IS NOT NULL) AS median_minutes
  FROM question_facts
 WHERE $1::text IS NULL OR municipality = $1
"""
SCANNED_DOMAINS = """
SELECT domain, count(*) AS n FROM question_facts, unnest(life_domains) AS domain
 WHERE $1::text IS NULL OR municipality = $1 GROUP BY domain
"""
AREAS = (None, *sorted(region_of().municipality_names))
START = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def more_events() -> list[Any]:
    """Questions in four municipalities, assigned after odd numbers of seconds (medians between two values)."""
    events: list[Any] = []
    for i, town in enumerate(AREAS[1:5]):
        for j in range(6 + i):
            qid = new_id("q")
            at = START + timedelta(days=j, seconds=37 * j)
            events.append(question(qid, town, at, ("wmo", "debts") if j % 2 else ("youth",)))
            if j % 3:  # some within the same hour in several towns, some spread over hours
                a = assigned(qid, town, at, hours=0.5 + 0.001 * (j + 7 * i) if j % 2 else 0.9 * (j + 1) * (i + 2))
                events += [a, accepted(a, hours=1)]
    return events


@pytest.fixture(scope="module")
async def reporting(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("reporting", settings) as service:
        await stored(service, await send(settings, *scene_events(), *more_events()))
        yield service


async def assert_counts_equal_the_scan(service: RunningService) -> None:
    async with service.runtime.db.acquire() as conn:
        by_area = await overview.questions_by_area(conn)
        domains_by_area = await overview.by_life_domain_by_area(conn)
        for area in AREAS:
            scanned = dict(await conn.fetchrow(SCANNED, area))
            kept = await overview.questions(conn, area)
            assert kept == scanned, area
            if area is not None:
                assert by_area.get(area, overview.NO_QUESTIONS) == scanned, area
                assert domains_by_area.get(area, {}) == {
                    r["domain"]: r["n"] for r in await conn.fetch(SCANNED_DOMAINS, area)
                }
            assert await overview.by_life_domain(conn, area) == {
                r["domain"]: r["n"] for r in await conn.fetch(SCANNED_DOMAINS, area)
            }


async def test_kept_counts_equal_the_scan_live_and_after_a_rebuild(reporting: RunningService) -> None:
    await assert_counts_equal_the_scan(reporting)
    async with reporting.runtime.db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM question_hour_counts WHERE n <> 0") > 3
        await rebuild.rebuild(conn)
    await assert_counts_equal_the_scan(reporting)
