"""A coordinator of one municipality learns nothing about another municipality's question, against real
PostgreSQL and a real broker (issue 14, row 13).

Every read and write of matching that names a question (the assignment API, the consultation's API,
the ``/overleg`` pages and their forms) checks the municipality first: a question of another
municipality answers exactly as an unknown id does, whatever its status (in the queue, assigned, or
assigned by hand and so out of the queue), and its supporter's name appears nowhere. A coordinator of
the question's own municipality gets the real answers (409 with the status), which shows the test
tells the two apart.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from contracts import topics
from contracts.events import ConsultationRequired, SupporterAssigned
from services.kit.settings import Settings
from services.matching import store
from tests.support.harness import RunningService, publish, run_service
from tests.support.matching import INTERNAL, coordinator_key, envelope, events_about, question, supporter_body

pytestmark = pytest.mark.integration

HERE = "GM0642"  # the questions' municipality
ELSEWHERE = "GM0505"  # the curious coordinator's
REASON = "De inwoner koos in het gesprek zelf voor deze ondersteuner."
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Questions:
    assigned: str  # matched automatically
    waiting_for_consultation: str  # in the queue, no assignment
    chosen_by_hand: str  # left the queue: assigned by hand
    supporter_name: str


@pytest.fixture(scope="module")
async def matching(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("matching", settings) as svc:
        async with svc.runtime.db.acquire() as conn:
            await store.upsert_organisation(conn, "mee", "MEE Plus", False)
        yield svc


@pytest.fixture(scope="module")
async def questions(settings: Settings, matching: RunningService) -> Questions:
    name = f"Zoë Geheim {uuid.uuid4().hex[:6]}"
    body = supporter_body(HERE, name=name, capacity=5)
    registered = await matching.client.post("/api/v1/supporters", json=body, headers=INTERNAL)
    assert registered.status_code == 201, registered.text
    supporter = body["supporter_id"]

    assigned = question(HERE)
    await publish(settings, topics.QUESTIONS, envelope(assigned))
    await events_about(settings, assigned.question_id, SupporterAssigned.ce_type)
    consulted = [question(HERE, languages=["ar"]) for _ in range(2)]
    for q in consulted:
        await publish(settings, topics.QUESTIONS, envelope(q))
        await events_about(settings, q.question_id, ConsultationRequired.ce_type)
    by_hand = consulted[1].question_id
    chosen = await matching.client.post(
        f"/api/v1/consultations/{by_hand}/assign", json={"supporter_id": supporter, "reason": REASON}, headers=INTERNAL
    )
    assert chosen.status_code == 201, chosen.text
    return Questions(assigned.question_id, consulted[0].question_id, by_hand, name)


def same_as_unknown(answer: httpx.Response, unknown: httpx.Response, question_id: str) -> None:
    """``answer`` about ``question_id`` is the answer about an unknown id, to the letter."""
    assert answer.status_code == 404, answer.text
    assert answer.text.replace(question_id, "ID") == unknown.text.replace("q-unknown-0001", "ID")


# --- the API ----------------------------------------------------------------------------------------


async def test_the_assignment_api_answers_another_municipality_as_unknown(
    matching: RunningService, questions: Questions
) -> None:
    elsewhere = await coordinator_key(matching, municipality=ELSEWHERE)
    here = await coordinator_key(matching, municipality=HERE)
    unknown = await matching.client.get("/api/v1/assignments/q-unknown-0001", headers=elsewhere)
    assert unknown.status_code == 404

    for question_id in (questions.assigned, questions.waiting_for_consultation, questions.chosen_by_hand):
        answer = await matching.client.get(f"/api/v1/assignments/{question_id}", headers=elsewhere)
        same_as_unknown(answer, unknown, question_id)
        assert "consultation" not in answer.text and "assigned" not in answer.text
    # The question's own municipality reads it (and the status of one without an assignment).
    own = await matching.client.get(f"/api/v1/assignments/{questions.assigned}", headers=here)
    assert own.status_code == 200 and own.json()["municipality"] == HERE
    queued = await matching.client.get(f"/api/v1/assignments/{questions.waiting_for_consultation}", headers=here)
    assert queued.status_code == 404 and "consultation" in queued.text

    steps: list[tuple[str, dict[str, Any] | None]] = [
        ("accept", None),
        ("decline", {"by": "supporter", "reason_code": "no_time"}),
        ("end", None),
    ]
    for step, body in steps:
        unknown_step = await matching.client.post(
            f"/api/v1/assignments/q-unknown-0001/{step}", json=body, headers=elsewhere
        )
        for question_id in (questions.assigned, questions.chosen_by_hand):
            answer = await matching.client.post(
                f"/api/v1/assignments/{question_id}/{step}", json=body, headers=elsewhere
            )
            same_as_unknown(answer, unknown_step, question_id)
    still = await matching.client.get(f"/api/v1/assignments/{questions.assigned}", headers=here)
    assert still.json()["status"] == "assigned"


async def test_the_consultation_api_answers_another_municipality_as_unknown_whatever_the_status(
    matching: RunningService, questions: Questions
) -> None:
    elsewhere = await coordinator_key(matching, municipality=ELSEWHERE)
    here = await coordinator_key(matching, municipality=HERE)
    supporter = await matching.runtime.db.fetchval(
        "SELECT id FROM supporters WHERE name = $1", questions.supporter_name
    )
    soon = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    writes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "assign", {"supporter_id": supporter, "reason": REASON}),
        ("PUT", "appointment", {"planned_for": soon}),
        ("POST", "appointment/held", None),
        ("PUT", "resident-view", {"text": "Zij wil iemand die Arabisch spreekt."}),
    ]
    for method, step, body in writes:
        unknown = await matching.client.request(
            method, f"/api/v1/consultations/q-unknown-0001/{step}", json=body, headers=elsewhere
        )
        for question_id in (questions.assigned, questions.waiting_for_consultation, questions.chosen_by_hand):
            url = f"/api/v1/consultations/{question_id}/{step}"
            same_as_unknown(
                await matching.client.request(method, url, json=body, headers=elsewhere), unknown, question_id
            )
        # Its own municipality's coordinator learns that the question left the queue, and its status.
        own = await matching.client.request(
            method, f"/api/v1/consultations/{questions.chosen_by_hand}/{step}", json=body, headers=here
        )
        assert own.status_code == 409 and "status: assigned" in own.text, (step, own.text)

    meeting = await matching.runtime.db.fetchval(
        "SELECT count(*) FROM consultation_meetings WHERE question_id = $1", questions.waiting_for_consultation
    )
    assert meeting == 0
    assert await matching.runtime.db.fetchval(
        "SELECT 1 FROM consultations WHERE question_id = $1", questions.waiting_for_consultation
    )


# --- the pages --------------------------------------------------------------------------------------


async def signed_in(svc: RunningService, key_headers: dict[str, str]) -> httpx.AsyncClient:
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=svc.app), base_url="http://matching.test", headers={"Accept": "text/html"}
    )
    login = await client.get("/overleg/inloggen")
    token = CSRF.search(login.text)
    assert token, login.text
    key = key_headers["Authorization"].removeprefix("Bearer ")
    signed = await client.post(
        "/overleg/inloggen", data={"csrf_token": token.group(1), "api_key": key, "terug": "/overleg"}
    )
    assert signed.status_code == 303, signed.text
    return client


async def csrf(client: httpx.AsyncClient) -> str:
    page = await client.get("/overleg")
    token = CSRF.search(page.text)
    assert page.status_code == 200 and token, page.text
    return token.group(1)


async def test_the_pages_show_nothing_of_another_municipality(matching: RunningService, questions: Questions) -> None:
    elsewhere = await signed_in(matching, await coordinator_key(matching, municipality=ELSEWHERE))
    here = await signed_in(matching, await coordinator_key(matching, municipality=HERE))
    try:
        # The note "assigned to ..." after a choice names the supporter only for the question's municipality.
        for question_id in (questions.assigned, questions.chosen_by_hand):
            curious = await elsewhere.get("/overleg", params={"toegewezen": question_id})
            assert curious.status_code == 200 and questions.supporter_name not in curious.text
        own = await here.get("/overleg", params={"toegewezen": questions.chosen_by_hand})
        assert questions.supporter_name in own.text

        unknown = await elsewhere.get("/overleg/vragen/q-unknown-0001")
        assert unknown.status_code == 404
        for question_id in (questions.assigned, questions.waiting_for_consultation, questions.chosen_by_hand):
            page = await elsewhere.get(f"/overleg/vragen/{question_id}")
            assert page.status_code == 404 and questions.supporter_name not in page.text
        assert (await here.get(f"/overleg/vragen/{questions.chosen_by_hand}")).status_code == 409

        supporter = await matching.runtime.db.fetchval(
            "SELECT id FROM supporters WHERE name = $1", questions.supporter_name
        )
        soon = datetime.now(UTC) + timedelta(days=2)
        forms: dict[str, dict[str, str]] = {
            "afspraak": {"datum": soon.strftime("%Y-%m-%d"), "tijd": "10:00"},
            "gesprek": {},
            "inwoner": {"inwoner_wens": "Zij wil iemand die Arabisch spreekt."},
            "kiezen": {"supporter_id": supporter, "reason": REASON},
            "duo": {"duo_beroepskracht": supporter, "duo_partner": supporter, "duo_reden": REASON},
            "toewijzen": {"supporter_id": supporter, "reason": REASON},
        }
        for action, data in forms.items():
            token = await csrf(elsewhere)
            for question_id in (questions.assigned, questions.waiting_for_consultation, questions.chosen_by_hand):
                answer = await elsewhere.post(
                    f"/overleg/vragen/{question_id}/{action}", data={"csrf_token": token, **data}
                )
                assert answer.status_code == 404, (action, answer.status_code)
                assert questions.supporter_name not in answer.text
                assert "status: " not in answer.text and "niet meer in het overleg" not in answer.text, action
            own = await here.post(
                f"/overleg/vragen/{questions.chosen_by_hand}/{action}", data={"csrf_token": await csrf(here), **data}
            )
            assert own.status_code in (409, 422), (action, own.status_code)
    finally:
        await elsewhere.aclose()
        await here.aclose()
    assert await matching.runtime.db.fetchval(
        "SELECT 1 FROM consultations WHERE question_id = $1", questions.waiting_for_consultation
    )
