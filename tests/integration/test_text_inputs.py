"""Control characters in free text are refused at validation with a 422 naming the field, never an
HTTP 500 from PostgreSQL (which cannot store a NUL): webhook URLs in intake, organisation and
supporter names in matching, and the question and signal texts."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.kit import access
from services.kit.settings import Settings
from tests.support.harness import RunningService, run_service
from tests.support.matching import INTERNAL, supporter_body, uid

pytestmark = pytest.mark.integration

BAD = ["Wijk\x00team", "Wijk\x07team", "Wijk\x1bteam", "Wijk\x7fteam", "Wijk\x85team", "Wijk\ud800team"]


@pytest.fixture(scope="module")
async def matching(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("matching", settings) as svc:
        answer = await svc.client.post(
            "/api/v1/organisations", json={"id": "mee", "name": "MEE Plus"}, headers=INTERNAL
        )
        assert answer.status_code == 201, answer.text
        yield svc


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("intake", settings) as svc:
        yield svc


def send(client: httpx.AsyncClient, method: str, url: str, body: Any, headers: dict[str, str]) -> Any:
    """JSON with every non-ASCII character escaped, as a partner's client may send it (a lone
    surrogate such as \\ud800 can only travel that way)."""
    return client.request(method, url, content=json.dumps(body), headers=headers | {"Content-Type": "application/json"})


def fields(answer: Any) -> list[str]:
    assert answer.status_code == 422, answer.text
    return [e["field"] for e in answer.json()["errors"]]


async def key(intake: RunningService, *scopes: str) -> dict[str, str]:
    async with intake.runtime.db.acquire() as conn:
        made = await access.create_key(conn, f"wijkteam-{uuid.uuid4().hex[:8]}", list(scopes))
    return {"Authorization": f"Bearer {made}"}


@pytest.mark.parametrize("name", [*BAD, "Wijk\nteam", "Wijk\tteam"])
async def test_an_organisation_name_with_control_characters_is_422(matching: RunningService, name: str) -> None:
    answer = await send(matching.client, "POST", "/api/v1/organisations", {"id": uid("org"), "name": name}, INTERNAL)
    assert fields(answer) == ["name"]


@pytest.mark.parametrize("name", [*BAD, "Anna\r\nBcc: iedereen@example.nl"])
async def test_a_supporter_name_with_control_characters_is_422(matching: RunningService, name: str) -> None:
    created = await send(matching.client, "POST", "/api/v1/supporters", supporter_body("GM0505", name=name), INTERNAL)
    assert fields(created) == ["name"]
    good = supporter_body("GM0505")
    assert (await matching.client.post("/api/v1/supporters", json=good, headers=INTERNAL)).status_code == 201
    path = f"/api/v1/supporters/{good['supporter_id']}"
    changed = await send(matching.client, "PUT", path, {"name": name}, INTERNAL)
    assert fields(changed) == ["name"]


async def test_a_code_list_with_a_nul_is_422_naming_the_list(matching: RunningService) -> None:
    body = supporter_body("GM0505", specialisms=["lvb\x00"])
    assert fields(await matching.client.post("/api/v1/supporters", json=body, headers=INTERNAL))[0].startswith(
        "specialisms"
    )


@pytest.mark.parametrize("url", ["https://partner.example/\x00hook", "https://partner.example/ho\x0bok"])
async def test_a_webhook_url_with_control_characters_is_422(intake: RunningService, url: str) -> None:
    answer = await intake.client.put("/api/v1/webhooks", json={"url": url}, headers=await key(intake, "submit"))
    assert fields(answer) == ["url"]


async def test_question_texts_with_control_characters_are_422(intake: RunningService) -> None:
    headers = await key(intake, "submit")
    body = {
        "municipality": "GM0505",
        "life_domains": ["wmo"],
        "description": "Hulp\x00 bij wonen.",
        "postcode": "3311",
        "contact": {"name": "A. de\x00 Vries", "email": "a.devries@example.nl"},
        "consent": {"share_with_supporter": True},
    }
    answer = await intake.client.post("/api/v1/questions", json=body, headers=headers)
    assert sorted(fields(answer)) == ["contact.name", "description"]
    multiline = body | {"description": "Hulp bij wonen.\nEn bij schulden.", "contact": {"name": "A. de Vries"}}
    assert (await intake.client.post("/api/v1/questions", json=multiline, headers=headers)).status_code == 202


async def test_a_signal_text_with_a_nul_is_422(intake: RunningService) -> None:
    headers = await key(intake, "council")
    body = {"theme": "other", "municipality": "GM0505", "level": "local", "text": "Wachtlijst\x00 te lang."}
    assert fields(await intake.client.post("/api/v1/signals", json=body, headers=headers)) == ["text"]
