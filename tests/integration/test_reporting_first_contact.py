"""First contact, declines and the end of support through the report API, on real events, a real database
and broker, with organisations named by matching (a real HTTP stand-in) and small counts suppressed.

In January 2025 Dordrecht has 20 MEE Plus assignments reached within 3 working days and 10 reached later,
12 Ouderplatform assignments reached within 3 working days and 10 never reached (their term is long over),
11 MEE Plus and 2 Ouderplatform assignments declined before any contact, and 14 MEE Plus supports ended
(12 completed, 2 referred). Zwijndrecht has 3 MEE Plus assignments reached in time, Papendrecht 12: the
region's figures are the sum, so Zwijndrecht's 3 is hidden with a second figure of a municipality.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from contracts.events import Event, FirstContactMade, Reason, SupportEnded, SupporterAssigned
from services.kit import access
from services.kit.dutch import DUTCH_TIME
from services.kit.settings import Settings
from services.kit.workdays import add_working_days
from services.reporting import report
from services.reporting.tables import TOTAL, Period
from tests.support.harness import RunningService, run_service
from tests.support.reporting import assigned, declined, new_id, question, send, stored
from tests.support.reporting_names import names_server

pytestmark = pytest.mark.integration

DORDRECHT, ZWIJNDRECHT, PAPENDRECHT = "GM0505", "GM0642", "GM0590"
JANUARY = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
QUARTER = {"from": "2025-01-01", "to": "2025-03-31"}
REPORTS = "/api/v1/reports"
NEW_TABLES = (
    "first_contact_by_organisation",
    "first_contact_by_kind",
    "declines_by_organisation",
    "declines_by_kind",
    "outcomes_by_organisation",
    "outcomes_by_kind",
)


def contacted(a: SupporterAssigned, working_days: int) -> FirstContactMade:
    day = add_working_days(a.assigned_at.astimezone(DUTCH_TIME).date(), working_days)
    return FirstContactMade(
        question_id=a.question_id,
        assignment_id=a.assignment_id,
        supporter_id=a.supporter_id,
        organisation=a.organisation,
        municipality=a.municipality,
        method="visit",
        reached_on=day,
        recorded_at=a.assigned_at + timedelta(days=10),
    )


def ended(a: SupporterAssigned, code: str) -> SupportEnded:
    return SupportEnded(
        question_id=a.question_id,
        assignment_id=a.assignment_id,
        supporter_id=a.supporter_id,
        organisation=a.organisation,
        municipality=a.municipality,
        reason=Reason(code=code, text="De ondersteuning is klaar."),
        ended_at=a.assigned_at + timedelta(days=30),
    )


def assignments(town: str, n: int, organisation: str = "mee-plus", kind: str = "professional") -> list[Any]:
    """``n`` questions of ``town`` in January, each assigned two hours later: ``[(question, assignment)]``."""
    made = []
    for i in range(n):
        q = question(new_id("q"), town, JANUARY + timedelta(days=i % 15))
        made.append((q, assigned(q.question_id, town, q.received_at, 2, organisation=organisation, kind=kind)))
    return made


def scenario() -> list[Event]:
    in_time = assignments(DORDRECHT, 20)
    late = assignments(DORDRECHT, 10)
    volunteers_in_time = assignments(DORDRECHT, 12, "ouderplatform-zhz", "volunteer")
    volunteers_never = assignments(DORDRECHT, 10, "ouderplatform-zhz", "volunteer")
    declined_mee = assignments(DORDRECHT, 11)
    declined_volunteers = assignments(DORDRECHT, 2, "ouderplatform-zhz", "volunteer")
    zwijndrecht = assignments(ZWIJNDRECHT, 3)
    papendrecht = assignments(PAPENDRECHT, 12)
    every = [
        *in_time,
        *late,
        *volunteers_in_time,
        *volunteers_never,
        *declined_mee,
        *declined_volunteers,
        *zwijndrecht,
        *papendrecht,
    ]
    events: list[Event] = [e for pair in every for e in pair]
    events += [contacted(a, i % 4) for i, (_, a) in enumerate(in_time)]
    events += [contacted(a, 5) for _, a in late]
    events += [contacted(a, 1) for _, a in (*volunteers_in_time, *zwijndrecht, *papendrecht)]
    events += [declined(a, 2, "no_time") for _, a in declined_mee]
    events += [declined(a, 2, "language") for _, a in declined_volunteers]
    events += [ended(a, "completed" if i < 12 else "referred") for i, (_, a) in enumerate(in_time[:14])]
    return events


@pytest.fixture(scope="module")
async def reporting(settings: Settings) -> AsyncIterator[RunningService]:
    with names_server(settings.internal_token.get_secret_value()) as matching:
        async with run_service("reporting", settings.model_copy(update={"matching_url": matching.url})) as service:
            await stored(service, await send(settings, *scenario()))
            yield service


async def answer(service: RunningService, municipality: str | None) -> dict[str, Any]:
    async with service.runtime.db.acquire() as conn:
        key = await access.create_key(conn, f"regio-{new_id('k')}", ["analyst"])
    params = QUARTER | ({"municipality": municipality} if municipality else {})
    response = await service.client.get(REPORTS, params=params, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    return dict(response.json())


def table(body: dict[str, Any], key: str) -> dict[str, Any]:
    return next(t for t in body["tables"] if t["key"] == key)


def cell(body: dict[str, Any], key: str, row: str, column: str) -> dict[str, Any]:
    found = table(body, key)
    if row == TOTAL and column == TOTAL:
        return dict(found["total"])
    if row == TOTAL:
        return dict(found["column_totals"][column])
    if column == TOTAL:
        return dict(found["row_totals"][row])
    return next(c for c in found["cells"] if (c["row"], c["column"]) == (row, column))


def shown(body: dict[str, Any], key: str, row: str, column: str) -> str:
    return str(cell(body, key, row, column)["display"])


def statistic(body: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in body["statistics"] if s["key"] == key)


async def test_first_contact_per_organisation_and_kind_with_names_and_the_promise_kept(
    reporting: RunningService,
) -> None:
    dordrecht = await answer(reporting, DORDRECHT)
    contact = table(dordrecht, "first_contact_by_organisation")
    assert [(r["code"], r["label"]) for r in contact["rows"]] == [
        ("mee-plus", "MEE Plus"),
        ("ouderplatform-zhz", "Ouderplatform ZHZ"),
    ]
    assert [c["label"] for c in contact["columns"]] == [
        "Binnen 3 werkdagen",
        "Later",
        "Geen contact",
        "Nog binnen termijn",
    ]
    key = "first_contact_by_organisation"
    assert [shown(dordrecht, key, "mee-plus", c) for c in ("within", "later", "missing", "pending")] == [
        "20",
        "10",
        "0",
        "0",
    ]
    assert [shown(dordrecht, key, "ouderplatform-zhz", c) for c in ("within", "missing")] == ["12", "10"]
    assert shown(dordrecht, key, TOTAL, TOTAL) == "52"  # the 13 declined before any contact are not counted
    kinds = "first_contact_by_kind"
    assert [shown(dordrecht, kinds, k, TOTAL) for k in ("professional", "volunteer", "experience_expert")] == [
        "30",
        "22",
        "0",
    ]
    # 32 of 52 reached within 3 working days; of 42 reached, half within 1 working day.
    assert statistic(dordrecht, "first_contact_within_rate")["display"] == "61,5 %"
    assert statistic(dordrecht, "first_contact_working_days_median")["display"] == "1 werkdag"


async def test_small_counts_are_hidden_in_every_new_table_and_across_the_areas(reporting: RunningService) -> None:
    region, dordrecht, zwijndrecht, papendrecht = [
        await answer(reporting, area) for area in (None, DORDRECHT, ZWIJNDRECHT, PAPENDRECHT)
    ]
    for body in (region, dordrecht, zwijndrecht, papendrecht):
        for key in NEW_TABLES:
            found = table(body, key)
            figures = [*found["cells"], *found["row_totals"].values(), *found["column_totals"].values(), found["total"]]
            for figure in figures:
                assert figure["value"] is None or figure["value"] == 0 or figure["value"] >= 10, (key, figure)
    # Zwijndrecht's 3 is hidden as small; the region shows the sum, so a second municipality's figure is hidden
    # too (Papendrecht's 12, marked ×), and the region's 47 with Dordrecht's 32 cannot give the 3 away.
    assert shown(zwijndrecht, "first_contact_by_organisation", "mee-plus", "within") == "<10"
    assert shown(papendrecht, "first_contact_by_organisation", "mee-plus", "within") == "×"
    assert shown(region, "first_contact_by_organisation", TOTAL, "within") == "47"
    assert shown(dordrecht, "first_contact_by_organisation", TOTAL, "within") == "32"
    assert statistic(zwijndrecht, "first_contact_within_rate")["display"] == "<10"
    assert statistic(papendrecht, "first_contact_within_rate")["display"] == "×"  # else 47 − 32 − 12 = 3
    assert statistic(region, "first_contact_within_rate")["display"] == "70,1 %"  # 47 of 67
    # Declines: 2 for language are hidden, in the table per reason and in the tables per organisation and kind.
    assert shown(dordrecht, "declines_by_reason", "language", "n") == "<10"
    assert shown(dordrecht, "declines_by_organisation", "ouderplatform-zhz", "language") == "<10"
    assert shown(dordrecht, "declines_by_kind", "volunteer", "language") == "<10"
    assert cell(dordrecht, "declines_by_organisation", TOTAL, "language")["suppressed"]
    reasons = [c["label"] for c in table(dordrecht, "declines_by_kind")["columns"]]
    assert reasons == ["Geen tijd", "Taal"]
    # Ends: 2 referred are hidden; beside the 14 ended, the 12 completed would give them away: hidden (×) too.
    assert shown(dordrecht, "outcomes_by_organisation", "mee-plus", "referred") == "<10"
    assert shown(dordrecht, "outcomes_by_organisation", "mee-plus", "completed") == "×"
    assert shown(dordrecht, "outcomes_by_organisation", "mee-plus", TOTAL) == "14"
    assert [c["label"] for c in table(dordrecht, "outcomes_by_kind")["columns"]] == ["Klaar", "Doorverwezen"]


async def test_a_term_not_over_yet_is_pending_and_not_counted_as_late(reporting: RunningService) -> None:
    """On 8 January 2025 the never-reached assignments still had time: pending, not missing."""
    period = Period(date(2025, 1, 1), date(2025, 3, 31))
    then = datetime(2025, 1, 8, 12, 0, tzinfo=UTC)
    early = await report.build_report(reporting.runtime.db, DORDRECHT, period, now=then)
    volunteers = early.table("first_contact_by_organisation")
    assert volunteers.count("ouderplatform-zhz", "pending") == 10
    assert volunteers.count("ouderplatform-zhz", "missing") == 0
    assert early.statistic("first_contact_within_rate").counts == (32, 10)
    now = await report.build_report(reporting.runtime.db, DORDRECHT, period)
    assert now.table("first_contact_by_organisation").count("ouderplatform-zhz", "missing") == 10
    assert now.statistic("first_contact_within_rate").counts == (32, 20)
