"""Intake over HTTP against real PostgreSQL and a real broker: questions, residents, signals, contact."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from aiokafka import ConsumerRecord

from contracts.events import QuestionReceived, SignalRaised
from contracts.topics import QUESTIONS, SIGNALS
from services.kit import access
from services.kit.settings import Settings
from tests.support.harness import RunningService, read_topic, run_service

pytestmark = pytest.mark.integration

AUTH = {"Authorization": "Bearer test-internal-token", "X-Purpose": "notification", "X-Caller": "tests"}


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[RunningService]:
    """Intake, with a staff API key on every request (tests/integration/test_intake_access.py tests the keys)."""
    async with run_service("intake", settings) as service:
        async with service.runtime.db.acquire() as conn:
            key = await access.create_key(conn, "loket-staff", ["staff"])
        service.client.headers["Authorization"] = f"Bearer {key}"
        yield service


def submission(**changes: Any) -> dict[str, Any]:
    """A valid question with a contact of its own (unique e-mail and phone)."""
    tag = uuid.uuid4().hex[:10]
    body: dict[str, Any] = {
        "municipality": "GM0505",
        "life_domains": ["wmo", "youth"],
        "description": f"Ik zoek hulp bij de aanvraag voor begeleiding van mijn zoon {tag}.",
        "preferred_supporter_kind": "any",
        "languages": ["nl"],
        "postcode": "3311",
        "channel": "phone",
        "contact": {
            "name": f"A. de Vries {tag}",
            "email": f"a.devries.{tag}@example.nl",
            "phone": "06" + str(int(tag, 16))[-8:].zfill(8),
        },
        "consent": {"share_with_supporter": True},
    }
    return body | changes


def headers_of(record: ConsumerRecord) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


def with_subject(subject: str) -> Any:
    return lambda records: any(headers_of(r).get("ce_subject") == subject for r in records)


async def submit(intake: RunningService, body: dict[str, Any]) -> str:
    response = await intake.client.post("/api/v1/questions", json=body)
    assert response.status_code == 202, response.text
    question_id: str = response.json()["question_id"]
    return question_id


async def contact_of(intake: RunningService, question_id: str) -> dict[str, Any]:
    response = await intake.client.get(f"/internal/v1/questions/{question_id}/contact", headers=AUTH)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


# --- POST /api/v1/questions ------------------------------------------------------------------------


async def test_question_is_accepted_and_announced_without_personal_data(
    intake: RunningService, settings: Settings
) -> None:
    body = submission()
    response = await intake.client.post("/api/v1/questions", json=body)

    assert response.status_code == 202
    answer = response.json()
    question_id = answer["question_id"]
    assert uuid.UUID(question_id)
    assert answer == {
        "question_id": question_id,
        "status": "received",
        "status_url": f"/api/v1/questions/{question_id}",
    }

    records = await read_topic(settings, QUESTIONS, until=with_subject(question_id))
    [record] = [r for r in records if headers_of(r).get("ce_subject") == question_id]
    headers = headers_of(record)
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_type"] == QuestionReceived.ce_type == "nl.samenloket.question.received.v1"
    assert headers["ce_source"] == "/samenloket/intake"
    assert headers["ce_municipality"] == "GM0505"
    assert headers["content-type"] == "application/json"
    assert uuid.UUID(headers["ce_id"])
    assert datetime.fromisoformat(headers["ce_time"].replace("Z", "+00:00")).tzinfo is not None
    assert record.key == question_id.encode()

    payload = QuestionReceived.model_validate_json(record.value)
    assert payload.question_id == question_id
    assert payload.life_domains == ["wmo", "youth"]
    assert payload.channel == "phone" and payload.referrer is None and payload.postcode == "3311"
    assert payload.resident_ref == (await contact_of(intake, question_id))["resident_ref"]

    everything = record.value + record.key + b"".join(v for _, v in record.headers)
    contact = body["contact"]
    for secret in (contact["name"], contact["email"], contact["phone"], body["description"], "Vries"):
        assert secret.encode() not in everything, secret
    assert set(json.loads(record.value)) <= set(QuestionReceived.model_fields)


async def test_invalid_question_names_each_bad_field(intake: RunningService) -> None:
    body = submission(municipality="GM99", life_domains=["cars"])
    body["contact"]["email"] = "not-an-email"

    response = await intake.client.post("/api/v1/questions", json=body)

    assert response.status_code == 422
    errors = {e["field"]: e["reason"] for e in response.json()["errors"]}
    assert set(errors) == {"municipality", "life_domains.0", "contact.email"}
    assert "GM9999" not in errors["municipality"] and "GM and 4 digits" in errors["municipality"]
    assert "'wmo'" in errors["life_domains.0"] and "'wlz'" in errors["life_domains.0"]
    assert "municipality" in response.json()["detail"]


async def test_a_question_for_a_municipality_the_region_does_not_serve_is_refused_with_its_own_code(
    intake: RunningService,
) -> None:
    """GM0375 (Beverwijk) is a municipality, but not one of Drechtsteden: 422 municipality_not_served."""
    response = await intake.client.post("/api/v1/questions", json=submission(municipality="GM0375"))

    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "municipality" and error["code"] == "municipality_not_served"
    assert "GM0375" in error["reason"] and "GM0505 (Dordrecht)" in error["reason"]
    signal = {"theme": "waiting_times", "municipality": "GM0375", "level": "local", "text": "Lang wachten."}
    response = await intake.client.post("/api/v1/signals", json=signal)
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "municipality_not_served"


async def test_needs_languages_and_a_duo_travel_with_the_question(intake: RunningService, settings: Settings) -> None:
    body = submission(
        languages=["ti", "nl", "ti"],
        needs=["sign_language", "easy_language", "sign_language"],
        wants_duo=True,
        choose_together=True,
    )
    question_id = await submit(intake, body)

    records = await read_topic(settings, QUESTIONS, until=with_subject(question_id))
    [record] = [r for r in records if headers_of(r).get("ce_subject") == question_id]
    payload = QuestionReceived.model_validate_json(record.value)
    assert payload.languages == ["ti", "nl"], "each language once, the first choice first"
    assert payload.needs == ["sign_language", "easy_language"]
    assert payload.wants_duo is True and payload.choose_together is True
    stored = await intake.runtime.db.fetchrow(
        "SELECT languages, needs, wants_duo, choose_together FROM questions WHERE question_id = $1",
        uuid.UUID(question_id),
    )
    assert (stored["languages"], stored["needs"], stored["wants_duo"], stored["choose_together"]) == (
        ["ti", "nl"],
        ["sign_language", "easy_language"],
        True,
        True,
    )


async def test_needs_and_languages_outside_the_code_lists_are_refused_naming_the_allowed_values(
    intake: RunningService,
) -> None:
    body = submission(languages=["nl", "klingon"], needs=["braille"], wants_duo="misschien")

    response = await intake.client.post("/api/v1/questions", json=body)

    assert response.status_code == 422
    errors = {e["field"]: e["reason"] for e in response.json()["errors"]}
    assert set(errors) == {"languages", "needs.0", "wants_duo"}
    assert "klingon" in errors["languages"] and "ngt" in errors["languages"]
    for allowed in ("sign_language", "easy_language", "interpreter", "wheelchair_access"):
        assert allowed in errors["needs.0"]


async def test_missing_and_unknown_fields_are_named(intake: RunningService) -> None:
    body = submission(favourite_colour="blue")
    del body["consent"]

    response = await intake.client.post("/api/v1/questions", json=body)

    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"consent", "favourite_colour"}


async def test_text_over_the_limits_is_refused(intake: RunningService) -> None:
    body = submission(description="x" * 4001)
    too_long_email = "a" * 60 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + "." + "e" * 60 + ".nl"
    body["contact"] |= {"name": "n" * 201, "email": too_long_email, "phone": "0" * 21}

    response = await intake.client.post("/api/v1/questions", json=body)

    assert response.status_code == 422
    errors = {e["field"]: e["reason"] for e in response.json()["errors"]}
    assert set(errors) == {"description", "contact.name", "contact.email", "contact.phone"}
    assert "4000" in errors["description"] and "200" in errors["contact.name"]
    assert "too long" in errors["contact.email"]


async def test_the_chosen_channel_is_returned_with_the_contact(intake: RunningService) -> None:
    by_sms = submission()
    by_sms["contact"]["preferred_channel"] = "sms"
    no_choice = submission()

    assert (await contact_of(intake, await submit(intake, by_sms)))["preferred_channel"] == "sms"
    assert (await contact_of(intake, await submit(intake, no_choice)))["preferred_channel"] is None


@pytest.mark.parametrize(("channel", "missing"), [("email", "email"), ("sms", "phone")])
async def test_a_channel_without_its_address_is_refused(intake: RunningService, channel: str, missing: str) -> None:
    body = submission()
    body["contact"] |= {"preferred_channel": channel, missing: None}

    response = await intake.client.post("/api/v1/questions", json=body)

    assert response.status_code == 422
    errors = {e["field"]: e["reason"] for e in response.json()["errors"]}
    assert set(errors) == {"contact.preferred_channel"}
    assert f"contact.{missing}" in errors["contact.preferred_channel"]


# --- residents -------------------------------------------------------------------------------------


async def test_same_person_keeps_one_resident_ref(intake: RunningService) -> None:
    first = submission()
    email, phone = first["contact"]["email"], first["contact"]["phone"]
    again = submission()
    again["contact"] |= {"email": f"  {email.upper()} ", "phone": "+31 " + phone[1:], "name": "Anna de Vries"}
    by_phone_only = submission()
    by_phone_only["contact"] |= {"email": None, "phone": "0031" + phone[1:]}

    refs = [(await contact_of(intake, await submit(intake, b)))["resident_ref"] for b in (first, again, by_phone_only)]

    assert refs[0] == refs[1] == refs[2]
    latest = await contact_of(intake, await submit(intake, submission(contact=first["contact"])))
    assert latest["resident_ref"] == refs[0]


async def test_conflicting_identifier_gives_a_new_resident(intake: RunningService) -> None:
    first = submission()
    other_phone = submission()
    other_phone["contact"]["email"] = first["contact"]["email"]
    stranger = submission()

    ref_first = (await contact_of(intake, await submit(intake, first)))["resident_ref"]
    ref_conflict = (await contact_of(intake, await submit(intake, other_phone)))["resident_ref"]
    ref_stranger = (await contact_of(intake, await submit(intake, stranger)))["resident_ref"]

    assert len({ref_first, ref_conflict, ref_stranger}) == 3
    # Both keep their own ref afterwards.
    assert (await contact_of(intake, await submit(intake, submission(contact=first["contact"]))))[
        "resident_ref"
    ] == ref_first
    assert (await contact_of(intake, await submit(intake, submission(contact=other_phone["contact"]))))[
        "resident_ref"
    ] == ref_conflict


async def test_personal_data_stays_in_the_residents_table_only_once(intake: RunningService) -> None:
    body = submission()
    question_id = await submit(intake, body)
    row = await intake.runtime.db.fetchrow(
        "SELECT r.name, r.email, r.phone, r.email_index, r.phone_index FROM residents r"
        " JOIN questions q USING (resident_ref) WHERE q.question_id = $1",
        uuid.UUID(question_id),
    )
    assert row is not None
    # Stored sealed with the resident's data key (tests/integration/test_intake_privacy.py checks more).
    for column in ("name", "email", "phone"):
        plain = body["contact"][column]
        assert row[column].startswith("v1.dek.") and plain not in row[column]
    assert len(row["email_index"]) == 64 and body["contact"]["email"] not in row["email_index"]


# --- GET /api/v1/questions/{id} --------------------------------------------------------------------


async def test_status_of_a_new_question(intake: RunningService) -> None:
    body = submission()
    question_id = await submit(intake, body)

    response = await intake.client.get(f"/api/v1/questions/{question_id}")

    assert response.status_code == 200
    view = response.json()
    assert set(view) == {
        "question_id",
        "reference",
        "status",
        "municipality",
        "life_domains",
        "received_at",
        "updated_at",
        "history",
    }
    assert view["question_id"] == question_id
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", view["reference"]), view["reference"]
    assert view["status"] == "received"
    assert view["municipality"] == "GM0505" and view["life_domains"] == ["wmo", "youth"]
    assert view["received_at"] == view["updated_at"]
    [entry] = view["history"]
    assert entry["status"] == "received" and entry["reason"] and entry["at"]
    for secret in (body["contact"]["name"], body["contact"]["email"], body["description"]):
        assert secret not in response.text


async def test_unknown_question_is_404_in_dutch_and_english(intake: RunningService) -> None:
    response = await intake.client.get(f"/api/v1/questions/{uuid.uuid4()}")
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert "niet bekend" in detail and "not known" in detail


async def test_malformed_question_id_is_422(intake: RunningService) -> None:
    response = await intake.client.get("/api/v1/questions/not-a-uuid")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["question_id"]


# --- signals ---------------------------------------------------------------------------------------


async def test_signal_is_stored_with_text_and_announced_without(intake: RunningService, settings: Settings) -> None:
    text = f"Wachtlijsten bij de jeugdhulp worden langer {uuid.uuid4().hex}"
    body = {
        "theme": "waiting_times",
        "life_domain": "youth",
        "municipality": "GM0590",
        "level": "regional",
        "raised_by": "supporter",
        "text": text,
    }

    response = await intake.client.post("/api/v1/signals", json=body)

    assert response.status_code == 202
    signal_id = response.json()["signal_id"]
    assert set(response.json()) == {"signal_id"}
    stored = await intake.runtime.db.fetchval("SELECT text FROM signals WHERE signal_id = $1", uuid.UUID(signal_id))
    vault = intake.runtime.container.intake.vault  # type: ignore[attr-defined]
    assert text not in stored and vault.open_text("signals", "text", signal_id, stored) == text

    records = await read_topic(settings, SIGNALS, until=with_subject(signal_id))
    [record] = [r for r in records if headers_of(r).get("ce_subject") == signal_id]
    assert headers_of(record)["ce_type"] == SignalRaised.ce_type
    assert headers_of(record)["ce_municipality"] == "GM0590"
    assert record.key == signal_id.encode()
    payload = SignalRaised.model_validate_json(record.value)
    assert (payload.theme, payload.life_domain, payload.level, payload.raised_by) == (
        "waiting_times",
        "youth",
        "regional",
        "supporter",
    )
    assert text.encode() not in record.value and b"Wachtlijst" not in record.value
    assert "text" not in json.loads(record.value)


async def test_invalid_signal_names_the_bad_fields(intake: RunningService) -> None:
    body = {"theme": "weather", "municipality": "GM0505", "level": "local", "raised_by": "staff", "text": ""}
    response = await intake.client.post("/api/v1/signals", json=body)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"theme", "text"}


# --- internal contact ------------------------------------------------------------------------------


async def test_contact_for_notifications(intake: RunningService) -> None:
    body = submission(consent={"share_with_supporter": False})
    question_id = await submit(intake, body)

    contact = await contact_of(intake, question_id)

    assert contact["question_id"] == question_id
    assert uuid.UUID(contact["resident_ref"])
    assert {k: contact[k] for k in ("name", "email", "phone")} == body["contact"]
    assert contact["share_with_supporter"] is False


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "test-internal-token"}])
async def test_contact_needs_the_internal_token(intake: RunningService, headers: dict[str, str]) -> None:
    question_id = await submit(intake, submission())
    response = await intake.client.get(f"/internal/v1/questions/{question_id}/contact", headers=headers)
    assert response.status_code == 401
    assert "A. de Vries" not in response.text


async def test_contact_of_unknown_question_is_404(intake: RunningService) -> None:
    response = await intake.client.get(f"/internal/v1/questions/{uuid.uuid4()}/contact", headers=AUTH)
    assert response.status_code == 404
