"""Intake's API keys on real infrastructure: authentication, scopes, tenancy, idempotency, staff entry.

Every test makes organisations of its own (unique names), so tests share the module's intake
without depending on their order.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.routing import APIRoute

from services.kit import access
from services.kit.region import region_of
from services.kit.settings import Settings
from services.local.demo.activity import demo_question
from services.local.demo.keys import DEMO_SCOPES
from services.local.demo.region import demo_of
from tests.support.harness import RunningService, run_service

pytestmark = pytest.mark.integration

INTERNAL = {"Authorization": "Bearer test-internal-token"}
NOT_FOUND = "Deze vraag is niet bekend. / This question is not known."


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("intake", settings) as service:
        yield service


# --- helpers --------------------------------------------------------------------------------------


def org(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def new_key(intake: RunningService, organisation: str, *scopes: str, municipality: str | None = None) -> str:
    async with intake.runtime.db.acquire() as conn:
        return await access.create_key(conn, organisation, list(scopes), municipality)


async def key_for(
    intake: RunningService, organisation: str, *scopes: str, municipality: str | None = None
) -> dict[str, str]:
    return {"Authorization": f"Bearer {await new_key(intake, organisation, *scopes, municipality=municipality)}"}


def submission(municipality: str = "GM0505", channel: str = "phone", **changes: Any) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:10]
    postcode = {"GM0505": "3311", "GM0642": "3331"}.get(municipality, "3311")
    body: dict[str, Any] = {
        "municipality": municipality,
        "life_domains": ["wmo"],
        "description": f"Mevrouw zoekt hulp bij haar aanvraag {tag}.",
        "preferred_supporter_kind": "any",
        "languages": ["nl"],
        "postcode": postcode,
        "channel": channel,
        "contact": {"name": f"D. Smit {tag}", "email": f"d.smit.{tag}@example.nl"},
        "consent": {"share_with_supporter": True},
    }
    return body | changes


async def submit(intake: RunningService, headers: dict[str, str], body: dict[str, Any] | None = None) -> str:
    response = await intake.client.post("/api/v1/questions", json=body or submission(), headers=headers)
    assert response.status_code == 202, response.text
    question_id: str = response.json()["question_id"]
    return question_id


async def stored(intake: RunningService, question_id: str) -> Any:
    return await intake.runtime.db.fetchrow(
        "SELECT channel, referrer, municipality, status FROM questions WHERE question_id = $1", uuid.UUID(question_id)
    )


async def listed(intake: RunningService, headers: dict[str, str], **params: str) -> list[str]:
    response = await intake.client.get("/api/v1/questions", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [q["question_id"] for q in response.json()["questions"]]


async def questions_of(intake: RunningService, referrer: str) -> int:
    count: int = await intake.runtime.db.fetchval("SELECT count(*) FROM questions WHERE referrer = $1", referrer)
    return count


def error_fields(response: Any) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


# --- authentication -------------------------------------------------------------------------------

ENDPOINTS = [
    ("POST", "/api/v1/questions"),
    ("GET", "/api/v1/questions"),
    ("GET", "/api/v1/questions/6f1f3c5e-0000-4000-8000-00000000dead"),  # a fixed id: xdist collects alike
    ("POST", "/api/v1/signals"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": "Bearer slk_0123456789ab_" + "a" * 43},  # well-formed, unknown
        {"X-API-Key": "slk_0123456789ab_" + "b" * 43},
        INTERNAL,  # the internal token is not an API key
    ],
    ids=["none", "malformed", "unknown", "unknown-x-api-key", "internal-token"],
)
async def test_no_valid_key_is_401(intake: RunningService, method: str, path: str, headers: dict[str, str]) -> None:
    response = await intake.client.request(method, path, json=submission(), headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert "API-sleutel" in response.json()["detail"]


async def test_a_key_works_as_bearer_and_as_x_api_key(intake: RunningService) -> None:
    key = await new_key(intake, org("wijkteam"), "submit")
    assert (
        await intake.client.post("/api/v1/questions", json=submission(), headers={"X-API-Key": key})
    ).status_code == 202
    bearer = {"Authorization": f"Bearer {key}"}
    assert (await intake.client.post("/api/v1/questions", json=submission(), headers=bearer)).status_code == 202


async def test_a_key_with_a_wrong_secret_is_401(intake: RunningService) -> None:
    key = await new_key(intake, org("wijkteam"), "submit")
    forged = key[: -len("xxxx")] + ("aaaa" if not key.endswith("aaaa") else "bbbb")
    response = await intake.client.post("/api/v1/questions", json=submission(), headers={"X-API-Key": forged})
    assert response.status_code == 401


async def test_a_revoked_key_is_401(intake: RunningService, monkeypatch: pytest.MonkeyPatch) -> None:
    organisation = org("wijkteam")
    key = await new_key(intake, organisation, "submit")
    headers = {"Authorization": f"Bearer {key}"}
    assert (await intake.client.post("/api/v1/questions", json=submission(), headers=headers)).status_code == 202

    async with intake.runtime.db.acquire() as conn:
        assert await access.revoke_key(conn, key.split("_")[1])
        assert not await access.revoke_key(conn, key.split("_")[1]), "revoking twice changes nothing"

    # A fresh key store (another instance, or this one once its cache expired) refuses it at once.
    assert await access.KeyStore(intake.runtime.db).authenticate(key) is None
    # This instance's cache holds a lookup for access.CACHE_SECONDS: move its clock past that.
    later = time.monotonic() + access.CACHE_SECONDS + 1
    monkeypatch.setattr(access, "time", SimpleNamespace(monotonic=lambda: later))
    response = await intake.client.post("/api/v1/questions", json=submission(), headers=headers)
    assert response.status_code == 401
    assert await questions_of(intake, organisation) == 1


async def test_a_key_revoked_before_its_first_use_is_401_at_once(intake: RunningService) -> None:
    key = await new_key(intake, org("wijkteam"), "submit", "read-own")
    async with intake.runtime.db.acquire() as conn:
        await access.revoke_key(conn, key.split("_")[1])
    response = await intake.client.get("/api/v1/questions", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401


# --- scopes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "scopes"),
    [
        ("POST", "/api/v1/questions", ["read-own", "coordinator", "council", "analyst", "privacy-officer", "operator"]),
        ("GET", "/api/v1/questions", ["submit", "coordinator", "council", "analyst", "privacy-officer", "operator"]),
        (
            "GET",
            "/api/v1/questions/{id}",
            ["submit", "coordinator", "council", "analyst", "privacy-officer", "operator"],
        ),
        ("POST", "/api/v1/signals", ["read-own", "analyst", "privacy-officer", "operator"]),
    ],
)
async def test_a_key_without_the_scope_is_403(
    intake: RunningService, method: str, path: str, scopes: list[str]
) -> None:
    question_id = await submit(intake, await key_for(intake, org("loket"), "staff"))
    for scope in scopes:
        headers = await key_for(intake, org("other"), scope)
        body = submission() if "questions" in path else signal()
        response = await intake.client.request(method, path.format(id=question_id), json=body, headers=headers)
        assert response.status_code == 403, (scope, response.text)
        assert "scope" in response.json()["detail"]


def signal(municipality: str = "GM0505") -> dict[str, Any]:
    return {
        "theme": "waiting_times",
        "life_domain": "youth",
        "municipality": municipality,
        "level": "local",
        "text": f"Lange wachttijden bij de jeugdhulp {uuid.uuid4().hex[:6]}.",
    }


@pytest.mark.parametrize("scope", ["staff", "submit", "coordinator", "council"])
async def test_signals_take_staff_partner_coordinator_and_council_keys(intake: RunningService, scope: str) -> None:
    response = await intake.client.post(
        "/api/v1/signals", json=signal(), headers=await key_for(intake, org("s"), scope)
    )
    assert response.status_code == 202, response.text


async def test_a_municipal_key_signals_only_for_its_municipality(intake: RunningService) -> None:
    headers = await key_for(intake, org("gemeente"), "council", municipality="GM0505")
    refused = await intake.client.post("/api/v1/signals", json=signal("GM0642"), headers=headers)
    assert refused.status_code == 403 and "GM0505" in refused.json()["detail"]
    assert (await intake.client.post("/api/v1/signals", json=signal("GM0505"), headers=headers)).status_code == 202


# --- submitting: partner and staff ----------------------------------------------------------------


@pytest.mark.parametrize("channel", ["web", "phone", "walk_in", "partner"])
async def test_a_partner_question_is_channel_partner_referred_by_the_key_organisation(
    intake: RunningService, channel: str
) -> None:
    organisation = org("huisarts")
    question_id = await submit(intake, await key_for(intake, organisation, "submit"), submission(channel=channel))
    row = await stored(intake, question_id)
    assert (row["channel"], row["referrer"]) == ("partner", organisation)


async def test_a_partner_cannot_claim_another_referrer(intake: RunningService) -> None:
    headers = await key_for(intake, org("huisarts"), "submit")
    response = await intake.client.post(
        "/api/v1/questions", json=submission(referrer="wijkteam-zwijndrecht"), headers=headers
    )
    assert response.status_code == 422
    assert error_fields(response) == {"referrer"}
    assert await questions_of(intake, "wijkteam-zwijndrecht") == 0


@pytest.mark.parametrize("channel", ["phone", "walk_in"])
async def test_staff_enter_phone_and_walk_in_questions_without_referrer(intake: RunningService, channel: str) -> None:
    question_id = await submit(intake, await key_for(intake, org("loket"), "staff"), submission(channel=channel))
    row = await stored(intake, question_id)
    assert (row["channel"], row["referrer"]) == (channel, None)


@pytest.mark.parametrize("channel", ["web", "partner"])
async def test_staff_entry_with_another_channel_is_422_naming_channel(intake: RunningService, channel: str) -> None:
    headers = await key_for(intake, org("loket"), "staff")
    response = await intake.client.post("/api/v1/questions", json=submission(channel=channel), headers=headers)
    assert response.status_code == 422, response.text
    assert error_fields(response) == {"channel"}
    assert "walk_in" in response.json()["detail"]


async def test_a_municipal_key_submits_only_for_its_municipality(intake: RunningService) -> None:
    for scope in ("staff", "submit"):
        headers = await key_for(intake, org("dordrecht"), scope, municipality="GM0505")
        refused = await intake.client.post("/api/v1/questions", json=submission("GM0642"), headers=headers)
        assert refused.status_code == 403, refused.text
        assert "GM0505" in refused.json()["detail"] and "gemeente" in refused.json()["detail"]
        await submit(intake, headers, submission("GM0505"))


async def test_the_demo_key_takes_every_demo_question(intake: RunningService) -> None:
    """What `samenloket up --demo` trickles in with its key (scopes DEMO_SCOPES) is accepted."""
    organisation = org("demo-loket")
    headers = await key_for(intake, organisation, *DEMO_SCOPES)
    rng = random.Random(7)
    bodies = [demo_question(rng, demo_of(region_of())) for _ in range(12)]
    ids = [await submit(intake, headers, body) for body in bodies]
    rows = [await stored(intake, qid) for qid in ids]
    for body, row in zip(bodies, rows, strict=True):
        expected = ("partner", organisation) if body["channel"] == "web" else (body["channel"], None)
        assert (row["channel"], row["referrer"]) == expected
    for question_id in ids:
        assert (await intake.client.get(f"/api/v1/questions/{question_id}", headers=headers)).status_code == 200


# --- tenancy: partner A never reads partner B's questions -----------------------------------------

#: Every route of intake that answers something about one or more questions, and how this module
#: tries it with another tenant's key. test_every_question_route_is_covered fails on a new one.
COVERED_ROUTES = {
    ("POST", "/api/v1/questions"),
    ("GET", "/api/v1/questions"),
    ("GET", "/api/v1/questions/{question_id}"),
    ("POST", "/api/v1/questions/{question_id}/withdraw"),
    ("POST", "/api/v1/questions/{question_id}/close"),
    ("POST", "/internal/v1/questions/{question_id}/status-link"),
    ("GET", "/internal/v1/questions/{question_id}/contact"),
    ("POST", "/internal/v1/questions/{question_id}/experience-invitation"),
    ("GET", "/internal/v1/questions/{question_id}/for-supporter"),
    ("GET", "/internal/v1/questions/{question_id}/for-coordinator"),
    ("GET", "/bevestiging/{question_id}"),
}


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute of the app, also those of included routers (no router adds a prefix here)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def test_every_question_route_is_covered(intake: RunningService) -> None:
    found = {
        (method, route.path)
        for route in api_routes(intake.app.routes)
        if "question" in route.path or "bevestiging" in route.path
        for method in route.methods or ()
    }
    assert found == COVERED_ROUTES, "a question route was added or removed: try it in the tenancy tests below"


async def test_partner_a_never_reads_partner_b_questions(intake: RunningService) -> None:
    org_a, org_b = org("partner-a"), org("partner-b")
    a = await key_for(intake, org_a, "submit", "read-own")
    b = await key_for(intake, org_b, "submit", "read-own")
    body_b = submission()
    b_question = await submit(intake, b, body_b)
    a_question = await submit(intake, a)
    secrets = (body_b["contact"]["name"], body_b["contact"]["email"], body_b["description"], b_question)

    # GET one: exactly the answer for an unknown id.
    mine = await intake.client.get(f"/api/v1/questions/{a_question}", headers=a)
    theirs = await intake.client.get(f"/api/v1/questions/{b_question}", headers=a)
    unknown = await intake.client.get(f"/api/v1/questions/{uuid.uuid4()}", headers=a)
    assert mine.status_code == 200
    assert (theirs.status_code, theirs.json()) == (unknown.status_code, unknown.json()) == (404, {"detail": NOT_FOUND})
    assert (await intake.client.get(f"/api/v1/questions/{b_question}", headers=b)).status_code == 200

    # GET list, with and without every filter.
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    for params in (
        {},
        {"status": "received"},
        {"since": since},
        {"status": "received", "since": since, "limit": "200"},
    ):
        seen_by_a = await listed(intake, a, **params)
        assert a_question in seen_by_a and b_question not in seen_by_a, params
        assert b_question in await listed(intake, b, **params)
    response = await intake.client.get("/api/v1/questions", headers=a)
    assert {q["referrer"] for q in response.json()["questions"]} == {org_a}
    for secret in secrets:
        assert secret not in response.text

    # Withdraw: answered as unknown, and B's question is untouched.
    withdraw = await intake.client.post(
        f"/api/v1/questions/{b_question}/withdraw", json={"reason": "Niet meer nodig."}, headers=a
    )
    assert (withdraw.status_code, withdraw.json()) == (404, {"detail": NOT_FOUND})
    assert (await stored(intake, b_question))["status"] == "received"

    # Search by the short reference (as a resident reads it out): only within the key's own questions.
    b_reference = (await intake.client.get(f"/api/v1/questions/{b_question}", headers=b)).json()["reference"]
    spoken = b_reference.lower().replace("-", " ")
    assert await listed(intake, a, reference=spoken) == []
    assert await listed(intake, b, reference=spoken) == [b_question]
    bad = await intake.client.get("/api/v1/questions", params={"reference": "<script>"}, headers=b)
    assert bad.status_code == 422 and "reference" in bad.text

    # Close: staff only; a partner key (even B's own) may not, and B's question is untouched.
    for headers in (a, b):
        refused = await intake.client.post(f"/api/v1/questions/{b_question}/close", headers=headers)
        assert refused.status_code == 403
    assert (await stored(intake, b_question))["status"] == "received"

    # POST with B's idempotency key: A's own key space, never B's answer.
    b_keyed = submission()
    first = await intake.client.post("/api/v1/questions", json=b_keyed, headers=b | {"Idempotency-Key": "shared-1"})
    from_a = await intake.client.post("/api/v1/questions", json=b_keyed, headers=a | {"Idempotency-Key": "shared-1"})
    assert first.status_code == from_a.status_code == 202
    assert first.json()["question_id"] != from_a.json()["question_id"]

    # Internal contact: an API key is never the internal token.
    contact = await intake.client.get(f"/internal/v1/questions/{b_question}/contact", headers=a)
    assert contact.status_code == 401
    invitation = await intake.client.post(f"/internal/v1/questions/{b_question}/experience-invitation", headers=a)
    assert invitation.status_code == 401
    link = await intake.client.post(f"/internal/v1/questions/{b_question}/status-link", headers=a)
    assert link.status_code == 401
    view = await intake.client.get(f"/internal/v1/questions/{b_question}/for-supporter", headers=a)
    assert view.status_code == 401
    coordinator_view = await intake.client.get(f"/internal/v1/questions/{b_question}/for-coordinator", headers=a)
    assert coordinator_view.status_code == 401

    # The resident's confirmation page shows only the reference, nothing of the question.
    page = await intake.client.get(f"/bevestiging/{b_question}", headers=a)
    for secret in (*secrets[:3], body_b["municipality"]):
        assert secret not in page.text

    for answer in (theirs, withdraw, contact):
        for secret in secrets[:3]:
            assert secret not in answer.text


async def test_read_own_does_not_see_questions_without_referrer(intake: RunningService) -> None:
    """Staff-entered questions have no referrer; no partner reads them."""
    staff_question = await submit(intake, await key_for(intake, org("loket"), "staff"))
    partner = await key_for(intake, org("partner"), "read-own")
    assert (await intake.client.get(f"/api/v1/questions/{staff_question}", headers=partner)).status_code == 404
    assert staff_question not in await listed(intake, partner)


async def test_staff_limited_to_gm0505_cannot_read_a_gm0642_question(intake: RunningService) -> None:
    everyone = await key_for(intake, org("regio"), "staff")
    dordrecht = await key_for(intake, org("loket-dordrecht"), "staff", municipality="GM0505")
    zwijndrecht_question = await submit(intake, everyone, submission("GM0642"))
    dordrecht_question = await submit(intake, everyone, submission("GM0505"))

    theirs = await intake.client.get(f"/api/v1/questions/{zwijndrecht_question}", headers=dordrecht)
    assert (theirs.status_code, theirs.json()) == (404, {"detail": NOT_FOUND})
    assert (await intake.client.get(f"/api/v1/questions/{dordrecht_question}", headers=dordrecht)).status_code == 200
    assert (await intake.client.get(f"/api/v1/questions/{zwijndrecht_question}", headers=everyone)).status_code == 200

    response = await intake.client.get("/api/v1/questions", headers=dordrecht)
    municipalities = {q["municipality"] for q in response.json()["questions"]}
    ids = {q["question_id"] for q in response.json()["questions"]}
    assert municipalities == {"GM0505"} and dordrecht_question in ids and zwijndrecht_question not in ids
    withdraw = await intake.client.post(
        f"/api/v1/questions/{zwijndrecht_question}/withdraw", json={"reason": "Dubbel."}, headers=dordrecht
    )
    assert withdraw.status_code == 404
    assert zwijndrecht_question in await listed(intake, everyone)


# --- the listing ----------------------------------------------------------------------------------


async def test_listing_is_newest_first_and_filters(intake: RunningService) -> None:
    organisation = org("lister")
    headers = await key_for(intake, organisation, "submit", "read-own")
    ids = [await submit(intake, headers) for _ in range(3)]
    await intake.runtime.db.execute(
        "UPDATE questions SET status = 'waiting', updated_at = now() + interval '1 minute' WHERE question_id = $1",
        uuid.UUID(ids[0]),
    )

    assert await listed(intake, headers) == [ids[0], ids[2], ids[1]]
    assert await listed(intake, headers, status="waiting") == [ids[0]]
    assert await listed(intake, headers, status="received") == [ids[2], ids[1]]
    assert await listed(intake, headers, limit="1") == [ids[0]]
    in_a_while = (datetime.now(UTC) + timedelta(seconds=30)).isoformat()
    assert await listed(intake, headers, since=in_a_while) == [ids[0]]
    naive_past = (datetime.now(UTC) - timedelta(minutes=5)).replace(tzinfo=None).isoformat()
    assert len(await listed(intake, headers, since=naive_past)) == 3

    response = await intake.client.get("/api/v1/questions", headers=headers)
    first = response.json()["questions"][0]
    assert set(first) == {
        "question_id",
        "reference",
        "status",
        "municipality",
        "life_domains",
        "channel",
        "referrer",
        "received_at",
        "updated_at",
        "status_url",
    }
    assert first["status_url"] == f"/api/v1/questions/{ids[0]}"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"since": "yesterday"}, "since"),
        ({"since": "0001-01-01T00:00:00+01:00"}, "since"),
        ({"limit": "201"}, "limit"),
        ({"limit": "0"}, "limit"),
    ],
)
async def test_bad_listing_parameters_are_422(intake: RunningService, params: dict[str, str], field: str) -> None:
    headers = await key_for(intake, org("lister"), "read-own")
    response = await intake.client.get("/api/v1/questions", params=params, headers=headers)
    assert response.status_code == 422, response.text
    assert error_fields(response) == {field}


# --- Idempotency-Key ------------------------------------------------------------------------------


async def test_same_key_and_body_gives_one_question_and_the_first_answer(intake: RunningService) -> None:
    organisation = org("huisarts")
    headers = await key_for(intake, organisation, "submit") | {"Idempotency-Key": "ref-0001"}
    body = submission()

    first = await intake.client.post("/api/v1/questions", json=body, headers=headers)
    reordered = dict(reversed(list(body.items())))
    again = await intake.client.post("/api/v1/questions", json=reordered, headers=headers)

    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert await questions_of(intake, organisation) == 1
    remembered = await intake.runtime.db.fetchval(
        "SELECT count(*) FROM idempotency_keys WHERE organisation = $1", organisation
    )
    assert remembered == 1


async def test_same_key_with_another_body_is_422_naming_the_header(intake: RunningService) -> None:
    organisation = org("huisarts")
    headers = await key_for(intake, organisation, "submit") | {"Idempotency-Key": "ref-0002"}
    await submit(intake, headers, submission())

    response = await intake.client.post("/api/v1/questions", json=submission(), headers=headers)

    assert response.status_code == 422
    assert error_fields(response) == {"Idempotency-Key"}
    assert "Idempotency-Key" in response.json()["detail"]
    assert await questions_of(intake, organisation) == 1


async def test_the_same_key_value_is_independent_per_organisation(intake: RunningService) -> None:
    one, other = org("huisarts"), org("wijkteam")
    body = submission()
    first = await submit(intake, await key_for(intake, one, "submit") | {"Idempotency-Key": "same"}, body)
    second = await submit(intake, await key_for(intake, other, "submit") | {"Idempotency-Key": "same"}, body)
    assert first != second
    assert await questions_of(intake, one) == await questions_of(intake, other) == 1


async def test_two_keys_of_one_organisation_share_its_idempotency_keys(intake: RunningService) -> None:
    organisation = org("huisarts")
    body = submission()
    first = await submit(intake, await key_for(intake, organisation, "submit") | {"Idempotency-Key": "k1"}, body)
    second = await submit(intake, await key_for(intake, organisation, "submit") | {"Idempotency-Key": "k1"}, body)
    assert first == second and await questions_of(intake, organisation) == 1


async def test_concurrent_requests_with_one_key_create_one_question(intake: RunningService) -> None:
    organisation = org("huisarts")
    headers = await key_for(intake, organisation, "submit") | {"Idempotency-Key": "burst"}
    body = submission()

    responses = await asyncio.gather(
        *(intake.client.post("/api/v1/questions", json=body, headers=headers) for _ in range(6))
    )

    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["question_id"] for r in responses}) == 1
    assert await questions_of(intake, organisation) == 1


async def test_without_the_header_every_post_is_a_new_question(intake: RunningService) -> None:
    organisation = org("huisarts")
    headers = await key_for(intake, organisation, "submit")
    body = submission()
    assert await submit(intake, headers, body) != await submit(intake, headers, body)
    assert await questions_of(intake, organisation) == 2


@pytest.mark.parametrize("value", ["has space", "x" * 101, "ünïcode", "a/b", ""])
async def test_a_malformed_idempotency_key_is_422_naming_it(intake: RunningService, value: str) -> None:
    organisation = org("huisarts")
    headers = await key_for(intake, organisation, "submit")
    response = await intake.client.post(
        "/api/v1/questions",
        json=submission(),
        headers=[*((k.encode(), v.encode()) for k, v in headers.items()), (b"Idempotency-Key", value.encode())],
    )
    assert response.status_code == 422, response.text
    assert error_fields(response) == {"Idempotency-Key"}
    assert await questions_of(intake, organisation) == 0


async def test_a_refused_submission_does_not_use_up_the_idempotency_key(intake: RunningService) -> None:
    organisation = org("loket")
    headers = await key_for(intake, organisation, "staff") | {"Idempotency-Key": "retry-me"}
    assert (
        await intake.client.post("/api/v1/questions", json=submission(channel="web"), headers=headers)
    ).status_code == 422
    question_id = await submit(intake, headers, submission(channel="phone"))
    assert re.fullmatch(r"[0-9a-f-]{36}", question_id)
