"""The report builder and the report API on a real broker and database.

One scene of a quarter (Q1 2025) in Dordrecht (GM0505), with a few questions in Zwijndrecht
(GM0642), flows in through the topics; the builder's tables and statistics are checked against it,
then the API with real keys: who may see what, clear 422s, and suppression of small numbers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.kit import access
from services.kit.settings import Settings
from services.reporting import periods, report
from services.reporting.tables import SINGLE, Period, Report
from tests.support.harness import RunningService, run_service
from tests.support.reporting import (
    accepted,
    assigned,
    consultation,
    declined,
    ended,
    experience,
    meeting_held,
    meeting_planned,
    new_id,
    question,
    send,
    signal,
    signal_acknowledged,
    signal_answered,
    stored,
    supporter,
    waiting,
    withdrawn,
)

pytestmark = pytest.mark.integration

TOWN, OTHER = "GM0505", "GM0642"
Q1 = Period(date(2025, 1, 1), date(2025, 3, 31))
NOW = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)
JAN = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
FEB = datetime(2025, 2, 10, 9, 0, tzinfo=UTC)
REPORTS = "/api/v1/reports"


@dataclass(frozen=True)
class Scene:
    service: RunningService
    town: Report
    region: Report


def scene_events() -> list[Any]:
    """12 questions in the town (10 assigned after 2 h, accepted after 26 h; 2 waiting), 3 in the other
    town, one before the quarter; supporters, a decline, signals, experiences and a council meeting."""
    events: list[Any] = []
    town_ids = [new_id("q") for _ in range(12)]
    for i, qid in enumerate(town_ids):
        at = JAN if i < 7 else FEB
        domains = ("wmo", "youth") if i < 3 else ("wmo",)
        events.append(question(qid, TOWN, at, domains, found_via=None if i == 0 else "huisarts", referrer=None))
    for qid in town_ids[:10]:
        received_at = JAN if town_ids.index(qid) < 7 else FEB
        a = assigned(qid, TOWN, received_at, hours=2)
        events += [a, accepted(a, hours=26)]
    events.append(waiting(town_ids[10], TOWN, NOW - timedelta(days=30)))
    events.append(waiting(town_ids[11], TOWN, NOW - timedelta(days=2)))
    events.append(consultation(town_ids[11], TOWN, NOW - timedelta(days=1)))
    # An extra assignment that is declined, and one that ended.
    extra = assigned(town_ids[0], TOWN, JAN, hours=5, organisation="ouderplatform", kind="volunteer")
    events += [extra, declined(extra, hours=1)]
    finished = assigned(town_ids[1], TOWN, JAN, hours=3, organisation="ouderplatform", kind="volunteer")
    events += [finished, ended(finished, days=20)]
    # Before the quarter: counted nowhere in Q1.
    events.append(question(new_id("q"), TOWN, datetime(2024, 12, 20, tzinfo=UTC)))
    other_ids = [new_id("q") for _ in range(3)]
    for qid in other_ids:
        events.append(question(qid, OTHER, FEB, ("debts",), referrer="wijkteam-zwijndrecht", channel="partner"))
    # Two withdrawn in the other town: one in the quarter, one after it (counted nowhere in Q1).
    events += [
        withdrawn(other_ids[2], OTHER, FEB + timedelta(days=3)),
        withdrawn(other_ids[1], OTHER, NOW + timedelta(days=2)),
    ]
    # Assigned, declined, and waiting again: on the waiting list, though it once had a supporter.
    again = assigned(other_ids[0], OTHER, FEB, hours=1)
    events += [again, declined(again, hours=2), waiting(other_ids[0], OTHER, NOW - timedelta(days=10))]
    events += [
        supporter("s-town-1", [TOWN, OTHER], 10, JAN - timedelta(days=30)),
        supporter("s-town-2", [TOWN], 6, JAN - timedelta(days=30), organisation="ouderplatform", kind="volunteer"),
        supporter("s-paused", [TOWN], 4, JAN - timedelta(days=30), availability="paused"),
    ]
    signals = [new_id("sig") for _ in range(3)]
    events += [signal(s, TOWN, FEB) for s in signals]
    events += [signal_acknowledged(signals[0], TOWN, FEB + timedelta(days=1))]
    events += [signal_answered(signals[1], TOWN, FEB + timedelta(days=4))]
    events += [experience(TOWN, FEB, knew="agree" if i < 9 else "disagree") for i in range(11)]
    events += [
        meeting_planned("m-town", TOWN, date(2025, 2, 20), JAN),
        meeting_held("m-town", TOWN, date(2025, 2, 20), residents=2, at=FEB + timedelta(days=11)),
    ]
    return events


@pytest.fixture(scope="module")
async def scene(settings: Settings) -> AsyncIterator[Scene]:
    async with run_service("reporting", settings) as service:
        await stored(service, await send(settings, *scene_events()))
        town = await report.build_report(service.runtime.db, TOWN, Q1, now=NOW)
        region = await report.build_report(service.runtime.db, None, Q1, now=NOW)
        yield Scene(service, town, region)


def column(rep: Report, key: str, column_code: str = SINGLE) -> dict[str, int]:
    table = rep.table(key)
    return {row: table.count(row, column_code) for row in table.rows if table.count(row, column_code)}


# --- the builder ---------------------------------------------------------------------------------------


def test_questions_by_month_domain_channel_referrer_and_found_via(scene: Scene) -> None:
    town = scene.town
    assert town.table("questions_by_month").rows == ("2025-01", "2025-02", "2025-03")
    assert column(town, "questions_by_month") == {"2025-01": 7, "2025-02": 5}
    domains = town.table("questions_by_life_domain")
    assert column(town, "questions_by_life_domain") == {"wmo": 12, "youth": 3}
    assert not domains.additive and domains.total() == 12 and domains.label("youth") == "Opvoeden en jeugdhulp"
    assert column(town, "questions_by_channel") == {"web": 12}
    assert column(town, "questions_by_referrer") == {"self": 12}
    assert column(town, "questions_by_found_via") == {"huisarts": 11, "unknown": 1}
    assert town.table("questions_by_found_via").label("unknown") == "Niet bekend"
    assert town.table("questions_by_municipality").rows == (TOWN,)
    assert column(town, "questions_by_status") == {"accepted": 9, "closed": 1, "waiting": 1, "consultation": 1}


def test_region_adds_up_the_municipalities(scene: Scene) -> None:
    region = scene.region
    assert column(region, "questions_by_municipality") == {TOWN: 12, OTHER: 3}
    assert column(region, "questions_by_referrer") == {"self": 12, "wijkteam-zwijndrecht": 3}
    assert column(region, "questions_by_channel") == {"web": 12, "partner": 3}
    assert region.table("questions_by_life_domain").total() == 15


def test_waiting_assignments_capacity_and_declines(scene: Scene) -> None:
    town = scene.town
    assert column(town, "waiting_by_age") == {"ge_4w": 1}
    # The second waiting question went on to a consultation later: not on the waiting list.
    assert town.statistic("waiting_list_size").value == 1
    assert town.statistic("waiting_days_median").value == 30.0
    assignments = town.table("assignments_by_organisation")
    assert assignments.rows == ("mee-plus",) and assignments.count("mee-plus", "professional") == 10
    capacity = town.table("capacity_by_organisation")
    assert not capacity.people
    assert capacity.count("mee-plus", "professional") == 10 and capacity.count("ouderplatform", "volunteer") == 6
    assert capacity.total() == 16  # the paused supporter's places do not count
    assert scene.region.table("capacity_by_organisation").total() == 16
    assert column(scene.region, "waiting_by_age") == {"1_2w": 1, "ge_4w": 1}
    assert scene.region.statistic("waiting_list_size").value == 2
    declines = town.table("declines_by_reason")
    assert column(town, "declines_by_reason") == {"no_capacity": 1}
    assert declines.label("no_capacity") == "De ondersteuner heeft nu geen plek."
    assert town.statistic("utilisation_percent").value == round(100 * 10 / 16, 1)
    assert town.statistic("decline_rate").counts == (1, 11)


def test_withdrawals_are_counted_by_reason(scene: Scene) -> None:
    assert column(scene.region, "withdrawals_by_reason") == {"no_longer_needed": 1}
    assert scene.region.table("withdrawals_by_reason").label("no_longer_needed") == (
        "De inwoner heeft geen hulp meer nodig."
    )
    assert column(scene.town, "withdrawals_by_reason") == {}


def test_speed_statistics_and_the_monthly_trend(scene: Scene) -> None:
    town = scene.town
    assert (town.statistic("hours_to_assigned_median").value, town.statistic("hours_to_assigned_median").counts) == (
        2.0,
        (10,),
    )
    assert town.statistic("hours_to_assigned_p90").value == 2.0
    assert town.statistic("hours_to_accepted_median").value == 26.0
    assert town.statistic("consultation_rate").counts == (1, 11)
    trend = town.trends["hours_to_assigned_median"]
    assert [(s.key, s.value, s.counts) for s in trend] == [
        ("2025-01", 2.0, (7,)),
        ("2025-02", 2.0, (3,)),
        ("2025-03", None, (0,)),
    ]


def test_signals_experiences_and_representativeness(scene: Scene) -> None:
    town = scene.town
    signals = town.table("signals_by_theme")
    assert not signals.people
    assert [signals.count("waiting_times", c) for c in ("raised", "acknowledged", "answered")] == [1, 1, 1]
    assert town.statistic("signal_days_to_answer_median").value == 4.0
    statements = town.table("experience_statements")
    assert statements.count("knew_where_to_go", "agree") == 9 and statements.count("knew_where_to_go", "disagree") == 2
    assert statements.count("helped_quickly", "neutral") == 11 and statements.total() == 11
    assert statements.label("knew_where_to_go") == "Ik wist waar ik terecht kon"
    assert town.statistic("experience_score_average").value == 8.0
    by_age = town.table("representativeness_by_age_band")
    assert by_age.count("27_44", "supported") == 12
    assert by_age.count("65_74", "took_part") == 11 and by_age.count("18_26", "took_part") == 2
    assert by_age.column_total("took_part") == 13
    by_domain = town.table("representativeness_by_life_domain")
    assert (by_domain.count("wmo", "supported"), by_domain.count("youth", "took_part")) == (12, 2)
    assert town.table("representativeness_by_municipality").count(TOWN, "took_part") == 13


# --- the API --------------------------------------------------------------------------------------------


async def key(scene: Scene, scope: str, municipality: str | None = None) -> dict[str, str]:
    async with scene.service.runtime.db.acquire() as conn:
        full = await access.create_key(conn, f"org-{new_id('k')}", [scope], municipality)
    return {"Authorization": f"Bearer {full}"}


async def get(scene: Scene, headers: dict[str, str], **params: str) -> httpx.Response:
    return await scene.service.client.get(REPORTS, params=params, headers=headers)


def cells(body: dict[str, Any], table: str) -> dict[tuple[str, str], dict[str, Any]]:
    found = next(t for t in body["tables"] if t["key"] == table)
    return {(c["row"], c["column"]): c for c in found["cells"]}


async def test_the_report_is_suppressed_for_every_audience(scene: Scene) -> None:
    quarter = {"from": "2025-01-01", "to": "2025-03-31"}
    for headers in (
        await key(scene, "analyst", TOWN),
        await key(scene, "council"),
        await key(scene, "municipality", TOWN),
    ):
        response = await get(scene, headers, municipality=TOWN, **quarter)
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["municipality"], body["period"], body["threshold"]) == (
            TOWN,
            {"start": "2025-01-01", "end": "2025-03-31"},
            10,
        )
        domains = cells(body, "questions_by_life_domain")
        assert domains[("wmo", "n")] | {} == {
            "row": "wmo",
            "column": "n",
            "value": 12,
            "display": "12",
            "suppressed": False,
            "suppression": None,
        }
        assert (domains[("youth", "n")]["value"], domains[("youth", "n")]["display"]) == (None, "<10")
        assert domains[("youth", "n")]["suppression"] == "small"
        assert domains[("health", "n")]["display"] == "0"
        statistics = {s["key"]: s for s in body["statistics"]}
        assert statistics["hours_to_assigned_median"]["display"] == "2 uur"
        assert (statistics["decline_rate"]["value"], statistics["decline_rate"]["display"]) == (None, "<10")
        # Every count of people below the threshold is hidden, everywhere in the answer.
        for table in body["tables"]:
            if table["people"]:
                for cell in table["cells"]:
                    assert cell["suppressed"] or cell["value"] in (0, None) or cell["value"] >= 10, (table["key"], cell)
        assert body["trends"]["hours_to_assigned_median"][0]["display"] == "<10"
    # The region's one withdrawal is a small count: shown as "<10", never as 1.
    region = (await get(scene, await key(scene, "council"), **quarter)).json()
    withdrawals = cells(region, "withdrawals_by_reason")
    assert withdrawals[("no_longer_needed", "n")]["display"] == "<10"
    assert withdrawals[("no_longer_needed", "n")]["suppression"] == "small"


async def test_who_may_ask_for_what(scene: Scene) -> None:
    town_key = await key(scene, "analyst", TOWN)
    own = await get(scene, town_key)  # no municipality: the key's own
    assert own.status_code == 200 and own.json()["municipality"] == TOWN
    other = await get(scene, town_key, municipality=OTHER)
    assert other.status_code == 403 and "Dordrecht" in other.json()["detail"]
    region = await get(scene, await key(scene, "council"), **{"from": "2025-01-01", "to": "2025-03-31"})
    assert region.status_code == 200 and region.json()["municipality"] is None
    by_town = cells(region.json(), "questions_by_municipality")
    assert by_town[(OTHER, "n")]["display"] == "<10"
    # 12 + 3 = 15 with every other town at 0: showing both 12 and the total would give the 3 away.
    total = next(t for t in region.json()["tables"] if t["key"] == "questions_by_municipality")["total"]
    assert by_town[(TOWN, "n")]["suppressed"] or total["suppressed"]

    assert (await get(scene, {})).status_code == 401
    assert (await get(scene, {"Authorization": "Bearer slk_nonsense"})).status_code == 401
    assert (await get(scene, await key(scene, "submit"))).status_code == 403
    internal = {"Authorization": f"Bearer {scene.service.runtime.settings.internal_token.get_secret_value()}"}
    assert (await get(scene, internal)).status_code == 401  # the full report is for report keys only


async def test_bad_filters_are_422s_naming_the_field(scene: Scene) -> None:
    headers = await key(scene, "analyst")
    cases = [
        ({"from": "2025-13-01"}, "from"),
        ({"to": "gisteren"}, "to"),
        ({"from": "2025-03-01", "to": "2025-01-31"}, "from"),
        ({"from": "2020-01-01", "to": "2025-01-31"}, "to"),
        ({"municipality": "GM9999"}, "municipality"),
    ]
    for params, field in cases:
        response = await get(scene, headers, **params)
        assert response.status_code == 422, (params, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field], response.text


async def test_the_default_period_is_the_current_quarter(scene: Scene) -> None:
    body = (await get(scene, await key(scene, "analyst"))).json()
    quarter = periods.current_quarter()
    assert body["period"] == {"start": quarter.start.isoformat(), "end": quarter.end.isoformat()}


async def test_the_overview_is_suppressed_for_keys_and_refused_to_the_internal_token(scene: Scene) -> None:
    client = scene.service.client
    with_key = await client.get(
        f"{REPORTS}/overview", params={"municipality": OTHER}, headers=await key(scene, "analyst")
    )
    assert with_key.status_code == 200, with_key.text
    body = with_key.json()
    assert body["questions"]["total"] is None and "questions.total" in body["suppressed"]
    assert body["questions"]["by_life_domain"]["debts"] is None and body["threshold"] == 10
    assert body["questions"]["by_life_domain"]["wmo"] == 0
    town = (
        await client.get(f"{REPORTS}/overview", params={"municipality": TOWN}, headers=await key(scene, "council"))
    ).json()
    # Linked with the region's 16: the town's 13 would give the other town's 3 away, so it is hidden.
    assert town["questions"]["total"] is None and "questions.total" in town["suppressed"]
    assert town["questions"]["by_life_domain"]["wmo"] == 13
    internal = {"Authorization": f"Bearer {scene.service.runtime.settings.internal_token.get_secret_value()}"}
    refused = await client.get(f"{REPORTS}/overview", params={"municipality": OTHER}, headers=internal)
    assert refused.status_code == 401  # no raw figures for anyone: the services' token is not a report key
    other_scope = await client.get(f"{REPORTS}/overview", headers=await key(scene, "staff"))
    assert other_scope.status_code == 403


def statements_people(report: Report) -> bool:
    return report.table("experience_statements_by_organisation").people


async def test_experiences_per_organisation_are_counted_and_suppressed_like_every_figure(scene: Scene) -> None:
    town = scene.town
    scores = town.table("experience_scores_by_organisation")
    assert scores.rows == ("mee-plus",) and scores.count("mee-plus", "high") == 11
    assert scores.label("high") == "8 tot en met 10" and scores.people and statements_people(town)
    statements = town.table("experience_statements_by_organisation")
    assert statements.count("mee-plus", "knew_where_to_go:agree") == 9
    assert statements.count("mee-plus", "knew_where_to_go:disagree") == 2
    assert statements.label("knew_where_to_go:agree") == "Ik wist waar ik terecht kon: Eens"

    quarter = {"from": "2025-01-01", "to": "2025-03-31"}
    body = (await get(scene, await key(scene, "council"), municipality=TOWN, **quarter)).json()
    shown = cells(body, "experience_statements_by_organisation")
    for answer in ("agree", "disagree"):  # 9 and 2: below the threshold of 10
        assert shown[("mee-plus", f"knew_where_to_go:{answer}")]["display"] == "<10"
    assert shown[("mee-plus", "helped_quickly:neutral")]["value"] == 11
    assert cells(body, "experience_scores_by_organisation")[("mee-plus", "high")]["value"] == 11
