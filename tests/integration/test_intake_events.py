"""Intake's consumers against a real broker and database: inbound referrals and status events."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from contracts.envelope import encode, from_model
from contracts.events import (
    ConsultationRequired,
    QuestionReceived,
    QuestionWaiting,
    Reason,
    ReferralSubmitted,
    SupporterAssigned,
)
from contracts.topics import ASSIGNMENTS, QUESTIONS, REFERRALS_INBOUND, dlq
from services.kit import access
from services.kit.settings import Settings
from tests.support.harness import RunningService, eventually, publish, publish_raw, read_topic, run_service

pytestmark = pytest.mark.integration

PARTNER = "/partners/wijkteam-dordrecht"
MATCHING = "/samenloket/matching"


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[RunningService]:
    """Intake, with a staff API key on every request (tests/integration/test_intake_access.py tests the keys)."""
    async with run_service("intake", settings) as service:
        async with service.runtime.db.acquire() as conn:
            key = await access.create_key(conn, "loket-staff", ["staff"])
        service.client.headers["Authorization"] = f"Bearer {key}"
        yield service


def referral(partner_reference: str | None = None, **changes: Any) -> ReferralSubmitted:
    tag = uuid.uuid4().hex[:10]
    fields: dict[str, Any] = {
        "municipality": "GM0642",
        "life_domains": ["debts"],
        "description": f"Meneer heeft hulp nodig bij zijn schulden {tag}.",
        "postcode": "3331",
        "contact": {"name": f"B. Jansen {tag}", "email": f"b.jansen.{tag}@example.nl"},
        "consent": {"share_with_supporter": True},
        "partner_reference": partner_reference or f"WT-{tag}",
        "referrer": "wijkteam-zwijndrecht",
    }
    return ReferralSubmitted.model_validate(fields | changes)


async def questions_of_referral(intake: RunningService, r: ReferralSubmitted) -> list[Any]:
    return await intake.runtime.db.fetch(
        "SELECT question_id, channel, referrer, resident_ref FROM questions"
        " WHERE referrer = $1 AND partner_reference = $2",
        r.referrer,
        r.partner_reference,
    )


async def handled(intake: RunningService, *event_ids: str) -> bool:
    count = await intake.runtime.db.fetchval("SELECT count(*) FROM inbox WHERE event_id = ANY($1)", list(event_ids))
    return bool(count == len(event_ids))


async def new_question(intake: RunningService) -> str:
    body = referral().model_dump(mode="json", exclude={"partner_reference", "referrer"}) | {"channel": "phone"}
    response = await intake.client.post("/api/v1/questions", json=body)
    assert response.status_code == 202, response.text
    question_id: str = response.json()["question_id"]
    return question_id


async def status_of(intake: RunningService, question_id: str) -> dict[str, Any]:
    response = await intake.client.get(f"/api/v1/questions/{question_id}")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def assigned(question_id: str, **changes: Any) -> SupporterAssigned:
    now = datetime.now(UTC)
    fields: dict[str, Any] = {
        "question_id": question_id,
        "assignment_id": str(uuid.uuid4()),
        "supporter_id": str(uuid.uuid4()),
        "organisation": "mee-plus",
        "supporter_kind": "professional",
        "municipality": "GM0642",
        "score": 0.9,
        "received_at": now,
        "assigned_at": now,
    }
    return SupporterAssigned.model_validate(fields | changes)


# --- inbound referrals -----------------------------------------------------------------------------


async def test_referral_becomes_a_question(intake: RunningService, settings: Settings) -> None:
    r = referral()
    await publish(settings, REFERRALS_INBOUND, from_model(r, source=PARTNER))

    rows = await eventually(lambda: questions_of_referral(intake, r))
    assert isinstance(rows, list)
    [row] = rows
    question_id = str(row["question_id"])
    assert (row["channel"], row["referrer"]) == ("partner", "wijkteam-zwijndrecht")

    view = await status_of(intake, question_id)
    assert view["status"] == "received" and view["municipality"] == "GM0642"

    records = await read_topic(settings, QUESTIONS, until=lambda rs: any(rec.key == question_id.encode() for rec in rs))
    [record] = [rec for rec in records if rec.key == question_id.encode()]
    payload = QuestionReceived.model_validate_json(record.value)
    assert (payload.channel, payload.referrer, payload.life_domains) == ("partner", "wijkteam-zwijndrecht", ["debts"])
    assert payload.resident_ref == str(row["resident_ref"])
    for secret in (r.contact.name, str(r.contact.email), r.description, r.partner_reference):
        assert secret.encode() not in record.value


async def test_referral_sent_twice_makes_one_question(intake: RunningService, settings: Settings) -> None:
    r = referral()
    first, resent = from_model(r, source=PARTNER), from_model(r, source=PARTNER)
    assert first.id != resent.id  # a partner resending gives the event a new ce_id
    await publish(settings, REFERRALS_INBOUND, first)
    await publish(settings, REFERRALS_INBOUND, resent)

    await eventually(lambda: handled(intake, first.id, resent.id))
    assert len(await questions_of_referral(intake, r)) == 1


async def test_same_reference_from_another_referrer_is_another_question(
    intake: RunningService, settings: Settings
) -> None:
    r = referral()
    other = referral(r.partner_reference, referrer="huisarts-papendrecht")
    events = [from_model(r, source=PARTNER), from_model(other, source="/partners/huisarts")]
    for event in events:
        await publish(settings, REFERRALS_INBOUND, event)

    await eventually(lambda: handled(intake, *(e.id for e in events)))
    assert len(await questions_of_referral(intake, r)) == 1
    assert len(await questions_of_referral(intake, other)) == 1


async def test_invalid_referral_goes_to_the_dlq_and_the_next_is_processed(
    intake: RunningService, settings: Settings
) -> None:
    good = referral()
    key, value, headers = encode(from_model(good, source=PARTNER))
    broken = json.loads(value)
    broken["municipality"] = "GM99"  # not a CBS code (which codes are served: test_intake_dead_letters)
    del broken["contact"]
    bad_event_id = str(uuid.uuid4())
    bad_headers = [(k, bad_event_id.encode() if k == "ce_id" else v) for k, v in headers]
    not_json_id = str(uuid.uuid4())
    not_json_headers = [(k, not_json_id.encode() if k == "ce_id" else v) for k, v in headers]
    # Same key: the same partition, so the good message really comes after the bad ones.
    await publish_raw(settings, REFERRALS_INBOUND, key, json.dumps(broken).encode(), bad_headers)
    await publish_raw(settings, REFERRALS_INBOUND, key, b"{not json", not_json_headers)
    await publish_raw(settings, REFERRALS_INBOUND, key, value, headers)

    rows = await eventually(lambda: questions_of_referral(intake, good))
    assert isinstance(rows, list) and len(rows) == 1

    def dead(records: list[Any]) -> list[dict[str, str]]:
        found = [{k: v.decode() for k, v in rec.headers} for rec in records]
        return [h for h in found if h.get("ce_id") in (bad_event_id, not_json_id)]

    records = await read_topic(settings, dlq(REFERRALS_INBOUND), until=lambda rs: len(dead(rs)) == 2)
    by_id = {h["ce_id"]: h for h in dead(records)}
    assert "municipality" in by_id[bad_event_id]["dlq_reason"] and "contact" in by_id[bad_event_id]["dlq_reason"]
    assert "JSON" in by_id[not_json_id]["dlq_reason"]
    assert all(h["dlq_original_topic"] == REFERRALS_INBOUND for h in by_id.values())
    assert await intake.runtime.db.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", bad_event_id) == 0


# --- status from matching --------------------------------------------------------------------------


async def test_supporter_assigned_sets_status_with_history(intake: RunningService, settings: Settings) -> None:
    question_id = await new_question(intake)
    event = from_model(assigned(question_id), source=MATCHING)

    await publish(settings, ASSIGNMENTS, event)

    async def is_assigned() -> dict[str, Any] | None:
        view = await status_of(intake, question_id)
        return view if view["status"] == "assigned" else None

    view = await eventually(is_assigned)
    assert isinstance(view, dict)
    assert [h["status"] for h in view["history"]] == ["received", "assigned"]
    assert "ondersteuner" in view["history"][1]["reason"]
    assert view["updated_at"] >= view["received_at"]
    assert "supporter_id" not in json.dumps(view)


async def test_same_status_event_twice_gives_one_history_row(intake: RunningService, settings: Settings) -> None:
    question_id = await new_question(intake)
    event = from_model(assigned(question_id), source=MATCHING)
    later = from_model(
        QuestionWaiting(question_id=question_id, municipality="GM0642", eligible_supporters=3, since=datetime.now(UTC)),
        source=MATCHING,
    )
    for e in (event, event, later):  # one key, one partition: in this order
        await publish(settings, ASSIGNMENTS, e)

    await eventually(lambda: handled(intake, event.id, later.id))
    view = await status_of(intake, question_id)
    assert view["status"] == "waiting"
    assert [h["status"] for h in view["history"]] == ["received", "assigned", "waiting"]
    assert "wachtlijst" in view["history"][2]["reason"]


async def test_consultation_reason_is_the_dutch_text(intake: RunningService, settings: Settings) -> None:
    question_id = await new_question(intake)
    text = "Geen ondersteuner spreekt Tigrinya; het gezamenlijk overleg zoekt verder."
    event = from_model(
        ConsultationRequired(
            question_id=question_id,
            municipality="GM0642",
            reason=Reason(code="no_language_match", text=text),
            required_at=datetime.now(UTC),
        ),
        source=MATCHING,
    )
    await publish(settings, ASSIGNMENTS, event)

    await eventually(lambda: handled(intake, event.id))
    view = await status_of(intake, question_id)
    assert view["status"] == "consultation"
    assert view["history"][-1] == {
        "status": "consultation",
        "reason": text,
        "reason_code": "no_language_match",
        "at": view["history"][-1]["at"],
    }


async def test_status_event_for_an_unknown_question_is_skipped(intake: RunningService, settings: Settings) -> None:
    unknown = str(uuid.uuid4())
    events = [
        from_model(assigned(unknown), source=MATCHING),
        from_model(assigned("not-a-uuid"), source=MATCHING),
    ]
    for event in events:
        await publish(settings, ASSIGNMENTS, event)

    await eventually(lambda: handled(intake, *(e.id for e in events)))
    assert (
        await intake.runtime.db.fetchval("SELECT count(*) FROM question_history WHERE event_id = $1", events[0].id) == 0
    )
    assert (
        await intake.runtime.db.fetchval("SELECT count(*) FROM questions WHERE question_id = $1", uuid.UUID(unknown))
        == 0
    )
