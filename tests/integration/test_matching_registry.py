"""The supporter registry API against real PostgreSQL and a real broker: organisations, supporters,
422s naming the field, keys limited to a municipality, SupporterRegistered/SupporterUpdated, and
the waiting-list pass a new supporter or a raised capacity triggers.

Tests share this module's database: each uses its own ids, and tests about the waiting list each
use a municipality of their own.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from contracts import topics
from contracts.events import QuestionWaiting, SupporterAssigned, SupporterRegistered, SupporterUpdated
from services.kit import access, dutch
from services.kit.settings import Settings
from tests.support.harness import RunningService, publish, run_service
from tests.support.matching import (
    INTERNAL,
    coordinator_key,
    envelope,
    events_about,
    question,
    supporter_body,
    uid,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def matching(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("matching", settings) as svc:
        headers = await coordinator_key(svc)
        for org, name, deciding in (
            ("mee", "MEE Plus", False),
            ("ouderplatform", "Ouderplatform", False),
            ("wijkteam", "Sociaal Wijkteam", True),
        ):
            answer = await svc.client.post(
                "/api/v1/organisations",
                json={"id": org, "name": name, "decides_on_provisions": deciding},
                headers=headers,
            )
            assert answer.status_code == 201, answer.text
        yield svc


@pytest.fixture(scope="module")
async def coordinator(matching: RunningService) -> dict[str, str]:
    """A coordinator of MEE (the organisation of :func:`supporter_body`'s supporters)."""
    return await coordinator_key(matching, organisation="mee")


async def register(svc: RunningService, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    body = supporter_body(**{"municipality": "GM0505", **changes})
    answer = await svc.client.post("/api/v1/supporters", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def fields_of(answer: Any) -> dict[str, str]:
    assert answer.status_code == 422, answer.text
    return {e["field"]: e["reason"] for e in answer.json()["errors"]}


# --- organisations ---------------------------------------------------------------------------------


async def test_organisations_are_listed_and_a_taken_id_is_a_conflict(
    matching: RunningService, coordinator: dict[str, str]
) -> None:
    listed = await matching.client.get("/api/v1/organisations", headers=coordinator)
    assert listed.status_code == 200
    by_id = {o["id"]: o for o in listed.json()}
    assert by_id["wijkteam"] == {"id": "wijkteam", "name": "Sociaal Wijkteam", "decides_on_provisions": True}
    assert by_id["mee"]["decides_on_provisions"] is False

    again = await matching.client.post(
        "/api/v1/organisations", json={"id": "mee", "name": "Nog een MEE"}, headers=coordinator
    )
    assert again.status_code == 409
    bad = await matching.client.post("/api/v1/organisations", json={"id": "mee plus!", "name": ""}, headers=coordinator)
    assert set(fields_of(bad)) == {"id", "name"}


async def test_the_registry_needs_a_coordinator_key(matching: RunningService) -> None:
    assert (await matching.client.get("/api/v1/organisations")).status_code == 401
    wrong = {"Authorization": "Bearer slk_000000000000_" + "x" * 43}
    assert (await matching.client.get("/api/v1/supporters", headers=wrong)).status_code == 401
    async with matching.runtime.db.acquire() as conn:
        partner_key = await access.create_key(conn, "huisarts-dordrecht", ["submit"])
    partner = {"Authorization": f"Bearer {partner_key}"}
    assert (await matching.client.get("/api/v1/supporters", headers=partner)).status_code == 403
    assert (await matching.client.post("/api/v1/supporters", json={}, headers=partner)).status_code == 403
    # Services (and operators' scripts) may use the internal token.
    assert (await matching.client.get("/api/v1/organisations", headers=INTERNAL)).status_code == 200


# --- registering ---------------------------------------------------------------------------------


async def test_registering_a_supporter_announces_the_profile_without_contact_details(
    settings: Settings, matching: RunningService, coordinator: dict[str, str]
) -> None:
    body = supporter_body(
        "GM0505",
        name="Fatma Yilmaz",
        email="fatma@ouderplatform.example",
        kind="experience_expert",
        organisation="ouderplatform",
        municipalities=["GM0505", "GM0642"],
        life_domains=["youth", "education"],
        languages=["nl", "tr"],
        specialisms=["lvb", "youth"],
        experience_themes=["parent_of_child_with_disability"],
        capacity=3,
        postcode="3317 AB",
    )
    ouderplatform = await coordinator_key(matching, organisation="ouderplatform")
    answer = await matching.client.post("/api/v1/supporters", json=body, headers=ouderplatform)
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["supporter_id"] == body["supporter_id"]
    assert created["postcode"] == "3317"
    assert (created["active_cases"], created["availability"], created["active"]) == (0, "active", True)
    assert "email" not in created

    [event] = await events_about(settings, body["supporter_id"], SupporterRegistered.ce_type, topic=topics.SUPPORTERS)
    assert event.source == "/samenloket/matching"
    registered = SupporterRegistered.model_validate(event.data)
    assert registered.kind == "experience_expert" and registered.organisation == "ouderplatform"
    assert registered.municipalities == ["GM0505", "GM0642"]
    assert registered.experience_themes == ["parent_of_child_with_disability"]
    assert (registered.capacity, registered.availability, registered.postcode) == (3, "active", "3317")
    raw = json.dumps(event.data)
    assert "Fatma" not in raw and "fatma@" not in raw

    contact = await matching.client.get(f"/internal/v1/supporters/{body['supporter_id']}/contact", headers=INTERNAL)
    assert contact.json()["email"] == "fatma@ouderplatform.example"
    again = await matching.client.post("/api/v1/supporters", json=body, headers=ouderplatform)
    assert again.status_code == 409


async def test_invalid_supporter_data_is_refused_naming_each_field(
    matching: RunningService, coordinator: dict[str, str]
) -> None:
    body = supporter_body(
        "GM9999",
        kind="doctor",
        life_domains=["wmo", "gardening"],
        languages=["nl", "xx"],
        specialisms=["juggling"],
        experience_themes=["space_travel"],
        capacity=-1,
        postcode="12",
        email="not-an-address",
    )
    fields = fields_of(await matching.client.post("/api/v1/supporters", json=body, headers=coordinator))
    assert set(fields) == {
        "kind",
        "municipalities",
        "life_domains",
        "languages",
        "specialisms",
        "experience_themes",
        "capacity",
        "postcode",
        "email",
    }
    assert "GM9999" in fields["municipalities"] and "GM0505" in fields["municipalities"]
    assert "gardening" in fields["life_domains"] and "wmo" in fields["life_domains"]
    assert "xx" in fields["languages"] and "ngt" in fields["languages"]
    assert "juggling" in fields["specialisms"] and "sign_language" in fields["specialisms"]
    assert "professional" in fields["kind"]

    # (A coordinator's key gives only its own organisation; the internal token may give any known one.)
    unknown_org = supporter_body("GM0505", organisation="nobody")
    fields = fields_of(await matching.client.post("/api/v1/supporters", json=unknown_org, headers=INTERNAL))
    assert "nobody" in fields["organisation"] and "mee" in fields["organisation"]

    today = dutch.today()
    active_with_date = supporter_body("GM0505", paused_until=str(today + timedelta(days=3)))
    fields = fields_of(await matching.client.post("/api/v1/supporters", json=active_with_date, headers=coordinator))
    assert "paused" in fields["paused_until"]
    in_the_past = supporter_body("GM0505", availability="paused", paused_until=str(today))
    fields = fields_of(await matching.client.post("/api/v1/supporters", json=in_the_past, headers=coordinator))
    assert "after today" in fields["paused_until"]


# --- updating ------------------------------------------------------------------------------------


async def test_updating_capacity_and_pausing_announce_what_changed(
    settings: Settings, matching: RunningService, coordinator: dict[str, str]
) -> None:
    created = await register(matching, coordinator, capacity=2)
    sid = created["supporter_id"]
    back_on = dutch.today() + timedelta(days=14)

    answer = await matching.client.put(
        f"/api/v1/supporters/{sid}",
        json={"capacity": 5, "availability": "paused", "paused_until": str(back_on), "languages": ["nl", "ar"]},
        headers=coordinator,
    )
    assert answer.status_code == 200, answer.text
    profile = answer.json()
    assert (profile["capacity"], profile["availability"], profile["active"]) == (5, "paused", False)
    assert profile["paused_until"] == str(back_on) and profile["languages"] == ["nl", "ar"]

    [event] = await events_about(settings, sid, SupporterUpdated.ce_type, topic=topics.SUPPORTERS)
    updated = SupporterUpdated.model_validate(event.data)
    assert set(updated.changed) == {"capacity", "availability", "paused_until", "languages"}
    assert (updated.capacity, updated.availability, updated.paused_until) == (5, "paused", back_on)

    # A paused supporter gets no questions: the SQL guard refuses the booking.
    async with matching.runtime.db.acquire() as conn, conn.transaction():
        from services.matching import store

        assert not await store.book_capacity(conn, sid)

    resumed = await matching.client.put(
        f"/api/v1/supporters/{sid}", json={"availability": "active"}, headers=coordinator
    )
    assert resumed.json()["availability"] == "active" and resumed.json()["paused_until"] is None
    events = await events_about(settings, sid, SupporterUpdated.ce_type, count=2, topic=topics.SUPPORTERS)
    assert set(SupporterUpdated.model_validate(events[1].data).changed) == {"availability", "paused_until"}

    # A change of contact details only is stored, and announced by the field's name (never the value).
    renamed = await matching.client.put(f"/api/v1/supporters/{sid}", json={"name": "Anna Jansen"}, headers=coordinator)
    assert renamed.json()["name"] == "Anna Jansen"


async def test_capacity_never_goes_below_the_active_cases(
    matching: RunningService, coordinator: dict[str, str]
) -> None:
    created = await register(matching, coordinator, capacity=3)
    sid = created["supporter_id"]
    await matching.runtime.db.execute("UPDATE supporters SET active_cases = 2 WHERE id = $1", sid)

    fields = fields_of(
        await matching.client.put(f"/api/v1/supporters/{sid}", json={"capacity": 1}, headers=coordinator)
    )
    assert "2 active" in fields["capacity"]
    assert await matching.runtime.db.fetchval("SELECT capacity FROM supporters WHERE id = $1", sid) == 3
    ok = await matching.client.put(f"/api/v1/supporters/{sid}", json={"capacity": 2}, headers=coordinator)
    assert ok.status_code == 200 and ok.json()["capacity"] == 2

    unknown = await matching.client.put("/api/v1/supporters/nobody", json={"capacity": 2}, headers=coordinator)
    assert unknown.status_code == 404
    extra = await matching.client.put(f"/api/v1/supporters/{sid}", json={"active_cases": 0}, headers=coordinator)
    assert "active_cases" in fields_of(extra)


# --- reading -------------------------------------------------------------------------------------


async def test_supporter_detail_lists_the_open_cases(
    settings: Settings, matching: RunningService, coordinator: dict[str, str]
) -> None:
    created = await register(matching, coordinator, municipalities=["GM0610"], capacity=4)
    sid = created["supporter_id"]
    q = question("GM0610")
    await publish(settings, topics.QUESTIONS, envelope(q))
    [assigned] = await events_about(settings, q.question_id, SupporterAssigned.ce_type)
    assert assigned.data["supporter_id"] == sid

    detail = await matching.client.get(f"/api/v1/supporters/{sid}", headers=coordinator)
    assert detail.status_code == 200
    body = detail.json()
    assert body["active_cases"] == 1
    assert [(c["question_id"], c["status"]) for c in body["open_cases"]] == [(q.question_id, "assigned")]
    assert (await matching.client.get("/api/v1/supporters/nobody", headers=coordinator)).status_code == 404


async def test_a_key_limited_to_a_municipality_sees_and_changes_only_its_supporters(
    matching: RunningService, coordinator: dict[str, str]
) -> None:
    here = await register(matching, coordinator, municipalities=["GM0482"])
    there = await register(matching, coordinator, municipalities=["GM1978"])
    limited = await coordinator_key(matching, municipality="GM0482", organisation="mee")

    listed = await matching.client.get("/api/v1/supporters", headers=limited)
    ids = {s["supporter_id"] for s in listed.json()}
    assert here["supporter_id"] in ids and there["supporter_id"] not in ids
    assert all("GM0482" in s["municipalities"] for s in listed.json())
    other = await matching.client.get("/api/v1/supporters", params={"municipality": "GM1978"}, headers=limited)
    assert other.status_code == 403
    assert (
        await matching.client.get(f"/api/v1/supporters/{there['supporter_id']}", headers=limited)
    ).status_code == 404
    change = await matching.client.put(
        f"/api/v1/supporters/{there['supporter_id']}", json={"capacity": 9}, headers=limited
    )
    assert change.status_code == 404
    leave = await matching.client.put(
        f"/api/v1/supporters/{here['supporter_id']}", json={"municipalities": ["GM1978"]}, headers=limited
    )
    assert "GM0482" in fields_of(leave)["municipalities"]
    ok = await matching.client.put(f"/api/v1/supporters/{here['supporter_id']}", json={"capacity": 3}, headers=limited)
    assert ok.status_code == 200

    elsewhere = supporter_body("GM1978")
    assert "municipalities" in fields_of(
        await matching.client.post("/api/v1/supporters", json=elsewhere, headers=limited)
    )
    organisation = await matching.client.post(
        "/api/v1/organisations", json={"id": uid("org"), "name": "X"}, headers=limited
    )
    assert organisation.status_code == 403


# --- capacity frees: the waiting list gets it ------------------------------------------------------


async def test_a_new_supporter_takes_a_waiting_question_at_once(
    settings: Settings, matching: RunningService, coordinator: dict[str, str]
) -> None:
    full = await register(matching, coordinator, municipalities=["GM0590"], capacity=0)
    q = question("GM0590")
    await publish(settings, topics.QUESTIONS, envelope(q))
    [waiting] = await events_about(settings, q.question_id, QuestionWaiting.ce_type)
    assert waiting.data["eligible_supporters"] == 1

    newcomer = await register(matching, coordinator, municipalities=["GM0590"], capacity=1)
    [assigned] = await events_about(settings, q.question_id, SupporterAssigned.ce_type)
    assert assigned.data["supporter_id"] == newcomer["supporter_id"] != full["supporter_id"]
    db = matching.runtime.db
    assert await db.fetchval("SELECT count(*) FROM waiting WHERE question_id = $1", q.question_id) == 0
    assert await db.fetchval("SELECT active_cases FROM supporters WHERE id = $1", newcomer["supporter_id"]) == 1


async def test_raising_the_capacity_gives_the_place_to_the_oldest_waiting_question(
    settings: Settings, matching: RunningService, coordinator: dict[str, str]
) -> None:
    only = await register(matching, coordinator, municipalities=["GM0531"], capacity=0)
    first, second = question("GM0531"), question("GM0531")
    await publish(settings, topics.QUESTIONS, envelope(first))
    await events_about(settings, first.question_id, QuestionWaiting.ce_type)
    await publish(settings, topics.QUESTIONS, envelope(second))
    await events_about(settings, second.question_id, QuestionWaiting.ce_type)

    raised = await matching.client.put(
        f"/api/v1/supporters/{only['supporter_id']}", json={"capacity": 1}, headers=coordinator
    )
    assert raised.status_code == 200 and raised.json()["active_cases"] == 1
    [assigned] = await events_about(settings, first.question_id, SupporterAssigned.ce_type)
    assert assigned.data["supporter_id"] == only["supporter_id"]
    db = matching.runtime.db
    assert await db.fetchval("SELECT count(*) FROM waiting WHERE question_id = $1", second.question_id) == 1
    assert await db.fetchval("SELECT count(*) FROM assignments WHERE question_id = $1", second.question_id) == 0
