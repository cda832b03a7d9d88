"""The joint consultation's API against real PostgreSQL and a real broker: the queue with live
candidates and their failed rules in Dutch, and assigning by hand (soft rules overridden with a
recorded reason, capacity and independence never).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from contracts import topics
from contracts.events import ConsultationRequired, SupporterAssigned
from services.kit.settings import Settings
from services.matching import store
from tests.support.harness import RunningService, publish, run_service
from tests.support.matching import INTERNAL, coordinator_key, envelope, events_about, question, supporter_body

pytestmark = pytest.mark.integration

REASON = "Een tolk Arabisch gaat mee; de inwoner koos zelf voor deze ondersteuner."


@pytest.fixture(scope="module")
async def matching(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("matching", settings) as svc:
        async with svc.runtime.db.acquire() as conn:
            await store.upsert_organisation(conn, "mee", "MEE Plus", False)
            await store.upsert_organisation(conn, "wijkteam", "Sociaal Wijkteam", True)
        yield svc


@pytest.fixture(scope="module")
async def coordinator(matching: RunningService) -> dict[str, str]:
    return await coordinator_key(matching)


async def register(svc: RunningService, municipality: str, **changes: Any) -> str:
    answer = await svc.client.post("/api/v1/supporters", json=supporter_body(municipality, **changes), headers=INTERNAL)
    assert answer.status_code == 201, answer.text
    supporter_id: str = answer.json()["supporter_id"]
    return supporter_id


async def in_consultation(settings: Settings, svc: RunningService, municipality: str, **changes: Any) -> str:
    q = question(municipality, **changes)
    await publish(settings, topics.QUESTIONS, envelope(q))
    await events_about(settings, q.question_id, ConsultationRequired.ce_type)
    return q.question_id


async def test_the_queue_shows_candidates_with_their_failed_rules_in_dutch(
    settings: Settings, matching: RunningService, coordinator: dict[str, str]
) -> None:
    dutch = await register(matching, "GM0505", name="Bram Visser")
    deciding = await register(matching, "GM0505", organisation="wijkteam", languages=["ar"])
    question_id = await in_consultation(settings, matching, "GM0505", languages=["ar"], life_domains=["wmo", "youth"])

    answer = await matching.client.get("/api/v1/consultations", params={"municipality": "GM0505"}, headers=coordinator)
    assert answer.status_code == 200
    [item] = [c for c in answer.json() if c["question_id"] == question_id]
    assert (item["municipality"], item["languages"], item["life_domains"]) == ("GM0505", ["ar"], ["wmo", "youth"])
    assert item["reason"]["code"] == "no_eligible_supporter"
    by_id = {c["supporter_id"]: c for c in item["candidates"]}
    assert [r["code"] for r in by_id[dutch]["failed_rules"]] == ["language_not_spoken"]
    assert "Arabisch" in by_id[dutch]["failed_rules"][0]["text"]
    assert by_id[dutch]["name"] == "Bram Visser" and by_id[dutch]["eligible"] is False
    assert [r["code"] for r in by_id[deciding]["failed_rules"]] == ["not_independent"]
    assert "onafhankelijk" in by_id[deciding]["failed_rules"][0]["text"]

    assert (await matching.client.get("/api/v1/consultations")).status_code == 401
    bad = await matching.client.get("/api/v1/consultations", params={"municipality": "GM0000"}, headers=coordinator)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "municipality"


async def test_assigning_by_hand_overrides_soft_rules_with_a_recorded_reason(
    settings: Settings, matching: RunningService, coordinator: dict[str, str]
) -> None:
    chosen = await register(matching, "GM0642", languages=["nl"])
    question_id = await in_consultation(settings, matching, "GM0642", languages=["ar"])

    answer = await matching.client.post(
        f"/api/v1/consultations/{question_id}/assign",
        json={"supporter_id": chosen, "reason": REASON},
        headers=coordinator,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["supporter_id"] == chosen and answer.json()["status"] == "assigned"

    [event] = await events_about(settings, question_id, SupporterAssigned.ce_type)
    assigned = SupporterAssigned.model_validate(event.data)
    assert assigned.supporter_id == chosen
    assert assigned.reasons[0].code == "manual_override" and "gezamenlijk overleg" in assigned.reasons[0].text
    assert REASON not in json.dumps(event.data)  # the coordinator's own words stay in matching
    db = matching.runtime.db
    row = await db.fetchrow(
        "SELECT override_reason, override_by, reasons FROM assignments WHERE question_id = $1", question_id
    )
    assert row is not None
    assert row["override_reason"] == REASON and row["override_by"].startswith("regio-overleg/")
    stored = [r["code"] for r in json.loads(row["reasons"])]
    assert stored[:2] == ["manual_override", "language_not_spoken"]  # what was overridden is kept
    assert await db.fetchval("SELECT count(*) FROM consultations WHERE question_id = $1", question_id) == 0
    assert await db.fetchval("SELECT active_cases FROM supporters WHERE id = $1", chosen) == 1
    listed = await matching.client.get("/api/v1/consultations", headers=coordinator)
    assert question_id not in {c["question_id"] for c in listed.json()}

    again = await matching.client.post(
        f"/api/v1/consultations/{question_id}/assign",
        json={"supporter_id": chosen, "reason": REASON},
        headers=coordinator,
    )
    assert again.status_code == 409 and "assigned" in again.json()["detail"]


async def test_capacity_and_independence_are_never_overridden(
    settings: Settings, matching: RunningService, coordinator: dict[str, str]
) -> None:
    full = await register(matching, "GM0590", capacity=0)
    deciding = await register(matching, "GM0590", organisation="wijkteam", languages=["ar"])
    question_id = await in_consultation(settings, matching, "GM0590", languages=["ar"])
    url = f"/api/v1/consultations/{question_id}/assign"

    no_room = await matching.client.post(url, json={"supporter_id": full, "reason": REASON}, headers=coordinator)
    assert no_room.status_code == 409 and "plek" in no_room.json()["detail"]
    dependent = await matching.client.post(url, json={"supporter_id": deciding, "reason": REASON}, headers=coordinator)
    assert dependent.status_code == 409 and "onafhankelijk" in dependent.json()["detail"]
    unknown = await matching.client.post(url, json={"supporter_id": "s-nobody", "reason": REASON}, headers=coordinator)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "supporter_id"
    no_reason = await matching.client.post(url, json={"supporter_id": full}, headers=coordinator)
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    bsn = await matching.client.post(
        url, json={"supporter_id": full, "reason": "Inwoner met BSN 111222333"}, headers=coordinator
    )
    assert bsn.status_code == 422 and bsn.json()["errors"][0]["field"] == "reason"
    db = matching.runtime.db
    assert await db.fetchval("SELECT count(*) FROM consultations WHERE question_id = $1", question_id) == 1
    assert (
        await db.fetchval("SELECT sum(active_cases) FROM supporters WHERE id = ANY($1::text[])", [full, deciding]) == 0
    )
    missing = await matching.client.post(
        "/api/v1/consultations/q-nope/assign", json={"supporter_id": full, "reason": REASON}, headers=coordinator
    )
    assert missing.status_code == 404


async def test_a_key_limited_to_a_municipality_sees_only_its_consultations(
    settings: Settings, matching: RunningService
) -> None:
    here = await in_consultation(settings, matching, "GM0610", languages=["so"])
    there = await in_consultation(settings, matching, "GM0482", languages=["so"])
    somali = await register(matching, "GM0482", languages=["nl"])
    limited = await coordinator_key(matching, municipality="GM0610")

    listed = await matching.client.get("/api/v1/consultations", headers=limited)
    ids = {c["question_id"] for c in listed.json()}
    assert here in ids and there not in ids
    assert (
        await matching.client.get("/api/v1/consultations", params={"municipality": "GM0482"}, headers=limited)
    ).status_code == 403
    other = await matching.client.post(
        f"/api/v1/consultations/{there}/assign", json={"supporter_id": somali, "reason": REASON}, headers=limited
    )
    assert other.status_code == 404
