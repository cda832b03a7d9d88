"""Suppression that holds across the region's and the municipalities' reports, on real events and a real DB.

In May 2025 Dordrecht gets 40 questions, Sliedrecht 12 and Alblasserdam 3. The region's table per
municipality hides Alblasserdam's 3 and so must hide a second figure; suppressed table by table it
hid Sliedrecht's 12 there, while Sliedrecht's own report showed its 12: the region's total minus
the shown rows minus 12 gave Alblasserdam's 3 away. Here an attacker reads the API for the region
and every municipality and solves one linear program over all the answers: no hidden figure may
come out at a single value.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from scipy.optimize import linprog

from services.kit import access
from services.kit.region import region_of
from services.kit.settings import Settings
from services.reporting import report, suppression
from services.reporting.tables import Period
from tests.support.harness import RunningService, run_service
from tests.support.reporting import new_id, question, send, stored

MUNICIPALITIES = region_of().municipality_names

pytestmark = pytest.mark.integration

DORDRECHT, SLIEDRECHT, ALBLASSERDAM = "GM0505", "GM0610", "GM0482"
MAY = datetime(2025, 5, 5, 9, 0, tzinfo=UTC)
QUARTER = {"from": "2025-04-01", "to": "2025-06-30"}
REPORTS = "/api/v1/reports"
REGION = "region"
#: Tables of all questions received in the period: their totals are one count.
SAME_TOTAL = ("questions_by_month", "questions_by_municipality", "questions_by_status")
#: ``(table, area, row)``: one figure of a one-dimensional table; the total's row is ``"total"``.
Figure = tuple[str, str, str]


@pytest.fixture(scope="module")
async def reporting(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("reporting", settings) as service:
        events = [
            question(new_id("q"), town, MAY + timedelta(days=i % 20), domains)
            for town, n, domains in (
                (DORDRECHT, 40, ("wmo",)),
                (SLIEDRECHT, 12, ("wmo",)),
                (ALBLASSERDAM, 3, ("debts",)),
            )
            for i in range(n)
        ]
        await stored(service, await send(settings, *events))
        yield service


async def reader(service: RunningService) -> dict[str, str]:
    async with service.runtime.db.acquire() as conn:
        full = await access.create_key(conn, f"regio-{new_id('k')}", ["analyst"])
    return {"Authorization": f"Bearer {full}"}


async def every_report(service: RunningService) -> dict[str, dict[str, Any]]:
    """The API's answer for the region and for every municipality, by area code (``region``)."""
    headers = await reader(service)
    found = {}
    for area in (None, *MUNICIPALITIES):
        params = QUARTER | ({"municipality": area} if area else {})
        response = await service.client.get(REPORTS, params=params, headers=headers)
        assert response.status_code == 200, response.text
        found[area or REGION] = response.json()
    return found


def seen(answers: dict[str, dict[str, Any]]) -> dict[Figure, float | None]:
    """Every figure of the same-total tables as published; ``None`` when hidden."""
    figures: dict[Figure, float | None] = {}
    for area, body in answers.items():
        for table in (t for t in body["tables"] if t["key"] in SAME_TOTAL):
            for cell in table["cells"]:
                figures[(table["key"], area, cell["row"])] = cell["value"]
            figures[(table["key"], area, "total")] = table["total"]["value"]
    return figures


def attack(figures: dict[Figure, float | None]) -> dict[Figure, tuple[float, float]]:
    """The range of every hidden figure, from all the published reports together.

    The attacker knows: each table's rows add up to its total; the region's figure is the sum of the
    municipalities' same figure (a municipality's table per municipality has only its own row); and
    the three tables count the same questions, so their totals are equal in every area.
    """
    relations: list[list[tuple[Figure, float]]] = []
    tables = {t for t, _, _ in figures}
    areas = {a for _, a, _ in figures}
    for table in tables:
        for area in areas:
            rows = [f for f in figures if f[0] == table and f[1] == area and f[2] != "total"]
            relations.append([*((f, 1.0) for f in rows), ((table, area, "total"), -1.0)])
        for t, a, row in [f for f in figures if f[0] == table and f[1] == REGION]:
            parts = [(t, m, row) for m in MUNICIPALITIES if (t, m, row) in figures]
            relations.append([*((p, 1.0) for p in parts), ((t, a, row), -1.0)])
    for area in areas:
        first, *others = SAME_TOTAL
        relations += [[((first, area, "total"), 1.0), ((other, area, "total"), -1.0)] for other in others]
    unknown = [f for f, value in figures.items() if value is None]
    index = {f: i for i, f in enumerate(unknown)}
    a_eq, b_eq = [], []
    for relation in relations:
        coefficients, constant = np.zeros(len(unknown)), 0.0
        for figure, sign in relation:
            value = figures[figure]
            if value is None:
                coefficients[index[figure]] += sign
            else:
                constant -= sign * value
        if coefficients.any():
            a_eq.append(coefficients)
            b_eq.append(constant)
    ranges = {}
    for figure in unknown:
        objective = np.zeros(len(unknown))
        objective[index[figure]] = 1.0
        ends = []
        for sign in (1.0, -1.0):
            result = linprog(
                sign * objective, A_eq=np.array(a_eq), b_eq=np.array(b_eq), bounds=(1, 1e6), method="highs"
            )
            assert result.status == 0, result.message
            ends.append(sign * result.fun)
        ranges[figure] = (ends[0], ends[1])
    return ranges


