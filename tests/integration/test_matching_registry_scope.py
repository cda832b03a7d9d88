"""Coordinator keys bound to their organisation, against real PostgreSQL and a real broker.

A coordinator's key registers, reads, changes and pauses only its own organisation's supporters (the
other organisations' answer 404, as unknown), a key of one municipality gives or takes only that
municipality, no supporter moves to another organisation, and a change of e-mail address is audited
(who, when, which supporter; never the address) and announced as SupporterUpdated without it. An
organisation's coordinators set where escalations of late first contact go.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from contracts import topics
from contracts.events import SupporterUpdated
from services.kit import dutch
from services.kit.settings import Settings
from services.matching import store
from tests.support.harness import RunningService, eventually, run_service
from tests.support.matching import INTERNAL, coordinator_key, events_about, events_so_far, supporter_body

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def matching(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("matching", settings) as svc:
        async with svc.runtime.db.acquire() as conn:
            await store.upsert_organisation(conn, "mee", "MEE Plus", False)
            await store.upsert_organisation(conn, "ouderplatform", "Ouderplatform", False)
        yield svc


@pytest.fixture(scope="module")
async def mee(matching: RunningService) -> dict[str, str]:
    return await coordinator_key(matching, organisation="mee")


@pytest.fixture(scope="module")
async def ouders(matching: RunningService) -> dict[str, str]:
    return await coordinator_key(matching, organisation="ouderplatform")


@pytest.fixture(scope="module")
async def mee_dordrecht(matching: RunningService) -> dict[str, str]:
    return await coordinator_key(matching, municipality="GM0505", organisation="mee")


def key_id(headers: dict[str, str]) -> str:
    return headers["Authorization"].split("_")[1]


def fields_of(answer: Any) -> dict[str, str]:
    assert answer.status_code == 422, answer.text
    return {e["field"]: e["reason"] for e in answer.json()["errors"]}


async def register(svc: RunningService, headers: dict[str, str], **changes: Any) -> str:
    body = supporter_body(**{"municipality": "GM0505", **changes})
    answer = await svc.client.post("/api/v1/supporters", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    supporter_id: str = answer.json()["supporter_id"]
    return supporter_id


async def stored(svc: RunningService, supporter_id: str) -> dict[str, Any] | None:
    row = await svc.runtime.db.fetchrow(
        "SELECT organisation, email, capacity, municipalities, active, paused_until FROM supporters WHERE id = $1",
        supporter_id,
    )
    return dict(row) if row else None


# --- registering ------------------------------------------------------------------------------------


async def test_a_coordinator_registers_supporters_of_their_own_organisation_only(
    matching: RunningService, mee: dict[str, str]
) -> None:
    own = await register(matching, mee)
    assert (await stored(matching, own) or {})["organisation"] == "mee"

    other = supporter_body("GM0505", organisation="ouderplatform")
    fields = fields_of(await matching.client.post("/api/v1/supporters", json=other, headers=mee))
    assert "must be mee" in fields["organisation"]
    assert await stored(matching, other["supporter_id"]) is None

    # The joint consultation's key has no supporters of its own: it registers none.
    overleg = await coordinator_key(matching)
    mine = supporter_body("GM0505")
    assert "organisation" in fields_of(await matching.client.post("/api/v1/supporters", json=mine, headers=overleg))
    # The internal token (operators' scripts) registers for any organisation.
    assert (await matching.client.post("/api/v1/supporters", json=other, headers=INTERNAL)).status_code == 201


async def test_a_key_of_one_municipality_gives_only_that_municipality(
    matching: RunningService, mee: dict[str, str], mee_dordrecht: dict[str, str]
) -> None:
    await register(matching, mee_dordrecht, municipalities=["GM0505"])
    for municipalities in (["GM0505", "GM0642"], ["GM0642"]):
        body = supporter_body("GM0505", municipalities=municipalities)
        fields = fields_of(await matching.client.post("/api/v1/supporters", json=body, headers=mee_dordrecht))
        assert "GM0505 only" in fields["municipalities"]

    both = await register(matching, mee, municipalities=["GM0505", "GM0642"])
    take = await matching.client.put(
        f"/api/v1/supporters/{both}", json={"municipalities": ["GM0505"]}, headers=mee_dordrecht
    )
    assert "GM0642" in fields_of(take)["municipalities"]
    wider = {"municipalities": ["GM0505", "GM0642", "GM0590"]}
    give = await matching.client.put(f"/api/v1/supporters/{both}", json=wider, headers=mee_dordrecht)
    assert "GM0590" in fields_of(give)["municipalities"]
    assert (await stored(matching, both) or {})["municipalities"] == ["GM0505", "GM0642"]

    ok = await matching.client.put(f"/api/v1/supporters/{both}", json={"capacity": 4}, headers=mee_dordrecht)
    assert ok.status_code == 200 and ok.json()["capacity"] == 4
    # The organisation's key without a municipality may change the municipalities.
    wide = await matching.client.put(f"/api/v1/supporters/{both}", json=wider, headers=mee)
    assert wide.status_code == 200 and wide.json()["municipalities"] == ["GM0505", "GM0642", "GM0590"]


# --- another organisation's supporters are unknown -------------------------------------------------------


async def test_another_organisations_supporter_is_unknown_to_the_key(
    matching: RunningService, mee: dict[str, str], ouders: dict[str, str]
) -> None:
    theirs = await register(matching, ouders, organisation="ouderplatform", email="fatma@ouders.example", capacity=2)
    before = await stored(matching, theirs)
    back_on = str(dutch.today() + timedelta(days=7))

    assert (await matching.client.get(f"/api/v1/supporters/{theirs}", headers=mee)).status_code == 404
    assert (await matching.client.get(f"/api/v1/supporters/{theirs}/audit", headers=mee)).status_code == 404
    for change in (
        {"capacity": 9},
        {"email": "attacker@example.org"},
        {"municipalities": ["GM1978"]},
        {"availability": "paused", "paused_until": back_on},
        {"availability": "paused"},
        {"organisation": "mee"},
    ):
        answer = await matching.client.put(f"/api/v1/supporters/{theirs}", json=change, headers=mee)
        assert answer.status_code == 404, (change, answer.text)
        assert answer.json()["detail"] == f"Ondersteuner {theirs} is onbekend."
    assert await stored(matching, theirs) == before

    listed = await matching.client.get("/api/v1/supporters", headers=mee)
    assert listed.status_code == 200 and listed.json()
    assert {s["organisation"] for s in listed.json()} == {"mee"}
    assert theirs in {
        s["supporter_id"] for s in (await matching.client.get("/api/v1/supporters", headers=ouders)).json()
    }
    assert (await matching.client.get(f"/api/v1/supporters/{theirs}", headers=INTERNAL)).status_code == 200


async def test_moving_a_supporter_to_another_organisation_is_refused(
    matching: RunningService, mee: dict[str, str]
) -> None:
    sid = await register(matching, mee)
    for headers in (mee, INTERNAL):
        answer = await matching.client.put(
            f"/api/v1/supporters/{sid}", json={"organisation": "ouderplatform"}, headers=headers
        )
        assert "cannot move to another organisation" in fields_of(answer)["organisation"]
    assert (await stored(matching, sid) or {})["organisation"] == "mee"
    same = await matching.client.put(
        f"/api/v1/supporters/{sid}", json={"organisation": "mee", "capacity": 3}, headers=mee
    )
    assert same.status_code == 200 and same.json()["organisation"] == "mee"


# --- what the own organisation's key may do, audited -----------------------------------------------------


async def test_the_own_organisation_changes_pauses_stops_and_resumes_its_supporters(
    settings: Settings, matching: RunningService, mee: dict[str, str]
) -> None:
    sid = await register(matching, mee, capacity=2)
    back_on = dutch.today() + timedelta(days=10)
    steps: list[tuple[dict[str, Any], set[str]]] = [
        ({"capacity": 5, "languages": ["nl", "ar"]}, {"capacity", "languages"}),
        ({"availability": "paused", "paused_until": str(back_on)}, {"availability", "paused_until"}),
        ({"availability": "paused"}, {"paused_until"}),  # stopped: paused without an end date
        ({"availability": "active"}, {"availability"}),
    ]
    for change, changed in steps:
        answer = await matching.client.put(f"/api/v1/supporters/{sid}", json=change, headers=mee)
        assert answer.status_code == 200, answer.text
        entries = (await matching.client.get(f"/api/v1/supporters/{sid}/audit", headers=mee)).json()
        assert entries[0]["action"] == "changed" and set(entries[0]["fields"]) == changed
    assert (await stored(matching, sid) or {})["active"] is True

    events = await events_about(settings, sid, SupporterUpdated.ce_type, count=4, topic=topics.SUPPORTERS)
    assert [set(SupporterUpdated.model_validate(e.data).changed) for e in events] == [c for _, c in steps]
    audit = (await matching.client.get(f"/api/v1/supporters/{sid}/audit", headers=mee)).json()
    assert [e["action"] for e in audit] == ["changed"] * 4 + ["registered"]
    assert {e["actor"] for e in audit} == {f"mee/{key_id(mee)}"}


async def test_an_email_change_is_audited_and_announced_without_the_address(
    settings: Settings, matching: RunningService, mee: dict[str, str]
) -> None:
    sid = await register(matching, mee, email="anna.oud@mee.example")
    answer = await matching.client.put(
        f"/api/v1/supporters/{sid}", json={"email": "anna.nieuw@mee.example"}, headers=mee
    )
    assert answer.status_code == 200 and "email" not in answer.json()

    [event] = await events_about(settings, sid, SupporterUpdated.ce_type, topic=topics.SUPPORTERS)
    assert SupporterUpdated.model_validate(event.data).changed == ["email"]
    raw = json.dumps(vars(event), default=str)  # payload and every attribute
    assert "anna.nieuw" not in raw and "anna.oud" not in raw and "@" not in raw

    [latest, first] = (await matching.client.get(f"/api/v1/supporters/{sid}/audit", headers=mee)).json()
    assert (latest["action"], latest["fields"], latest["actor"]) == ("changed", ["email"], f"mee/{key_id(mee)}")
    assert latest["at"] >= first["at"] and first["action"] == "registered"
    rows = await matching.runtime.db.fetch("SELECT * FROM supporter_audit WHERE supporter_id = $1", sid)
    assert "anna." not in repr([dict(r) for r in rows])

    contact = await matching.client.get(f"/internal/v1/supporters/{sid}/contact", headers=INTERNAL)
    assert contact.json()["email"] == "anna.nieuw@mee.example"

    # A new name only: audited, announced by the field's name (notifications forgets its cached contact).
    renamed = await matching.client.put(f"/api/v1/supporters/{sid}", json={"name": "Anna Jansen"}, headers=mee)
    assert renamed.status_code == 200
    [latest, *_] = (await matching.client.get(f"/api/v1/supporters/{sid}/audit", headers=mee)).json()
    assert latest["fields"] == ["name"]
    await eventually(lambda: matching.runtime.db.fetchval("SELECT count(*) = 0 FROM outbox"))
    updates = await events_so_far(settings, sid, SupporterUpdated.ce_type, topic=topics.SUPPORTERS)
    assert [e.data["changed"] for e in updates] == [["email"], ["name"]]
    assert "Jansen" not in repr([e.data for e in updates])


# --- the organisation's coordinator address ---------------------------------------------------------


async def test_an_organisation_sets_where_escalations_go(
    matching: RunningService, mee: dict[str, str], ouders: dict[str, str], mee_dordrecht: dict[str, str]
) -> None:
    path = "/api/v1/organisations/mee/coordinator"
    version = await matching.runtime.db.fetchval("SELECT version FROM pool_version")
    answer = await matching.client.put(path, json={"coordinator_email": "coordinatie@mee.example"}, headers=mee)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"organisation": "mee", "name": "MEE Plus", "coordinator_email": "coordinatie@mee.example"}
    assert (await matching.client.get(path, headers=mee)).json()["coordinator_email"] == "coordinatie@mee.example"
    # Not a change of the pool: the instances keep their supporter pool in memory.
    assert await matching.runtime.db.fetchval("SELECT version FROM pool_version") == version

    internal = await matching.client.get("/internal/v1/organisations/mee/coordinator", headers=INTERNAL)
    assert internal.json() == {
        "organisation": "mee",
        "name": "MEE Plus",
        "coordinator_email": "coordinatie@mee.example",
    }
    assert (await matching.client.get("/internal/v1/organisations/mee/coordinator")).status_code == 401
    assert (
        await matching.client.get("/internal/v1/organisations/nobody/coordinator", headers=INTERNAL)
    ).status_code == 404

    # Another organisation's key: unknown. A key of one municipality: not for the whole organisation.
    assert (await matching.client.get(path, headers=ouders)).status_code == 404
    assert (
        await matching.client.put(path, json={"coordinator_email": "x@ouders.example"}, headers=ouders)
    ).status_code == 404
    assert (
        await matching.client.put(path, json={"coordinator_email": "x@mee.example"}, headers=mee_dordrecht)
    ).status_code == 403
    assert "coordinator_email" in fields_of(
        await matching.client.put(path, json={"coordinator_email": "nee"}, headers=mee)
    )
    listed = (await matching.client.get("/api/v1/organisations", headers=mee)).json()
    assert all("coordinator_email" not in o for o in listed)

    cleared = await matching.client.put(path, json={"coordinator_email": None}, headers=mee)
    assert cleared.json()["coordinator_email"] is None
    unknown = await matching.client.put(
        "/api/v1/organisations/nobody/coordinator", json={"coordinator_email": None}, headers=INTERNAL
    )
    assert unknown.status_code == 404
