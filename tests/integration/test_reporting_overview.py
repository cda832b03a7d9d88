"""Reporting against a real broker and database: events in, overview figures out.

The projections are read raw through ``report.overview`` (the figures before suppression; no HTTP
caller gets them raw); the API tests at the end check that the overview answers a report key only,
suppressed, and that the operational ingest endpoint counts events for the internal token and
operators without giving figures. Each test uses its own municipality (or compares region-wide
deltas), so tests do not depend on each other's order even though the module shares one database
and one broker.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY

from contracts.codes import LIFE_DOMAINS
from contracts.envelope import CloudEvent, from_model
from contracts.events import (
    ConsultationRequired,
    Event,
    NotificationSent,
    QuestionReceived,
    QuestionWaiting,
    Reason,
    SignalRaised,
    SupporterAssigned,
)
from contracts.topics import ASSIGNMENTS, QUESTIONS, SIGNALS
from services.kit import access
from services.kit.erasure import TOMBSTONE
from services.kit.region import region_of
from services.kit.settings import Settings
from services.reporting import report
from tests.support.harness import RunningService, eventually, publish, run_service

MUNICIPALITIES = region_of().municipality_names

pytestmark = pytest.mark.integration

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
SOURCES = {QUESTIONS: "/samenloket/intake", SIGNALS: "/samenloket/intake", ASSIGNMENTS: "/samenloket/matching"}
OVERVIEW = "/api/v1/reports/overview"
INGEST = "/api/v1/reports/ingest"


@pytest.fixture(scope="module")
async def reporting(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("reporting", settings) as service:
        yield service


@pytest.fixture(scope="module")
def auth(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.internal_token.get_secret_value()}"}


# --- building and sending events -------------------------------------------------------------------


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def question(qid: str, municipality: str, domains: list[str], at: datetime = T0) -> QuestionReceived:
    return QuestionReceived(
        question_id=qid,
        resident_ref=new_id("r"),
        municipality=municipality,
        life_domains=domains,  # type: ignore[arg-type]
        preferred_supporter_kind="any",
        languages=["nl"],
        postcode="3311",
        channel="web",
        received_at=at,
    )


def assignment(qid: str, municipality: str, minutes: float, received_at: datetime = T0) -> SupporterAssigned:
    return SupporterAssigned(
        question_id=qid,
        assignment_id=new_id("a"),
        supporter_id="s-1",
        organisation="mee-plus",
        supporter_kind="professional",
        municipality=municipality,
        score=0.8,
        received_at=received_at,
        assigned_at=received_at + timedelta(minutes=minutes),
    )


def waiting(qid: str, municipality: str, minutes: float = 1) -> QuestionWaiting:
    return QuestionWaiting(
        question_id=qid, municipality=municipality, eligible_supporters=2, since=T0 + timedelta(minutes=minutes)
    )


def consultation(qid: str, municipality: str, minutes: float = 1) -> ConsultationRequired:
    return ConsultationRequired(
        question_id=qid,
        municipality=municipality,
        reason=Reason(code="no_match", text="Geen ondersteuner voldoet."),
        required_at=T0 + timedelta(minutes=minutes),
    )


def signal(municipality: str) -> SignalRaised:
    return SignalRaised(
        signal_id=new_id("sig"),
        theme="waiting_times",
        life_domain="youth",
        municipality=municipality,
        level="local",
        raised_by="supporter",
        raised_at=T0,
    )


async def send(settings: Settings, *models: Event) -> list[CloudEvent]:
    """Publish each payload in its own envelope on its own topic, in the given order."""
    events = []
    for model in models:
        event = from_model(model, source=SOURCES.get(model.topic, "/samenloket/test"))
        await publish(settings, model.topic, event)
        events.append(event)
    return events


# --- reading the overview --------------------------------------------------------------------------


def domains(**counts: int) -> dict[str, int]:
    base = dict.fromkeys(("wmo", "youth", "participation", "debts", "housing", "education", "health", "wlz"), 0)
    return base | counts


async def get_overview(service: RunningService, municipality: str | None) -> dict[str, Any]:
    """The raw all-time figures of the projections, shaped as the overview API shapes them."""
    figures = await report.overview(service.runtime.db, municipality)
    return {
        "municipality": municipality,
        "questions": {
            "total": figures.total,
            "by_life_domain": {d: figures.by_life_domain.get(d, 0) for d in LIFE_DOMAINS},
        },
        "assigned": figures.assigned,
        "waiting": figures.waiting,
        "consultation": figures.consultation,
        "signals": figures.signals,
        "median_minutes_received_to_assigned": figures.median_minutes_received_to_assigned,
    }


async def key(service: RunningService, scope: str, municipality: str | None = None) -> dict[str, str]:
    async with service.runtime.db.acquire() as conn:
        full = await access.create_key(conn, f"org-{new_id('k')}", [scope], municipality)
    return {"Authorization": f"Bearer {full}"}


def flatten(overview: dict[str, Any]) -> dict[str, Any]:
    """The overview with ``questions.total`` and ``questions.by_life_domain`` lifted to the top."""
    flat = {k: v for k, v in overview.items() if k != "questions"}
    return flat | {"total": overview["questions"]["total"], "by_life_domain": overview["questions"]["by_life_domain"]}


async def settled(service: RunningService, municipality: str | None, **expected: Any) -> dict[str, Any]:
    """Poll the raw overview until it shows ``expected`` (flattened keys); fail showing the last answer."""
    last: dict[str, Any] = {}

    async def matches() -> bool:
        nonlocal last
        last = await get_overview(service, municipality)
        flat = flatten(last)
        return all(flat[key] == value for key, value in expected.items())

    try:
        await eventually(matches, timeout=30)
    except TimeoutError:
        shown = {key: flatten(last).get(key) for key in expected} if last else last
        raise AssertionError(f"overview for {municipality} never became {expected}; last: {shown}") from None
    return last


def duplicates_seen(topic: str) -> float:
    value = REGISTRY.get_sample_value("samenloket_events_duplicate_total", {"service": "reporting", "topic": topic})
    return value or 0.0


# --- tests -----------------------------------------------------------------------------------------


async def test_overview_counts_rise_as_events_arrive(reporting: RunningService, settings: Settings) -> None:
    town = "GM0505"
    q1, q2, q3, q4 = (new_id("q") for _ in range(4))
    await send(
        settings,
        question(q1, town, ["wmo", "youth"]),
        question(q2, town, ["youth"]),
        question(q3, town, ["debts"]),
        question(q4, town, ["wmo"]),
    )
    await settled(
        reporting,
        town,
        total=4,
        by_life_domain=domains(wmo=2, youth=2, debts=1),
        assigned=0,
        waiting=0,
        consultation=0,
        signals=0,
        median_minutes_received_to_assigned=None,
    )

    await send(
        settings, assignment(q1, town, 42), waiting(q2, town), consultation(q3, town), signal(town), signal(town)
    )
    overview = await settled(
        reporting,
        town,
        total=4,
        assigned=1,
        waiting=1,
        consultation=1,
        signals=2,
        median_minutes_received_to_assigned=42.0,
    )
    assert overview["municipality"] == town
    assert overview["questions"]["by_life_domain"] == domains(wmo=2, youth=2, debts=1)


async def test_median_minutes_from_received_to_assigned(reporting: RunningService, settings: Settings) -> None:
    town = "GM0642"
    ids = [new_id("q") for _ in range(5)]
    await send(settings, *(question(qid, town, ["housing"]) for qid in ids))
    await settled(reporting, town, total=5, median_minutes_received_to_assigned=None)

    # 10, 20, 40 and 70 minutes: the median interpolates between 20 and 40. The fifth stays unassigned.
    await send(settings, *(assignment(qid, town, m) for qid, m in zip(ids, (70, 10, 40, 20), strict=False)))
    await settled(reporting, town, total=5, assigned=4, median_minutes_received_to_assigned=30.0)


async def test_region_wide_figures_add_up_the_municipalities(reporting: RunningService, settings: Settings) -> None:
    before = flatten(await get_overview(reporting, None))
    a, b = "GM0590", "GM0610"
    qa1, qa2, qb1 = new_id("q"), new_id("q"), new_id("q")
    await send(
        settings,
        question(qa1, a, ["participation"]),
        question(qa2, a, ["participation", "debts"]),
        question(qb1, b, ["education"]),
        assignment(qa1, a, 15),
        signal(b),
    )
    await settled(reporting, a, total=2, assigned=1, signals=0, by_life_domain=domains(participation=2, debts=1))
    await settled(reporting, b, total=1, assigned=0, signals=1, by_life_domain=domains(education=1))
    region = await settled(
        reporting,
        None,
        total=before["total"] + 3,
        assigned=before["assigned"] + 1,
        signals=before["signals"] + 1,
    )
    assert region["municipality"] is None
    by_domain = region["questions"]["by_life_domain"]
    assert by_domain["participation"] == before["by_life_domain"]["participation"] + 2
    assert by_domain["education"] == before["by_life_domain"]["education"] + 1


async def test_the_same_event_twice_counts_once(reporting: RunningService, settings: Settings) -> None:
    town = "GM0482"
    qid = new_id("q")
    first = await send(settings, question(qid, town, ["wlz"]), assignment(qid, town, 5), signal(town))
    seen = {topic: duplicates_seen(topic) for topic in (QUESTIONS, ASSIGNMENTS, SIGNALS)}
    for event, topic in zip(first, (QUESTIONS, ASSIGNMENTS, SIGNALS), strict=True):
        await publish(settings, topic, event)  # the very same envelope again, as a redelivery would be

    async def all_duplicates_skipped() -> bool:
        return all(duplicates_seen(topic) >= count + 1 for topic, count in seen.items())

    await eventually(all_duplicates_skipped, timeout=30)
    await settled(
        reporting,
        town,
        total=1,
        assigned=1,
        signals=1,
        by_life_domain=domains(wlz=1),
        median_minutes_received_to_assigned=5.0,
    )

    # The same question published again under a new event id is stored, yet still one question.
    again = (await send(settings, question(qid, town, ["wlz"])))[0]

    async def stored() -> bool:
        return bool(await reporting.runtime.db.fetchval("SELECT 1 FROM events WHERE event_id = $1", again.id))

    await eventually(stored, timeout=30)
    await settled(reporting, town, total=1, assigned=1, signals=1, by_life_domain=domains(wlz=1))


async def test_out_of_order_arrival_gives_the_same_figures(reporting: RunningService, settings: Settings) -> None:
    late, in_order = "GM0531", "GM1978"

    # Matching's events arrive before intake's: partial facts, counted but without life domains yet.
    l1, l2, l3 = new_id("q"), new_id("q"), new_id("q")
    await send(settings, assignment(l1, late, 25), waiting(l1, late, 2), consultation(l2, late), waiting(l3, late))
    await settled(reporting, late, total=3, assigned=1, waiting=1, consultation=1, by_life_domain=domains())
    await send(settings, question(l1, late, ["wmo"]), question(l2, late, ["health"]), question(l3, late, ["wmo"]))
    late_figures = await settled(
        reporting, late, total=3, assigned=1, waiting=1, consultation=1, by_life_domain=domains(wmo=2, health=1)
    )

    o1, o2, o3 = new_id("q"), new_id("q"), new_id("q")
    await send(
        settings, question(o1, in_order, ["wmo"]), question(o2, in_order, ["health"]), question(o3, in_order, ["wmo"])
    )
    await settled(reporting, in_order, total=3, by_life_domain=domains(wmo=2, health=1))
    await send(
        settings,
        waiting(o1, in_order, 2),
        assignment(o1, in_order, 25),
        consultation(o2, in_order),
        waiting(o3, in_order),
    )
    in_order_figures = await settled(reporting, in_order, total=3, assigned=1, waiting=1, consultation=1)

    assert late_figures["median_minutes_received_to_assigned"] == 25.0
    assert {**late_figures, "municipality": None} == {**in_order_figures, "municipality": None}


async def test_every_event_is_kept_in_the_event_store(reporting: RunningService, settings: Settings) -> None:
    qid = new_id("q")
    note = NotificationSent(
        notification_id=new_id("n"),
        cause_event_id=new_id("e"),
        question_id=qid,
        recipient_role="resident",
        channel="email",
        template="question_received",
        sent_at=T0,
    )
    received, sent = await send(settings, question(qid, "GM0505", ["youth"]), note)

    async def both_stored() -> list[Any]:
        rows = await reporting.runtime.db.fetch(
            "SELECT event_id, topic, type, subject, municipality, data FROM events WHERE event_id = ANY($1::text[])"
            " ORDER BY topic",
            [received.id, sent.id],
        )
        return rows if len(rows) == 2 else []

    rows = await eventually(both_stored, timeout=30)
    assert isinstance(rows, list)
    stored = {row["type"]: row for row in rows}
    notification = stored[sent.type]
    assert (notification["topic"], notification["subject"]) == ("samenloket.notifications", note.notification_id)
    question_row = stored[received.type]
    assert (question_row["topic"], question_row["subject"], question_row["municipality"]) == (
        "samenloket.questions",
        qid,
        "GM0505",
    )
    # Everything but the pseudonymous resident ref, which reporting never keeps (the tombstone instead).
    assert json.loads(question_row["data"]) == {**received.data, "resident_ref": TOMBSTONE}
    assert received.data["resident_ref"] != TOMBSTONE


async def test_the_overview_needs_a_report_key_and_a_known_municipality(
    reporting: RunningService, auth: dict[str, str]
) -> None:
    client = reporting.client
    assert (await client.get(OVERVIEW)).status_code == 401
    assert (await client.get(OVERVIEW, headers={"Authorization": "Bearer wrong"})).status_code == 401
    assert (await client.get(OVERVIEW, params={"municipality": "GM0505"})).status_code == 401
    # The services' internal token reads no figures about people: it is not a report key.
    assert (await client.get(OVERVIEW, headers=auth)).status_code == 401
    assert (await client.get(OVERVIEW, headers=await key(reporting, "operator"))).status_code == 403

    analyst = await key(reporting, "analyst")
    refused = await client.get(OVERVIEW, params={"municipality": "GM9999"}, headers=analyst)
    assert refused.status_code == 422
    errors = refused.json()["errors"]
    assert [e["field"] for e in errors] == ["municipality"]
    assert all(code in errors[0]["reason"] for code in MUNICIPALITIES)

    answer = await client.get(OVERVIEW, headers=analyst)
    assert answer.status_code == 200, answer.text
    assert answer.json()["threshold"] == settings_threshold(reporting)


def settings_threshold(service: RunningService) -> int:
    return service.runtime.settings.suppression_threshold


async def test_a_small_municipality_is_suppressed_for_every_reader(
    reporting: RunningService, settings: Settings
) -> None:
    town = "GM0610"  # a few questions at most in this module: every figure is below the threshold
    before = flatten(await get_overview(reporting, town))
    ids = [new_id("q") for _ in range(3)]
    await send(settings, *(question(qid, town, ["youth"]) for qid in ids), assignment(ids[0], town, 12))
    raw = await settled(reporting, town, total=before["total"] + 3, assigned=before["assigned"] + 1)
    assert 0 < raw["assigned"] <= raw["questions"]["total"] < settings_threshold(reporting)
    for scope in ("analyst", "council", "municipality"):
        headers = await key(reporting, scope, town if scope == "municipality" else None)
        response = await reporting.client.get(OVERVIEW, params={"municipality": town}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["questions"]["total"] is None and body["assigned"] is None, (scope, body)
        assert body["questions"]["by_life_domain"]["youth"] is None
        assert body["median_minutes_received_to_assigned"] is None
        assert {"questions.total", "assigned", "median_minutes_received_to_assigned"} <= set(body["suppressed"])


# --- the operational ingest endpoint ---------------------------------------------------------------


async def get_ingest(reporting: RunningService, headers: dict[str, str]) -> dict[str, Any]:
    response = await reporting.client.get(INGEST, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def stored(ingest: dict[str, Any], ce_type: str) -> int:
    found = ingest["by_type"].get(ce_type)
    return int(found["events"]) if found else 0


async def test_ingest_counts_events_per_type_for_operators_without_figures(
    reporting: RunningService, settings: Settings, auth: dict[str, str]
) -> None:
    before = await get_ingest(reporting, auth)
    town = "GM0505"
    sent_at = datetime.now(UTC)
    await send(settings, question(new_id("q"), town, ["wmo"]), signal(town), signal(town))

    async def counted() -> dict[str, Any] | None:
        now = await get_ingest(reporting, auth)
        grown = stored(now, QuestionReceived.ce_type) == stored(before, QuestionReceived.ce_type) + 1
        return now if grown and stored(now, SignalRaised.ce_type) == stored(before, SignalRaised.ce_type) + 2 else None

    after = await eventually(counted, timeout=30)
    assert isinstance(after, dict)
    assert after["events"] == before["events"] + 3
    newest = datetime.fromisoformat(after["by_type"][QuestionReceived.ce_type]["newest_event_time"])
    assert newest >= sent_at and datetime.fromisoformat(after["newest_event_time"]) >= newest
    assert datetime.fromisoformat(after["newest_stored_at"]) >= sent_at
    # Counts of events, never figures about people: only type names, counts and times.
    assert set(after) == {"events", "by_type", "newest_event_time", "newest_stored_at"}
    assert all(set(entry) == {"events", "newest_event_time"} for entry in after["by_type"].values())

    # An operator's key reads it too; report keys and others do not, and nobody without a key.
    assert await get_ingest(reporting, await key(reporting, "operator")) == after
    assert (await reporting.client.get(INGEST, headers=await key(reporting, "analyst"))).status_code == 403
    assert (await reporting.client.get(INGEST)).status_code == 401
    assert (await reporting.client.get(INGEST, headers={"Authorization": "Bearer wrong"})).status_code == 401
