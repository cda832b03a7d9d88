"""Matching against real PostgreSQL and a real broker: assign, wait, consult, idempotency, HTTP.

Each test uses its own municipality and unique ids, so tests sharing this module's database and
broker never see each other's supporters.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from contracts import topics
from contracts.envelope import CloudEvent, from_model, header_map
from contracts.events import ConsultationRequired, QuestionReceived, QuestionWaiting, SupporterAssigned
from services.kit.settings import Settings
from services.matching import store
from services.matching.domain import SupporterRecord
from tests.support.harness import RunningService, events_of, eventually, publish, read_topic, run_service

pytestmark = pytest.mark.integration

AUTH = {"Authorization": "Bearer test-internal-token"}
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture(scope="module")
async def matching(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("matching", settings) as svc:
        async with svc.runtime.db.acquire() as conn:
            await store.upsert_organisation(conn, "mee", "MEE Plus", False)
            await store.upsert_organisation(conn, "ouderplatform", "Ouderplatform", False)
            await store.upsert_organisation(conn, "wijkteam", "Sociaal Wijkteam Dordrecht", True)
        yield svc


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def supporter(municipality: str, **changes: Any) -> SupporterRecord:
    fields: dict[str, Any] = {
        "id": uid("s"),
        "name": "Anna de Wit",
        "email": "anna@mee.example",
        "kind": "professional",
        "organisation": "mee",
        "municipalities": [municipality],
        "life_domains": ["wmo", "youth"],
        "languages": ["nl"],
        "specialisms": [],
        "capacity": 5,
        "active_cases": 0,
        "postcode": "3311",
        "active": True,
    }
    fields.update(changes)
    return SupporterRecord(**fields)


async def seed(svc: RunningService, *supporters: SupporterRecord) -> None:
    async with svc.runtime.db.acquire() as conn:
        for s in supporters:
            await store.upsert_supporter(conn, s)


def question(municipality: str, **changes: Any) -> QuestionReceived:
    fields: dict[str, Any] = {
        "question_id": uid("q"),
        "resident_ref": uid("r"),
        "municipality": municipality,
        "life_domains": ["wmo"],
        "preferred_supporter_kind": "any",
        "languages": ["nl"],
        "postcode": "3311",
        "channel": "web",
        "referrer": None,
        "received_at": datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
    }
    fields.update(changes)
    return QuestionReceived(**fields)


def envelope(q: QuestionReceived) -> CloudEvent:
    return from_model(q, source="/samenloket/intake", traceparent=TRACEPARENT)


async def outcome_event(settings: Settings, question_id: str, ce_type: str) -> tuple[CloudEvent, dict[str, str], bytes]:
    """The first event of ``ce_type`` about the question on the assignments topic, its headers and key."""
    key = question_id.encode()
    records = await read_topic(settings, topics.ASSIGNMENTS, until=lambda rs: any(r.key == key for r in rs))
    mine = [r for r in records if r.key == key]
    found = [e for e in events_of(mine, ce_type) if e.subject == question_id]
    assert found, f"expected {ce_type} for {question_id}, got {[header_map(r.headers)['ce_type'] for r in mine]}"
    record = next(r for r in mine if header_map(r.headers)["ce_type"] == ce_type)
    return found[0], header_map(record.headers), record.key


async def active_cases(svc: RunningService, supporter_id: str) -> int:
    value: int = await svc.runtime.db.fetchval("SELECT active_cases FROM supporters WHERE id = $1", supporter_id)
    return value


async def test_assigns_the_best_supporter_and_books_capacity(settings: Settings, matching: RunningService) -> None:
    busy = supporter("GM0505", capacity=5, active_cases=4)
    calm = supporter("GM0505", capacity=5, active_cases=0)
    deciding = supporter("GM0505", organisation="wijkteam")
    await seed(matching, busy, calm, deciding)
    q = question("GM0505", reference="K7QM3XPA")

    await publish(settings, topics.QUESTIONS, envelope(q))
    event, headers, key = await outcome_event(settings, q.question_id, SupporterAssigned.ce_type)

    assigned = SupporterAssigned.model_validate(event.data)
    assert assigned.supporter_id == calm.id
    assert assigned.reference == "K7QM3XPA", "the reference travels with the assignment"
    assert assigned.organisation == "mee" and assigned.supporter_kind == "professional"
    assert 0 < assigned.score <= 1
    assert assigned.received_at == q.received_at
    assert assigned.assigned_at >= q.received_at
    assert 1 <= len(assigned.reasons) <= 3
    assert all(re.fullmatch(r"[a-z_]+", r.code) and r.text for r in assigned.reasons)
    assert "domain_coverage" in {r.code for r in assigned.reasons}

    assert key == q.question_id.encode()
    assert headers["ce_specversion"] == "1.0"
    assert uuid.UUID(headers["ce_id"])
    assert headers["ce_source"] == "/samenloket/matching"
    assert headers["ce_type"] == "nl.samenloket.supporter.assigned.v1"
    assert headers["ce_subject"] == q.question_id
    assert headers["ce_municipality"] == "GM0505"
    assert headers["content-type"] == "application/json"
    assert datetime.fromisoformat(headers["ce_time"].replace("Z", "+00:00")).tzinfo is not None
    assert headers["traceparent"].split("-")[1] == TRACEPARENT.split("-")[1]

    assert await active_cases(matching, calm.id) == 1
    assert await active_cases(matching, busy.id) == 4
    assert await active_cases(matching, deciding.id) == 0

    answer = await matching.client.get(f"/api/v1/assignments/{q.question_id}", headers=AUTH)
    assert answer.status_code == 200
    body = answer.json()
    assert body["supporter_id"] == calm.id and body["assignment_id"] == assigned.assignment_id
    assert {r["code"] for r in body["reasons"]} == {
        "continuity",
        "waiting_time",
        "domain_coverage",
        "specialism",
        "language_match",
        "distance",
        "workload",
    }


async def test_question_waits_when_every_eligible_supporter_is_full(
    settings: Settings, matching: RunningService
) -> None:
    full = [supporter("GM0642", capacity=2, active_cases=2) for _ in range(2)]
    unsuitable = supporter("GM0642", languages=["de"])
    await seed(matching, *full, unsuitable)
    q = question("GM0642")

    await publish(settings, topics.QUESTIONS, envelope(q))
    event, headers, _ = await outcome_event(settings, q.question_id, QuestionWaiting.ce_type)

    waiting = QuestionWaiting.model_validate(event.data)
    assert waiting.eligible_supporters == 2
    assert headers["ce_subject"] == q.question_id
    row = await matching.runtime.db.fetchrow("SELECT question FROM waiting WHERE question_id = $1", q.question_id)
    assert row is not None and '"GM0642"' in row["question"]
    assert [await active_cases(matching, s.id) for s in full] == [2, 2]
    assert (
        await matching.runtime.db.fetchval("SELECT count(*) FROM assignments WHERE question_id = $1", q.question_id)
        == 0
    )
    answer = await matching.client.get(f"/api/v1/assignments/{q.question_id}", headers=AUTH)
    assert answer.status_code == 404 and "waiting" in answer.json()["detail"]


async def test_consultation_when_nobody_passes_the_hard_rules(settings: Settings, matching: RunningService) -> None:
    wrong_language = supporter("GM0590", languages=["nl"])
    wijkteam = supporter("GM0590", organisation="wijkteam", languages=["ar"])
    volunteer = supporter(
        "GM0590", kind="volunteer", organisation="ouderplatform", languages=["ar"], life_domains=["wmo"]
    )
    await seed(matching, wrong_language, wijkteam, volunteer)
    q = question("GM0590", languages=["ar"], life_domains=["wmo", "youth"], preferred_supporter_kind="professional")

    await publish(settings, topics.QUESTIONS, envelope(q))
    event, _, _ = await outcome_event(settings, q.question_id, ConsultationRequired.ce_type)

    consultation = ConsultationRequired.model_validate(event.data)
    assert consultation.reason.code == "no_eligible_supporter" and consultation.reason.text
    failed = {c.supporter_id: [r.code for r in c.failed_rules] for c in consultation.candidates}
    assert failed == {
        wrong_language.id: ["language_not_spoken"],
        wijkteam.id: ["not_independent"],
        volunteer.id: ["life_domain_not_covered", "kind_not_chosen"],
    }
    assert all(r.text for c in consultation.candidates for r in c.failed_rules)
    stored = await matching.runtime.db.fetchval(
        "SELECT jsonb_array_length(candidates) FROM consultations WHERE question_id = $1", q.question_id
    )
    assert stored == 3


async def test_redelivery_assigns_once_and_books_once(settings: Settings, matching: RunningService) -> None:
    only = supporter("GM0610", capacity=5)
    await seed(matching, only)
    q = question("GM0610")
    first = envelope(q)
    again_for_same_question = envelope(q)  # a new event id for the same question

    await publish(settings, topics.QUESTIONS, first)
    await publish(settings, topics.QUESTIONS, first)
    await publish(settings, topics.QUESTIONS, again_for_same_question)
    # Same key, same partition, in order: once the last event is in the inbox, all three were handled.
    await eventually(
        lambda: matching.runtime.db.fetchval("SELECT 1 FROM inbox WHERE event_id = $1", again_for_same_question.id)
    )
    await eventually(lambda: matching.runtime.db.fetchval("SELECT count(*) = 0 FROM outbox"))

    db = matching.runtime.db
    assert await db.fetchval("SELECT count(*) FROM assignments WHERE question_id = $1", q.question_id) == 1
    assert await active_cases(matching, only.id) == 1
    key = q.question_id.encode()
    records = await read_topic(settings, topics.ASSIGNMENTS, until=lambda rs: any(r.key == key for r in rs))
    assert len(events_of([r for r in records if r.key == key], SupporterAssigned.ce_type)) == 1


async def test_supporter_contact_is_internal(matching: RunningService) -> None:
    s = supporter("GM0482", name="Bram Visser", email="bram@ouderplatform.example", organisation="ouderplatform")
    await seed(matching, s)

    answer = await matching.client.get(f"/internal/v1/supporters/{s.id}/contact", headers=AUTH)
    assert answer.status_code == 200
    assert answer.json() == {
        "supporter_id": s.id,
        "name": "Bram Visser",
        "email": "bram@ouderplatform.example",
        "organisation": "ouderplatform",
        "organisation_name": "Ouderplatform",
    }
    no_token = await matching.client.get(f"/internal/v1/supporters/{s.id}/contact")
    assert no_token.status_code == 401
    wrong_token = await matching.client.get(
        f"/internal/v1/supporters/{s.id}/contact", headers={"Authorization": "Bearer nope"}
    )
    assert wrong_token.status_code == 401
    unknown = await matching.client.get("/internal/v1/supporters/nobody/contact", headers=AUTH)
    assert unknown.status_code == 404


async def test_organisation_names_are_internal(matching: RunningService) -> None:
    answer = await matching.client.get("/internal/v1/organisations", headers=AUTH)
    assert answer.status_code == 200
    names = {o["id"]: o["name"] for o in answer.json()}
    assert names["mee"] == "MEE Plus" and names["wijkteam"] == "Sociaal Wijkteam Dordrecht"
    assert (await matching.client.get("/internal/v1/organisations")).status_code == 401


async def test_supporter_pool_listing(matching: RunningService) -> None:
    here = supporter("GM0531")
    elsewhere = supporter("GM1978")
    await seed(matching, here, elsewhere)

    answer = await matching.client.get("/api/v1/supporters", params={"municipality": "GM0531"}, headers=AUTH)
    assert answer.status_code == 200
    listed = answer.json()
    assert [s["supporter_id"] for s in listed] == [here.id]
    assert "email" not in listed[0]
    everyone = await matching.client.get("/api/v1/supporters", headers=AUTH)
    assert {here.id, elsewhere.id} <= {s["supporter_id"] for s in everyone.json()}
    bad = await matching.client.get("/api/v1/supporters", params={"municipality": "GM9999"}, headers=AUTH)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "municipality"
    assert (await matching.client.get("/api/v1/supporters")).status_code == 401
    assert (await matching.client.get("/api/v1/assignments/unknown", headers=AUTH)).status_code == 404


async def test_upsert_keeps_the_live_case_count(matching: RunningService) -> None:
    s = supporter("GM1978", capacity=4, active_cases=3)
    await seed(matching, s)
    await seed(matching, SupporterRecord(**{**vars_of(s), "capacity": 6, "active_cases": 0, "name": "Nieuw"}))
    row = await matching.runtime.db.fetchrow("SELECT name, capacity, active_cases FROM supporters WHERE id = $1", s.id)
    assert dict(row) == {"name": "Nieuw", "capacity": 6, "active_cases": 3}
    with pytest.raises(ValueError, match="kind"):
        await seed(matching, supporter("GM1978", kind="doctor"))


def vars_of(s: SupporterRecord) -> dict[str, Any]:
    return {name: getattr(s, name) for name in SupporterRecord.__dataclass_fields__}


async def test_concurrent_bookings_take_the_last_place_once(matching: RunningService) -> None:
    s = supporter("GM1978", capacity=3, active_cases=2)
    await seed(matching, s)

    async def book() -> bool:
        async with matching.runtime.db.acquire() as conn, conn.transaction():
            return await store.book_capacity(conn, s.id)

    results = await asyncio.gather(*(book() for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]
    assert await active_cases(matching, s.id) == 3
