"""The signal lifecycle over HTTP against real PostgreSQL and a real broker: raising with real keys,
routing to the desk and councils, acknowledging and answering (events on ``samenloket.signals``,
never with text), grouping, and the resident's status link.

Tests share the module's intake and database; each makes organisations of its own and compares only
the signals it raised itself, so the order of tests does not matter.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiokafka import ConsumerRecord

from contracts.events import SignalAcknowledged, SignalAnswered, SignalRaised
from contracts.topics import SIGNALS
from services.intake import keys
from services.kit import access
from services.kit.crypto import KeyRing, context
from services.kit.settings import Settings
from tests.support.harness import RunningService, events_of, read_topic, run_service

pytestmark = pytest.mark.integration

Headers = dict[str, str]


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("intake", settings) as service:
        yield service


def org(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def key_for(intake: RunningService, organisation: str, *scopes: str, municipality: str | None = None) -> Headers:
    async with intake.runtime.db.acquire() as conn:
        key = await access.create_key(conn, organisation, list(scopes), municipality)
    return {"Authorization": f"Bearer {key}"}


def signal(municipality: str = "GM0505", level: str = "local", **changes: Any) -> dict[str, Any]:
    body = {
        "theme": "waiting_times",
        "life_domain": "youth",
        "municipality": municipality,
        "level": level,
        "text": f"Gezinnen wachten maanden op jeugdhulp ({uuid.uuid4().hex[:8]}).",
    }
    return body | changes


async def raise_one(intake: RunningService, headers: Headers, body: dict[str, Any] | None = None) -> str:
    response = await intake.client.post("/api/v1/signals", json=body or signal(), headers=headers)
    assert response.status_code == 202, response.text
    signal_id: str = response.json()["signal_id"]
    return signal_id


async def listed(intake: RunningService, headers: Headers, query: str = "") -> list[dict[str, Any]]:
    response = await intake.client.get(f"/api/v1/signals{query}", headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["signals"]
    return found


def about(signal_id: str, ce_type: str) -> Callable[[list[ConsumerRecord]], bool]:
    return lambda records: any(e.subject == signal_id for e in events_of(records, ce_type))


# --- raising ---------------------------------------------------------------------------------------


async def test_a_council_raises_as_council_and_its_organisation_is_recorded_not_shown(
    intake: RunningService, settings: Settings
) -> None:
    name = org("adviesraad")
    council = await key_for(intake, name, "council")
    body = signal(level="regional")
    signal_id = await raise_one(intake, council, body)

    row = await intake.runtime.db.fetchrow(
        "SELECT raised_by, raised_by_organisation, status, text FROM signals WHERE signal_id = $1", uuid.UUID(signal_id)
    )
    assert row is not None and (row["raised_by"], row["raised_by_organisation"], row["status"]) == (
        "council",
        name,
        "raised",
    )
    assert body["text"] not in row["text"]  # sealed

    records = await read_topic(settings, SIGNALS, until=about(signal_id, SignalRaised.ce_type))
    [event] = [e for e in events_of(records, SignalRaised.ce_type) if e.subject == signal_id]
    assert event.data["raised_by"] == "council" and event.data["level"] == "regional"
    assert "text" not in event.data and name not in str(event.data)

    mine = await intake.client.get(f"/api/v1/signals/{signal_id}", headers=council)
    assert mine.status_code == 200
    view = mine.json()
    assert view["text"] == body["text"] and view["yours"] is True and view["status"] == "raised"
    assert name not in mine.text  # the view says "yours", never whose


@pytest.mark.parametrize(("scope", "claim"), [("council", "staff"), ("submit", "resident"), ("coordinator", "council")])
async def test_a_raised_by_the_key_may_not_claim_is_422(intake: RunningService, scope: str, claim: str) -> None:
    headers = await key_for(intake, org("k"), scope)
    response = await intake.client.post("/api/v1/signals", json=signal(raised_by=claim), headers=headers)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["raised_by"]


async def test_a_claim_the_key_allows_is_kept(intake: RunningService) -> None:
    headers = await key_for(intake, org("loket"), "staff")
    signal_id = await raise_one(intake, headers, signal(raised_by="resident"))
    assert (await intake.client.get(f"/api/v1/signals/{signal_id}", headers=headers)).json()["raised_by"] == "resident"


async def test_raising_needs_a_key_with_a_raising_scope(intake: RunningService) -> None:
    assert (await intake.client.post("/api/v1/signals", json=signal())).status_code == 401
    desk = await key_for(intake, org("gemeente"), "municipality", municipality="GM0505")
    assert (await intake.client.post("/api/v1/signals", json=signal(), headers=desk)).status_code == 403


# --- routing ---------------------------------------------------------------------------------------


async def test_each_key_sees_what_is_routed_to_it(intake: RunningService) -> None:
    wijkteam, other = org("wijkteam"), org("huisarts")
    raiser = await key_for(intake, wijkteam, "submit", "read-own")
    other_raiser = await key_for(intake, other, "staff")
    ids = {
        ("GM0505", "local"): await raise_one(intake, raiser, signal("GM0505", "local")),
        ("GM0505", "regional"): await raise_one(intake, raiser, signal("GM0505", "regional")),
        ("GM0642", "local"): await raise_one(intake, other_raiser, signal("GM0642", "local")),
        ("GM0642", "regional"): await raise_one(intake, other_raiser, signal("GM0642", "regional")),
    }
    ours = set(ids.values())
    expected = {
        "desk GM0505": {ids["GM0505", "local"], ids["GM0505", "regional"]},
        "region desk": ours,
        "council GM0505": {ids["GM0505", "local"], ids["GM0505", "regional"], ids["GM0642", "regional"]},
        "region council": ours,
        "wijkteam": {ids["GM0505", "local"], ids["GM0505", "regional"]},
        "huisarts": {ids["GM0642", "local"], ids["GM0642", "regional"]},
        "third partner": set(),
    }
    keys = {
        "desk GM0505": await key_for(intake, org("gemeente"), "municipality", municipality="GM0505"),
        "region desk": await key_for(intake, org("regio"), "municipality"),
        "council GM0505": await key_for(intake, org("raad"), "council", municipality="GM0505"),
        "region council": await key_for(intake, org("regioraad"), "council"),
        "wijkteam": raiser,
        "huisarts": other_raiser,
        "third partner": await key_for(intake, org("school"), "submit", "read-own"),
    }
    for who, headers in keys.items():
        seen = {s["signal_id"] for s in await listed(intake, headers)} & ours
        assert seen == expected[who], who
        for signal_id in ours:
            response = await intake.client.get(f"/api/v1/signals/{signal_id}", headers=headers)
            assert response.status_code == (200 if signal_id in expected[who] else 404), (who, signal_id)
            if response.status_code == 200:
                assert response.json()["text"].startswith("Gezinnen wachten maanden op jeugdhulp")


async def test_listing_filters_and_refuses_wrong_filters(intake: RunningService) -> None:
    headers = await key_for(intake, org("wijkteam"), "submit")
    local = await raise_one(intake, headers, signal("GM0505", "local", theme="reachability"))
    regional = await raise_one(intake, headers, signal("GM0642", "regional", theme="treatment"))

    assert [s["signal_id"] for s in await listed(intake, headers, "?level=regional")] == [regional]
    assert [s["signal_id"] for s in await listed(intake, headers, "?municipality=GM0505")] == [local]
    assert [s["signal_id"] for s in await listed(intake, headers, "?theme=reachability&status=raised")] == [local]
    assert await listed(intake, headers, "?status=answered") == []
    assert [s["signal_id"] for s in await listed(intake, headers)] == [regional, local]  # newest first

    for query, field in [("?municipality=GM9999", "municipality"), ("?status=closed", "status"), ("?level=x", "level")]:
        response = await intake.client.get(f"/api/v1/signals{query}", headers=headers)
        assert response.status_code == 422, query
        assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_reading_signals_needs_a_reading_key(intake: RunningService) -> None:
    assert (await intake.client.get("/api/v1/signals")).status_code == 401
    analyst = await key_for(intake, org("bi"), "analyst")
    assert (await intake.client.get("/api/v1/signals", headers=analyst)).status_code == 403
    staff = await key_for(intake, org("loket"), "staff")
    assert (await intake.client.get(f"/api/v1/signals/{uuid.uuid4()}", headers=staff)).status_code == 404
    assert (await intake.client.get("/api/v1/signals/not-an-id", headers=staff)).status_code == 422


# --- acknowledging and answering --------------------------------------------------------------------


async def test_the_desk_acknowledges_once_and_answers_once(intake: RunningService, settings: Settings) -> None:
    raiser = await key_for(intake, org("wijkteam"), "submit", "read-own")
    signal_id = await raise_one(intake, raiser, signal("GM0505"))
    desk_org = org("gemeente-dordrecht")
    desk = await key_for(intake, desk_org, "municipality", municipality="GM0505")
    other_desk = await key_for(intake, org("gemeente-zwijndrecht"), "municipality", municipality="GM0642")
    council = await key_for(intake, org("raad"), "council", municipality="GM0505")
    url = f"/api/v1/signals/{signal_id}"

    assert (await intake.client.post(f"{url}/acknowledge", headers=council)).status_code == 403  # scope
    assert (await intake.client.post(f"{url}/acknowledge", headers=other_desk)).status_code == 404
    assert (await intake.client.post(f"{url}/acknowledge")).status_code == 401

    first = await intake.client.post(f"{url}/acknowledge", headers=desk)
    assert first.status_code == 200 and first.json()["status"] == "acknowledged"
    again = await intake.client.post(f"{url}/acknowledge", headers=desk)
    assert again.status_code == 200 and again.json() == first.json()

    for bad in ({"text": ""}, {"text": "x" * 4001}, {"text": "Bel mevrouw, BSN 111222333."}, {}):
        refused = await intake.client.post(f"{url}/answer", json=bad, headers=desk)
        assert refused.status_code == 422, bad
        assert [e["field"] for e in refused.json()["errors"]] == ["text"]
    assert (await intake.client.post(f"{url}/answer", json={"text": "Nee."}, headers=other_desk)).status_code == 404

    answer_text = (
        f"Wij hebben extra geld voor jeugdhulp vrijgemaakt.\n\nVanaf maart gaat dat in. ({uuid.uuid4().hex[:6]})"
    )
    answered = await intake.client.post(f"{url}/answer", json={"text": answer_text}, headers=desk)
    assert answered.status_code == 200, answered.text
    view = answered.json()
    assert view["status"] == "answered" and view["answer"]["text"] == answer_text
    assert view["acknowledged_at"] == first.json()["acknowledged_at"]
    conflict = await intake.client.post(f"{url}/answer", json={"text": "Een ander antwoord."}, headers=desk)
    assert conflict.status_code == 409

    stored = await intake.runtime.db.fetchrow(
        "SELECT answer, answered_by, acknowledged_by FROM signals WHERE signal_id = $1", uuid.UUID(signal_id)
    )
    assert stored is not None and answer_text not in stored["answer"] and stored["answer"].startswith("v1.")
    assert (stored["answered_by"], stored["acknowledged_by"]) == (desk_org, desk_org)

    by_raiser = (await intake.client.get(url, headers=raiser)).json()
    assert by_raiser["answer"]["text"] == answer_text and by_raiser["yours"] is True

    records = await read_topic(settings, SIGNALS, until=about(signal_id, SignalAnswered.ce_type))
    acknowledged = [e for e in events_of(records, SignalAcknowledged.ce_type) if e.subject == signal_id]
    answers = [e for e in events_of(records, SignalAnswered.ce_type) if e.subject == signal_id]
    assert len(acknowledged) == 1 and len(answers) == 1  # the repeated acknowledge and the 409 added nothing
    assert acknowledged[0].data["by_organisation"] == desk_org and acknowledged[0].municipality == "GM0505"
    assert set(answers[0].data) == {"signal_id", "municipality", "by_organisation", "answered_at"}
    mine = [r for r in records if r.key == signal_id.encode()]
    assert all(b"jeugdhulp" not in (r.value or b"") for r in mine)


async def test_answering_an_unread_signal_acknowledges_it_too(intake: RunningService, settings: Settings) -> None:
    raiser = await key_for(intake, org("loket"), "staff")
    signal_id = await raise_one(intake, raiser, signal("GM0642", "regional"))
    region_desk = await key_for(intake, org("regio-loket"), "municipality")

    response = await intake.client.post(
        f"/api/v1/signals/{signal_id}/answer", json={"text": "Dit bespreken wij in de regio."}, headers=region_desk
    )
    assert response.status_code == 200, response.text
    assert response.json()["acknowledged_at"] is not None

    def both(records: list[ConsumerRecord]) -> bool:
        return about(signal_id, SignalAcknowledged.ce_type)(records) and about(signal_id, SignalAnswered.ce_type)(
            records
        )

    records = await read_topic(settings, SIGNALS, until=both)
    mine = [r for r in records if r.key == signal_id.encode()]  # one key, one partition: in order
    steps = [t for r in mine for t in (dict(r.headers)["ce_type"].decode(),) if t != SignalRaised.ce_type]
    assert steps == [SignalAcknowledged.ce_type, SignalAnswered.ce_type]


async def test_a_desk_key_that_is_also_a_council_may_not_answer_another_municipality(intake: RunningService) -> None:
    raiser = await key_for(intake, org("loket"), "staff")
    signal_id = await raise_one(intake, raiser, signal("GM0642", "regional"))
    both = await key_for(intake, org("gemeente"), "municipality", "council", municipality="GM0505")
    assert (await intake.client.get(f"/api/v1/signals/{signal_id}", headers=both)).status_code == 200  # as council
    refused = await intake.client.post(f"/api/v1/signals/{signal_id}/acknowledge", headers=both)
    assert refused.status_code == 403


async def test_key_rotation_seals_answers_again(intake: RunningService) -> None:
    """``samenloket keys rewrap`` knows the answer column: after a rotation no answer stays under the old key."""
    raiser = await key_for(intake, org("loket"), "staff")
    signal_id = await raise_one(intake, raiser, signal("GM0505"))
    desk = await key_for(intake, org("gemeente"), "municipality", municipality="GM0505")
    answer = "Wij passen de regels per 1 april aan."
    assert (
        await intake.client.post(f"/api/v1/signals/{signal_id}/answer", json={"text": answer}, headers=desk)
    ).status_code == 200
    ring = intake.runtime.container.intake.vault.ring  # type: ignore[attr-defined]
    rotated = ring.with_new_key("rotated")
    sql = "SELECT answer FROM signals WHERE signal_id = $1"
    where = context("intake", "signals", "answer", signal_id)
    async with intake.runtime.db.acquire() as conn:
        result = await keys.rewrap(conn, rotated)
        assert result["signals.answer"]["rewrapped"] >= 1 and result["signals.answer"]["failed"] == 0
        sealed = await conn.fetchval(sql, uuid.UUID(signal_id))
        assert rotated.key_id_of(sealed) == "rotated" and rotated.open(sealed, where) == answer
        # Back under the running intake's own key, so the module's other tests still read every signal.
        await keys.rewrap(conn, KeyRing((ring.keys[0], *rotated.keys[:1], *ring.keys[1:])))
        assert ring.open(await conn.fetchval(sql, uuid.UUID(signal_id)), where) == answer


# --- grouping --------------------------------------------------------------------------------------


async def test_groups_show_a_pattern_within_what_the_key_may_see(intake: RunningService) -> None:
    raiser = await key_for(intake, org("mee"), "submit")
    youth = [
        await raise_one(intake, raiser, signal(m)) for m in ("GM0505", "GM0642", "GM0505")
    ]  # waiting_times / youth / local
    reach = await raise_one(intake, raiser, signal("GM0505", theme="reachability", life_domain=None))
    desk = await key_for(intake, org("gemeente"), "municipality")
    await intake.client.post(f"/api/v1/signals/{youth[1]}/answer", json={"text": "Wij kijken ernaar."}, headers=desk)

    response = await intake.client.get("/api/v1/signals/groups", headers=raiser)
    assert response.status_code == 200, response.text
    groups = response.json()["groups"]
    assert [(g["theme"], g["life_domain"], g["level"], g["count"]) for g in groups] == [
        ("waiting_times", "youth", "local", 3),
        ("reachability", None, "local", 1),
    ]
    assert groups[0]["signal_ids"] == youth and groups[0]["municipalities"] == ["GM0505", "GM0642"]
    assert groups[0]["answered"] == 1 and groups[1]["signal_ids"] == [reach]
    assert groups[0]["first_raised_at"] <= groups[0]["last_raised_at"]

    only_gm0642 = (await intake.client.get("/api/v1/signals/groups?municipality=GM0642", headers=raiser)).json()
    assert [(g["count"], g["signal_ids"]) for g in only_gm0642["groups"]] == [(1, [youth[1]])]

    stranger = await key_for(intake, org("school"), "submit")
    assert (await intake.client.get("/api/v1/signals/groups", headers=stranger)).json() == {"groups": []}
    council = await key_for(intake, org("raad"), "council")
    council_groups = (await intake.client.get("/api/v1/signals/groups", headers=council)).json()["groups"]
    assert set(youth) <= {i for g in council_groups for i in g["signal_ids"]}


# --- the resident's status link (the full flow runs in tests/browser/test_signal_pages.py) ---------


async def test_the_form_gives_a_status_link_that_shows_the_answer(intake: RunningService) -> None:
    client = intake.client
    form = await client.get("/signaal")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    text = f"Het loket is nooit open als ik vrij ben ({uuid.uuid4().hex[:6]})."
    posted = await client.post(
        "/signaal",
        data={
            "csrf_token": csrf.group(1),
            "theme": "reachability",
            "municipality": "GM0505",
            "level": "local",
            "raised_by": "resident",
            "text": text,
        },
    )
    assert posted.status_code == 303 and posted.headers["location"] == "/signaal/bedankt"
    assert "samenloket_signaal" in posted.headers["set-cookie"] and "HttpOnly" in posted.headers["set-cookie"]
    thanks = await client.get("/signaal/bedankt")
    link = re.search(r'href="(/signaal/[A-Za-z0-9_-]{43})"', thanks.text)
    assert link is not None, thanks.text
    token = link.group(1).rsplit("/", 1)[1]

    row = await intake.runtime.db.fetchrow(
        "SELECT signal_id::text AS id, raised_by, raised_by_organisation, status_token_sha256 FROM signals"
        " WHERE status_token_sha256 IS NOT NULL ORDER BY raised_at DESC LIMIT 1"
    )
    assert row is not None and row["raised_by"] == "resident" and row["raised_by_organisation"] is None
    assert token not in row["status_token_sha256"]  # only the digest is stored

    status = await client.get(link.group(1))
    assert status.status_code == 200 and "Ontvangen" in status.text and text not in status.text
    assert status.headers["x-robots-tag"].startswith("noindex")

    desk = await key_for(intake, org("gemeente"), "municipality", municipality="GM0505")
    answer = "Het loket is vanaf januari ook op donderdagavond open."
    assert (
        await client.post(f"/api/v1/signals/{row['id']}/answer", json={"text": answer}, headers=desk)
    ).status_code == 200
    answered = await client.get(link.group(1))
    assert "Beantwoord" in answered.text and answer in answered.text

    for wrong in ("/signaal/" + "A" * 43, "/signaal/onbekend"):
        missing = await client.get(wrong)
        assert missing.status_code == 404 and "Deze pagina bestaat niet" in missing.text
