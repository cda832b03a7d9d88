"""The closed loop on real infrastructure: ReferralStatusChanged for referred questions, withdrawal,
and partners' webhook registration."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import ConsumerRecord, TopicPartition

from contracts.envelope import from_model
from contracts.events import (
    ConsultationRequired,
    QuestionWaiting,
    Reason,
    ReferralStatusChanged,
    ReferralSubmitted,
    SupporterAssigned,
)
from contracts.topics import ASSIGNMENTS, REFERRALS_INBOUND, REFERRALS_STATUS
from services.kit import access
from services.kit.settings import Settings
from tests.support.harness import (
    RunningService,
    assigned_reader,
    events_of,
    eventually,
    publish,
    read_topic,
    run_service,
)

pytestmark = pytest.mark.integration

PARTNER = "/partners/wijkteam"
MATCHING = "/samenloket/matching"
INTERNAL = {"Authorization": "Bearer test-internal-token"}
STATUS_TYPE = ReferralStatusChanged.ce_type


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("intake", settings) as service:
        yield service


# --- helpers --------------------------------------------------------------------------------------


def unique_org(prefix: str = "wijkteam") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def key_for(intake: RunningService, org: str, *scopes: str, municipality: str | None = None) -> dict[str, str]:
    async with intake.runtime.db.acquire() as conn:
        key = await access.create_key(conn, org, list(scopes), municipality)
    return {"Authorization": f"Bearer {key}"}


def referral(referrer: str, **changes: Any) -> ReferralSubmitted:
    tag = uuid.uuid4().hex[:10]
    fields: dict[str, Any] = {
        "municipality": "GM0505",
        "life_domains": ["wmo"],
        "description": f"Mevrouw zoekt hulp bij haar aanvraag {tag}.",
        "postcode": "3311",
        "contact": {"name": f"C. Bakker {tag}", "email": f"c.bakker.{tag}@example.nl", "phone": "0612345678"},
        "consent": {"share_with_supporter": True},
        "partner_reference": f"REF-{tag}",
        "referrer": referrer,
    }
    return ReferralSubmitted.model_validate(fields | changes)


async def referred_question(intake: RunningService, settings: Settings, r: ReferralSubmitted) -> str:
    await publish(settings, REFERRALS_INBOUND, from_model(r, source=PARTNER))

    async def find() -> str | None:
        value = await intake.runtime.db.fetchval(
            "SELECT question_id FROM questions WHERE referrer = $1 AND partner_reference = $2",
            r.referrer,
            r.partner_reference,
        )
        return str(value) if value else None

    question_id = await eventually(find)
    assert isinstance(question_id, str)
    return question_id


async def staff_question(intake: RunningService, headers: dict[str, str]) -> str:
    body = referral("unused").model_dump(mode="json", exclude={"partner_reference", "referrer"}) | {"channel": "phone"}
    response = await intake.client.post("/api/v1/questions", json=body, headers=headers)
    assert response.status_code == 202, response.text
    question_id: str = response.json()["question_id"]
    return question_id


def status_events(records: list[ConsumerRecord], question_id: str) -> list[ReferralStatusChanged]:
    found = [ReferralStatusChanged.model_validate(e.data) for e in events_of(records, STATUS_TYPE)]
    return [e for e in found if e.question_id == question_id]


async def statuses_of(settings: Settings, question_id: str, count: int) -> tuple[list[ReferralStatusChanged], Any]:
    records = await read_topic(
        settings, REFERRALS_STATUS, until=lambda rs: len(status_events(rs, question_id)) >= count
    )
    return status_events(records, question_id), records


async def read_everything(settings: Settings, topic: str) -> list[ConsumerRecord]:
    """Every record on ``topic`` up to its current end (to show that something was NOT published)."""
    consumer = await assigned_reader(settings, topic)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or set())]
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord] = []

        async def behind() -> bool:
            return any([await consumer.position(tp) < end for tp, end in ends.items()])

        while await behind():
            batch = await consumer.getmany(timeout_ms=200)
            for messages in batch.values():
                records.extend(messages)
        return records
    finally:
        await consumer.stop()


async def drained(intake: RunningService, *event_ids: str) -> bool:
    """The events were handled and everything intake wrote to its outbox has been published."""
    handled = await intake.runtime.db.fetchval("SELECT count(*) FROM inbox WHERE event_id = ANY($1)", list(event_ids))
    return handled == len(event_ids) and await intake.runtime.db.fetchval("SELECT count(*) FROM outbox") == 0


_STAFF: dict[int, dict[str, str]] = {}


async def view_of(intake: RunningService, question_id: str) -> dict[str, Any]:
    """The status view as staff sees it (GET needs a key: staff reads every question)."""
    staff = _STAFF.get(id(intake))
    if staff is None:
        staff = _STAFF[id(intake)] = await key_for(intake, unique_org("gemeente"), "staff")
    response = await intake.client.get(f"/api/v1/questions/{question_id}", headers=staff)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def assigned(question_id: str) -> SupporterAssigned:
    now = datetime.now(UTC)
    return SupporterAssigned(
        question_id=question_id,
        assignment_id=str(uuid.uuid4()),
        supporter_id=str(uuid.uuid4()),
        organisation="mee-plus",
        supporter_kind="professional",
        municipality="GM0505",
        score=0.8,
        received_at=now,
        assigned_at=now,
    )


def waiting(question_id: str) -> QuestionWaiting:
    return QuestionWaiting(
        question_id=question_id, municipality="GM0505", eligible_supporters=2, since=datetime.now(UTC)
    )


def consultation(question_id: str) -> ConsultationRequired:
    return ConsultationRequired(
        question_id=question_id,
        municipality="GM0505",
        reason=Reason(code="no_eligible_supporter", text="Geen ondersteuner past bij deze vraag."),
        required_at=datetime.now(UTC),
    )


# --- ReferralStatusChanged --------------------------------------------------------------------------


async def test_a_referred_question_announces_received_to_its_referrer(
    intake: RunningService, settings: Settings
) -> None:
    r = referral(unique_org())
    question_id = await referred_question(intake, settings, r)

    [event], records = await statuses_of(settings, question_id, 1)
    assert (event.referrer, event.partner_reference, event.status, event.previous_status) == (
        r.referrer,
        r.partner_reference,
        "received",
        None,
    )
    assert event.reason == Reason(code="received", text="Uw vraag is ontvangen.")
    [record] = [rec for rec in records if question_id.encode() in rec.value]
    assert record.key == r.partner_reference.encode()
    for secret in (r.contact.name, str(r.contact.email), r.description, "0612345678"):
        assert secret.encode() not in record.value


async def test_every_status_event_from_matching_reaches_the_referrer_with_its_reason(
    intake: RunningService, settings: Settings
) -> None:
    question_id = await referred_question(intake, settings, referral(unique_org()))
    for payload in (waiting(question_id), consultation(question_id), assigned(question_id)):
        await publish(settings, ASSIGNMENTS, from_model(payload, source=MATCHING))

    events, _ = await statuses_of(settings, question_id, 4)
    assert [(e.previous_status, e.status) for e in events] == [
        (None, "received"),
        ("received", "waiting"),
        ("waiting", "consultation"),
        ("consultation", "assigned"),
    ]
    assert [e.reason.code for e in events if e.reason] == [
        "received",
        "no_capacity",
        "no_eligible_supporter",
        "assigned",
    ]
    assert "wachtlijst" in (events[1].reason.text if events[1].reason else "")

    view = await view_of(intake, question_id)
    assert [(h["status"], h["reason_code"]) for h in view["history"]] == [
        ("received", "received"),
        ("waiting", "no_capacity"),
        ("consultation", "no_eligible_supporter"),
        ("assigned", "assigned"),
    ]
    assert all(h["reason"] for h in view["history"])


async def test_a_repeated_status_event_is_announced_once(intake: RunningService, settings: Settings) -> None:
    question_id = await referred_question(intake, settings, referral(unique_org()))
    event = from_model(waiting(question_id), source=MATCHING)
    await publish(settings, ASSIGNMENTS, event)
    await publish(settings, ASSIGNMENTS, event)
    await publish(settings, ASSIGNMENTS, from_model(waiting(question_id), source=MATCHING))  # same status again

    await eventually(lambda: drained(intake, event.id))
    records = await read_everything(settings, REFERRALS_STATUS)
    assert [e.status for e in status_events(records, question_id)] == ["received", "waiting"]


async def test_a_question_a_partner_submits_over_the_api_is_announced_to_it(
    intake: RunningService, settings: Settings
) -> None:
    org = unique_org()
    body = referral(org).model_dump(mode="json", exclude={"partner_reference", "referrer", "channel"})
    response = await intake.client.post("/api/v1/questions", json=body, headers=await key_for(intake, org, "submit"))
    assert response.status_code == 202, response.text
    question_id = response.json()["question_id"]

    [event], records = await statuses_of(settings, question_id, 1)
    assert (event.referrer, event.partner_reference, event.status) == (org, None, "received")
    [record] = [rec for rec in records if question_id.encode() in rec.value]
    assert record.key == question_id.encode()


async def test_a_question_without_referrer_announces_nothing(intake: RunningService, settings: Settings) -> None:
    staff = await key_for(intake, unique_org("gemeente"), "staff")
    question_id = await staff_question(intake, staff)
    event = from_model(assigned(question_id), source=MATCHING)
    await publish(settings, ASSIGNMENTS, event)

    await eventually(lambda: drained(intake, event.id))
    assert (await view_of(intake, question_id))["status"] == "assigned"
    records = await read_everything(settings, REFERRALS_STATUS)
    assert status_events(records, question_id) == []
    assert all(question_id.encode() not in rec.value for rec in records)


# --- withdrawal -------------------------------------------------------------------------------------


async def test_the_referrer_withdraws_its_question(intake: RunningService, settings: Settings) -> None:
    org = unique_org()
    question_id = await referred_question(intake, settings, referral(org))
    note = "De inwoner is verhuisd naar Groningen."

    response = await intake.client.post(
        f"/api/v1/questions/{question_id}/withdraw", json={"reason": note}, headers=await key_for(intake, org, "submit")
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "question_id": question_id,
        "status": "withdrawn",
        "status_url": f"/api/v1/questions/{question_id}",
    }

    events, records = await statuses_of(settings, question_id, 2)
    assert (events[1].previous_status, events[1].status) == ("received", "withdrawn")
    assert events[1].reason is not None and events[1].reason.code == "withdrawn"
    assert all(note.encode() not in rec.value for rec in records)

    view = await view_of(intake, question_id)
    assert view["status"] == "withdrawn"
    assert view["history"][-1]["reason_code"] == "withdrawn"
    assert note not in json.dumps(view)
    stored = await intake.runtime.db.fetchval(
        "SELECT note FROM question_history WHERE question_id = $1 AND status = 'withdrawn'", uuid.UUID(question_id)
    )
    assert stored and note not in stored  # sealed at rest

    # A later assignment no longer changes a withdrawn question.
    late = from_model(assigned(question_id), source=MATCHING)
    await publish(settings, ASSIGNMENTS, late)
    await eventually(lambda: drained(intake, late.id))
    assert (await view_of(intake, question_id))["status"] == "withdrawn"


async def test_withdrawing_twice_changes_nothing_the_second_time(intake: RunningService, settings: Settings) -> None:
    org = unique_org()
    question_id = await referred_question(intake, settings, referral(org))
    headers = await key_for(intake, org, "submit")
    url = f"/api/v1/questions/{question_id}/withdraw"
    first = await intake.client.post(url, json={"reason": "Dubbel aangemeld."}, headers=headers)
    second = await intake.client.post(url, json={"reason": "Dubbel aangemeld."}, headers=headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["status"] == "withdrawn"

    await eventually(lambda: drained(intake))
    records = await read_everything(settings, REFERRALS_STATUS)
    assert [e.status for e in status_events(records, question_id)] == ["received", "withdrawn"]
    history = await view_of(intake, question_id)
    assert [h["status"] for h in history["history"]] == ["received", "withdrawn"]


async def test_who_may_withdraw(intake: RunningService, settings: Settings) -> None:
    org = unique_org()
    question_id = await referred_question(intake, settings, referral(org))
    url = f"/api/v1/questions/{question_id}/withdraw"
    body = {"reason": "Niet meer nodig."}

    assert (await intake.client.post(url, json=body)).status_code == 401
    other = await key_for(intake, unique_org(), "submit")
    assert (await intake.client.post(url, json=body, headers=other)).status_code == 404
    reader = await key_for(intake, org, "read-own")
    assert (await intake.client.post(url, json=body, headers=reader)).status_code == 403
    elsewhere = await key_for(intake, unique_org("gemeente"), "staff", municipality="GM0642")
    assert (await intake.client.post(url, json=body, headers=elsewhere)).status_code == 404
    unknown = f"/api/v1/questions/{uuid.uuid4()}/withdraw"
    assert (await intake.client.post(unknown, json=body, headers=other)).status_code == 404
    assert (await view_of(intake, question_id))["status"] == "received"

    staff = await key_for(intake, unique_org("gemeente"), "staff")
    assert (await intake.client.post(url, json=body, headers=staff)).status_code == 200
    assert (await view_of(intake, question_id))["status"] == "withdrawn"


async def test_withdrawal_input_is_checked(intake: RunningService, settings: Settings) -> None:
    org = unique_org()
    question_id = await referred_question(intake, settings, referral(org))
    url = f"/api/v1/questions/{question_id}/withdraw"
    headers = await key_for(intake, org, "submit")
    for body in ({}, {"reason": ""}, {"reason": "x" * 501}, {"reason": "BSN 111222333"}, {"reason": "ok", "x": 1}):
        response = await intake.client.post(url, json=body, headers=headers)
        assert response.status_code == 422, body
        assert {e["field"] for e in response.json()["errors"]} <= {"reason", "x"}
    assert (await view_of(intake, question_id))["status"] == "received"


async def test_a_closed_question_cannot_be_withdrawn(intake: RunningService, settings: Settings) -> None:
    staff = await key_for(intake, unique_org("gemeente"), "staff")
    question_id = await staff_question(intake, staff)
    # No event closes a question yet (SupportEnded comes later): close it the way that handler will.
    await intake.runtime.db.execute(
        "UPDATE questions SET status = 'closed' WHERE question_id = $1", uuid.UUID(question_id)
    )
    response = await intake.client.post(
        f"/api/v1/questions/{question_id}/withdraw", json={"reason": "Te laat."}, headers=staff
    )
    assert response.status_code == 409
    assert "afgesloten" in response.json()["detail"]


# --- webhook registration ---------------------------------------------------------------------------


async def test_webhook_secret_is_shown_once_and_kept_sealed(intake: RunningService) -> None:
    org = unique_org()
    headers = await key_for(intake, org, "submit")
    url = "https://partner.example/samenloket/webhook"

    response = await intake.client.put("/api/v1/webhooks", json={"url": url}, headers=headers)
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["url"] == url and created["secret"].startswith("whsec_")

    shown = await intake.client.get("/api/v1/webhooks", headers=headers)
    assert shown.status_code == 200 and shown.json() == {"url": url}
    stored = await intake.runtime.db.fetchval("SELECT secret_sealed FROM partner_webhooks WHERE organisation = $1", org)
    assert stored and created["secret"] not in stored

    internal = await intake.client.get(f"/internal/v1/partners/{org}/webhook", headers=INTERNAL)
    assert internal.status_code == 200 and internal.json() == created


async def test_registering_again_replaces_url_and_secret(intake: RunningService) -> None:
    org = unique_org()
    headers = await key_for(intake, org, "read-own")
    first = (await intake.client.put("/api/v1/webhooks", json={"url": "https://a.example/h"}, headers=headers)).json()
    second = (await intake.client.put("/api/v1/webhooks", json={"url": "https://b.example/h"}, headers=headers)).json()
    assert first["secret"] != second["secret"]
    internal = await intake.client.get(f"/internal/v1/partners/{org}/webhook", headers=INTERNAL)
    assert internal.json() == {"url": "https://b.example/h", "secret": second["secret"]}


async def test_deleting_the_webhook(intake: RunningService) -> None:
    org = unique_org()
    headers = await key_for(intake, org, "submit")
    await intake.client.put("/api/v1/webhooks", json={"url": "https://a.example/h"}, headers=headers)

    assert (await intake.client.delete("/api/v1/webhooks", headers=headers)).status_code == 204
    assert (await intake.client.get("/api/v1/webhooks", headers=headers)).status_code == 404
    assert (await intake.client.delete("/api/v1/webhooks", headers=headers)).status_code == 404
    internal = await intake.client.get(f"/internal/v1/partners/{org}/webhook", headers=INTERNAL)
    assert internal.status_code == 404


async def test_webhook_access_is_per_organisation_and_scope(intake: RunningService) -> None:
    org, other = unique_org(), unique_org()
    await intake.client.put(
        "/api/v1/webhooks", json={"url": "https://a.example/h"}, headers=await key_for(intake, org, "submit")
    )

    assert (await intake.client.get("/api/v1/webhooks")).status_code == 401
    assert (await intake.client.put("/api/v1/webhooks", json={"url": "https://b.example/h"})).status_code == 401
    staff = await key_for(intake, org, "staff")
    assert (await intake.client.get("/api/v1/webhooks", headers=staff)).status_code == 403
    other_headers = await key_for(intake, other, "submit")
    assert (await intake.client.get("/api/v1/webhooks", headers=other_headers)).status_code == 404
    assert (await intake.client.get(f"/internal/v1/partners/{org}/webhook")).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert (await intake.client.get(f"/internal/v1/partners/{org}/webhook", headers=wrong)).status_code == 401


@pytest.mark.parametrize(
    "url", ["http://partner.example/h", "ftp://partner.example/h", "https://user:pw@partner.example/h", "nonsense"]
)
async def test_webhook_url_is_validated(intake: RunningService, url: str) -> None:
    org = unique_org()
    headers = await key_for(intake, org, "submit")
    response = await intake.client.put("/api/v1/webhooks", json={"url": url}, headers=headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["url"]
    assert (await intake.client.get("/api/v1/webhooks", headers=headers)).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "https://100.64.0.1/h",  # carrier-grade NAT: cloud metadata
        "https://169.254.169.254/latest/meta-data/",
        "https://[2002:a00:1::]/h",  # 6to4 embedding 10.0.0.1
        "https://[64:ff9b::a00:1]/h",  # NAT64 embedding 10.0.0.1
        "https://[::ffff:127.0.0.1]/h",
        "https://127.0.0.1/h",
        "https://localhost/h",
        "https://metadata.google.internal/computeMetadata/v1/",
        "http://127.0.0.1:9/h",  # http only in development
        "https://partner.example/\u0000h",
        "https://partner.example/h\r\nX-Injected: 1",
    ],
)
async def test_webhook_to_a_local_or_private_destination_is_refused_at_registration(
    intake: RunningService, url: str
) -> None:
    headers = await key_for(intake, unique_org(), "submit")
    response = await intake.client.put("/api/v1/webhooks", json={"url": url}, headers=headers)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["url"]
    assert (await intake.client.get("/api/v1/webhooks", headers=headers)).status_code == 404