def whole_values(low: float, high: float) -> int:
    return math.floor(high + 1e-6) - math.ceil(low - 1e-6) + 1


async def test_no_combination_of_the_published_reports_gives_alblasserdam_away(reporting: RunningService) -> None:
    answers = await every_report(reporting)
    figures = seen(answers)
    assert figures[("questions_by_municipality", REGION, ALBLASSERDAM)] is None
    assert figures[("questions_by_municipality", REGION, DORDRECHT)] == 40
    assert figures[("questions_by_municipality", REGION, "total")] == 55
    # Sliedrecht's 12 is hidden in the region's table and, the same count, in Sliedrecht's own report.
    assert figures[("questions_by_municipality", REGION, SLIEDRECHT)] is None
    for table in SAME_TOTAL:
        assert figures[(table, SLIEDRECHT, "total")] is None, table
        assert figures[(table, DORDRECHT, "total")] == 40, table
    ranges = attack(figures)
    for figure, (low, high) in ranges.items():
        assert whole_values(low, high) >= 2, f"{figure} is pinned to [{low}, {high}]"
    low, high = ranges[("questions_by_municipality", REGION, ALBLASSERDAM)]
    assert low <= 3 <= high and whole_values(low, high) >= 2

    # The category table adds up across areas too: Alblasserdam's 3 questions about debts stay hidden.
    def debts(area: str) -> dict[str, Any]:
        table = next(t for t in answers[area]["tables"] if t["key"] == "questions_by_life_domain")
        return next(c for c in table["cells"] if c["row"] == "debts")

    assert debts(REGION)["suppressed"] and debts(ALBLASSERDAM)["suppressed"]


async def test_suppressed_table_by_table_the_same_reports_would_give_it_away(reporting: RunningService) -> None:
    """Why the reports are linked: the same counts, each table suppressed on its own, are open to the attack."""
    period = Period(date(2025, 4, 1), date(2025, 6, 30))
    raw = await report.build_reports(reporting.runtime.db, period)
    alone: dict[Figure, float | None] = {}
    for area, built in raw.items():
        for key in SAME_TOTAL:
            published = suppression.suppress(built.table(key), 10)
            for (row, _), shown in published.cells.items():
                alone[(key, area or REGION, row)] = shown.value
            alone[(key, area or REGION, "total")] = published.total.value
    assert alone[("questions_by_municipality", SLIEDRECHT, "total")] == 12
    low, high = attack(alone)[("questions_by_municipality", REGION, ALBLASSERDAM)]
    assert whole_values(low, high) == 1 and round(low) == 3


async def test_only_whole_months_may_be_asked(reporting: RunningService) -> None:
    headers = await reader(reporting)
    for params, field in (
        ({"from": "2025-05-02", "to": "2025-05-31"}, "from"),
        ({"from": "2025-05-01", "to": "2025-05-30"}, "to"),
        ({"from": "2024-02-01", "to": "2024-02-28"}, "to"),  # a leap year: February has 29 days
    ):
        response = await reporting.client.get(REPORTS, params=params, headers=headers)
        assert response.status_code == 422, (params, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field], response.text
    month = await reporting.client.get(REPORTS, params={"from": "2024-02-01", "to": "2024-02-29"}, headers=headers)
    assert month.status_code == 200 and month.json()["period"] == {"start": "2024-02-01", "end": "2024-02-29"}


async def test_the_overviews_of_the_region_and_the_municipalities_are_linked_too(reporting: RunningService) -> None:
    """All-time overview: the region's 55 and Dordrecht's 40 are shown, so Sliedrecht's 12 may not be."""
    headers = await reader(reporting)
    totals = {}
    for area in (None, *MUNICIPALITIES):
        params = {"municipality": area} if area else {}
        response = await reporting.client.get(f"{REPORTS}/overview", params=params, headers=headers)
        assert response.status_code == 200, response.text
        totals[area or REGION] = response.json()["questions"]["total"]
    assert totals[ALBLASSERDAM] is None
    assert (totals[REGION], totals[DORDRECHT]) == (55, 40)
    assert totals[SLIEDRECHT] is None  # else 55 - 40 - 12 gives Alblasserdam's 3
    assert all(totals[m] == 0 for m in MUNICIPALITIES if m not in (DORDRECHT, SLIEDRECHT, ALBLASSERDAM))
