"""Intake's privacy by design on real PostgreSQL and a real broker.

Encryption at rest (no plaintext in any intake row), BSN refusal, the audit log of every read of
personal data, and intake's own part of an erasure. The erasure across all four services is
tests/integration/test_erasure.py; key rotation is test_intake_privacy_rotation.py.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from contracts.bsn import BSN_MESSAGE
from contracts.envelope import from_model
from contracts.events import ReferralStatusChanged, ReferralSubmitted, ResidentErased, ResidentErasureRequested
from contracts.topics import PRIVACY, REFERRALS_INBOUND, REFERRALS_STATUS
from services.intake.audit import ref_digest
from services.kit import access
from services.kit.settings import Settings
from tests.support.harness import RunningService, events_of, eventually, publish, read_topic, run_service
from tests.support.privacy import find_anywhere

pytestmark = pytest.mark.integration

INTERNAL = {"Authorization": "Bearer test-internal-token", "X-Purpose": "notification", "X-Caller": "tests"}


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("intake", settings) as service:
        yield service


async def key_with(intake: RunningService, *scopes: str) -> dict[str, str]:
    async with intake.runtime.db.acquire() as conn:
        key = await access.create_key(conn, f"org-{uuid.uuid4().hex[:8]}", list(scopes))
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
async def staff(intake: RunningService) -> dict[str, str]:
    return await key_with(intake, "staff", "read-own")


@pytest.fixture(scope="module")
async def officer(intake: RunningService) -> dict[str, str]:
    return await key_with(intake, "privacy-officer")


def person() -> dict[str, Any]:
    tag = uuid.uuid4().hex[:10]
    return {
        "name": f"Fenna Privacytest {tag}",
        "email": f"fenna.{tag}@example.nl",
        "phone": "06" + str(int(tag, 16))[-8:].zfill(8),
    }


def question(contact: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "municipality": "GM0505",
        "life_domains": ["wmo"],
        "description": f"Mijn moeder heeft hulp nodig bij de Wmo-aanvraag {uuid.uuid4().hex}.",
        "postcode": "3311",
        "channel": "phone",
        "contact": contact,
        "consent": {"share_with_supporter": True},
    }
    return body | changes


async def submit(intake: RunningService, staff: dict[str, str], body: dict[str, Any]) -> str:
    response = await intake.client.post("/api/v1/questions", json=body, headers=staff)
    assert response.status_code == 202, response.text
    question_id: str = response.json()["question_id"]
    return question_id


async def contact_of(intake: RunningService, question_id: str) -> dict[str, Any]:
    response = await intake.client.get(f"/internal/v1/questions/{question_id}/contact", headers=INTERNAL)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def nothing_found(database_url: str, needles: list[str]) -> None:
    """None of ``needles`` in any table, once the outbox relay has sent the erasure's events."""

    async def clean() -> bool:
        return await find_anywhere(database_url, needles) == []

    try:
        await eventually(clean, timeout=10)
    except TimeoutError:
        hits = await find_anywhere(database_url, needles)
        raise AssertionError([(h.schema, h.table, h.needle) for h in hits]) from None


# --- encryption at rest ----------------------------------------------------------------------------


async def test_no_personal_data_is_stored_in_plaintext(
    intake: RunningService, staff: dict[str, str], database_url: str
) -> None:
    contact = person()
    first, second = question(contact), question(contact)
    ids = [await submit(intake, staff, body) for body in (first, second)]
    signal_text = f"Lange wachttijden voor huishoudelijke hulp {uuid.uuid4().hex}"
    response = await intake.client.post(
        "/api/v1/signals",
        json={
            "theme": "waiting_times",
            "municipality": "GM0505",
            "level": "local",
            "raised_by": "staff",
            "text": signal_text,
        },
        headers=staff,
    )
    assert response.status_code == 202, response.text

    needles = [contact["name"], contact["email"], contact["phone"], first["description"], second["description"]]
    hits = await find_anywhere(database_url, [*needles, signal_text])
    assert hits == [], [(h.schema, h.table, h.needle) for h in hits]

    # ... and yet intake reads them back for those who may: same resident, both questions.
    contacts = [await contact_of(intake, qid) for qid in ids]
    assert {c["resident_ref"] for c in contacts} == {contacts[0]["resident_ref"]}
    assert {k: contacts[0][k] for k in ("name", "email", "phone")} == contact
    row = await intake.runtime.db.fetchrow(
        "SELECT r.data_key, q.description FROM questions q JOIN residents r USING (resident_ref)"
        " WHERE q.question_id = $1",
        uuid.UUID(ids[0]),
    )
    assert row is not None and row["description"].startswith("v1.dek.") and row["data_key"].startswith("v1.k")


async def test_a_sealed_value_moved_to_another_resident_does_not_open(
    intake: RunningService, staff: dict[str, str]
) -> None:
    a, b = await submit(intake, staff, question(person())), await submit(intake, staff, question(person()))
    ref_a, ref_b = [(await contact_of(intake, qid))["resident_ref"] for qid in (a, b)]
    db = intake.runtime.db
    # Someone with write access to the database copies A's sealed name (or A's data key) into B's row.
    await db.execute(
        "UPDATE residents SET name = (SELECT name FROM residents WHERE resident_ref = $1) WHERE resident_ref = $2",
        uuid.UUID(ref_a),
        uuid.UUID(ref_b),
    )
    moved = await intake.client.get(f"/internal/v1/questions/{b}/contact", headers=INTERNAL)
    assert moved.status_code == 500 and "niet te openen" in moved.text
    assert "Privacytest" not in moved.text

    wrapped_b = await db.fetchval("SELECT data_key FROM residents WHERE resident_ref = $1", uuid.UUID(ref_b))
    await db.execute(
        "UPDATE residents SET data_key = (SELECT data_key FROM residents WHERE resident_ref = $1)"
        " WHERE resident_ref = $2",
        uuid.UUID(ref_a),
        uuid.UUID(ref_b),
    )
    assert (await intake.client.get(f"/internal/v1/questions/{b}/contact", headers=INTERNAL)).status_code == 500
    # One changed character of a ciphertext: refused as well.
    tampered = wrapped_b[:-3] + ("A" if wrapped_b[-3] != "A" else "B") + wrapped_b[-2:]
    await db.execute("UPDATE residents SET data_key = $1 WHERE resident_ref = $2", tampered, uuid.UUID(ref_b))
    assert (await intake.client.get(f"/internal/v1/questions/{b}/contact", headers=INTERNAL)).status_code == 500
    # A itself is untouched.
    assert (await contact_of(intake, a))["resident_ref"] == ref_a


# --- BSN -------------------------------------------------------------------------------------------


async def test_a_question_with_a_bsn_is_refused_in_dutch_and_not_stored(
    intake: RunningService, staff: dict[str, str], database_url: str
) -> None:
    body = question(person(), description="Mijn BSN is 111 222 333, kunt u mij helpen?")
    body["contact"]["name"] = "Jan 123456782"
    response = await intake.client.post("/api/v1/questions", json=body, headers=staff)
    assert response.status_code == 422
    errors = {e["field"]: e["reason"] for e in response.json()["errors"]}
    assert errors == {"description": BSN_MESSAGE, "contact.name": BSN_MESSAGE}
    assert await find_anywhere(database_url, ["111 222 333", "111222333", "123456782"]) == []


async def test_a_signal_with_a_bsn_is_refused_in_dutch(intake: RunningService, staff: dict[str, str]) -> None:
    body = {
        "theme": "other",
        "municipality": "GM0505",
        "level": "local",
        "raised_by": "staff",
        "text": "bsn 111.222.333",
    }
    response = await intake.client.post("/api/v1/signals", json=body, headers=staff)
    assert response.status_code == 422
    assert {e["field"]: e["reason"] for e in response.json()["errors"]} == {"text": BSN_MESSAGE}


async def test_a_phone_number_in_a_description_is_fine(intake: RunningService, staff: dict[str, str]) -> None:
    await submit(intake, staff, question(person(), description="Bel mij op 06-12345678 of 078 123 4567."))


# --- audit log -------------------------------------------------------------------------------------


async def test_reading_a_contact_needs_a_purpose(intake: RunningService, staff: dict[str, str]) -> None:
    question_id = await submit(intake, staff, question(person()))
    headers = {"Authorization": INTERNAL["Authorization"]}
    response = await intake.client.get(f"/internal/v1/questions/{question_id}/contact", headers=headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["x-purpose"]
    bad = headers | {"X-Purpose": "Alles; DROP TABLE"}
    assert (await intake.client.get(f"/internal/v1/questions/{question_id}/contact", headers=bad)).status_code == 422


async def test_every_read_of_a_contact_is_in_the_audit_log(
    intake: RunningService, staff: dict[str, str], officer: dict[str, str]
) -> None:
    question_id = await submit(intake, staff, question(person()))
    ref = (await contact_of(intake, question_id))["resident_ref"]
    await contact_of(intake, question_id)

    response = await intake.client.get("/api/v1/audit", params={"resident_ref": ref}, headers=officer)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["resident_ref"] == ref
    assert len(body["entries"]) == 2
    for entry in body["entries"]:
        assert entry["actor"] == "tests" and entry["actor_kind"] == "internal"
        assert entry["action"] == "contact.read" and entry["purpose"] == "notification"
        assert entry["question_id"] == question_id and entry["at"]
        assert entry["resident_digest"] == ref_digest(ref) != ref
    stored = await intake.runtime.db.fetch(
        "SELECT resident_ref FROM audit_log WHERE question_id = $1", uuid.UUID(question_id)
    )
    assert [r["resident_ref"] for r in stored] == [ref_digest(ref)] * 2  # the log itself holds no ref


async def test_a_read_without_caller_is_logged_as_unknown(intake: RunningService, staff: dict[str, str]) -> None:
    question_id = await submit(intake, staff, question(person()))
    headers = {"Authorization": INTERNAL["Authorization"], "X-Purpose": "support"}
    assert (
        await intake.client.get(f"/internal/v1/questions/{question_id}/contact", headers=headers)
    ).status_code == 200
    row = await intake.runtime.db.fetchrow(
        "SELECT actor, actor_kind, purpose FROM audit_log WHERE question_id = $1", uuid.UUID(question_id)
    )
    assert row is not None and dict(row) == {"actor": "unknown", "actor_kind": "internal", "purpose": "support"}


@pytest.mark.parametrize(("scopes", "expected"), [((), 401), (("staff", "submit", "coordinator"), 403)])
async def test_only_a_privacy_officer_reads_the_audit_log(
    intake: RunningService, scopes: tuple[str, ...], expected: int
) -> None:
    headers = await key_with(intake, *scopes) if scopes else {}
    assert (await intake.client.get("/api/v1/audit", headers=headers)).status_code == expected


# --- erasure (intake's part) -----------------------------------------------------------------------


async def test_erasing_a_resident_in_intake(
    intake: RunningService, staff: dict[str, str], officer: dict[str, str], settings: Settings, database_url: str
) -> None:
    contact = person()
    first, second = question(contact), question(contact)
    ids = sorted([await submit(intake, staff, first), await submit(intake, staff, second)])
    ref = (await contact_of(intake, ids[0]))["resident_ref"]

    response = await intake.client.delete(f"/api/v1/residents/{ref}", headers=officer)

    assert response.status_code == 202, response.text
    assert response.json() == {"resident_ref": ref, "status": "erasure_requested"}
    # Nothing of the person is left in intake's rows; the questions remain as pseudonymous facts.
    needles = [contact["name"], contact["email"], contact["phone"], first["description"], second["description"], ref]
    await nothing_found(database_url, needles)
    for qid in ids:
        gone = await intake.client.get(f"/internal/v1/questions/{qid}/contact", headers=INTERNAL)
        assert gone.status_code == 404
        view = (await intake.client.get(f"/api/v1/questions/{qid}", headers=staff)).json()
        assert view["status"] == "withdrawn" and view["history"][-1]["reason_code"] == "erased"
    # Every service hears it; intake says it is done.
    records = await read_topic(
        settings, PRIVACY, until=lambda rs: any(e.subject == ref for e in events_of(rs, ResidentErased.ce_type))
    )
    [requested] = [e for e in events_of(records, ResidentErasureRequested.ce_type) if e.subject == ref]
    assert sorted(requested.data["question_ids"]) == ids
    [done] = [e for e in events_of(records, ResidentErased.ce_type) if e.subject == ref]
    assert done.data["service"] == "intake"
    # The erasure is in the audit log, under the ref's digest.
    log = (await intake.client.get("/api/v1/audit", params={"resident_ref": ref}, headers=officer)).json()
    assert log["entries"][0]["action"] == "resident.erase" and log["entries"][0]["purpose"] == "erasure"
    assert log["entries"][0]["actor_kind"] == "api_key"
    # Erased once: a second request finds no one; the same person coming back is someone new.
    assert (await intake.client.delete(f"/api/v1/residents/{ref}", headers=officer)).status_code == 404
    again = await submit(intake, staff, question(contact))
    assert (await contact_of(intake, again))["resident_ref"] != ref


@pytest.mark.parametrize("ref", ["6f1f3c5e-0000-4000-8000-00000000dead", "not-a-ref"])  # fixed: xdist collects alike
async def test_erasing_an_unknown_resident_is_404(intake: RunningService, officer: dict[str, str], ref: str) -> None:
    response = await intake.client.delete(f"/api/v1/residents/{ref}", headers=officer)
    assert response.status_code == 404
    assert "niet bekend" in response.json()["detail"]


@pytest.mark.parametrize("scopes", [(), ("staff", "submit", "read-own", "coordinator")])
async def test_only_a_privacy_officer_erases(
    intake: RunningService, staff: dict[str, str], scopes: tuple[str, ...]
) -> None:
    question_id = await submit(intake, staff, question(person()))
    ref = (await contact_of(intake, question_id))["resident_ref"]
    headers = await key_with(intake, *scopes) if scopes else {}
    response = await intake.client.delete(f"/api/v1/residents/{ref}", headers=headers)
    assert response.status_code == (403 if scopes else 401)
    assert (await contact_of(intake, question_id))["resident_ref"] == ref


async def test_erasing_a_referred_resident_forgets_the_partner_reference_and_tells_the_referrer(
    intake: RunningService, officer: dict[str, str], settings: Settings, database_url: str
) -> None:
    contact = person()
    tag = uuid.uuid4().hex[:10]
    referral = ReferralSubmitted.model_validate(
        question(contact, channel="partner") | {"partner_reference": f"WT-{tag}", "referrer": "wijkteam-dordrecht"}
    )
    await publish(settings, REFERRALS_INBOUND, from_model(referral, source="/partners/wijkteam-dordrecht"))

    async def referred() -> str | None:
        found = await intake.runtime.db.fetchval(
            "SELECT question_id::text FROM questions WHERE partner_reference = $1", referral.partner_reference
        )
        return str(found) if found else None

    question_id = str(await eventually(referred))
    ref = (await contact_of(intake, question_id))["resident_ref"]
    partner = await key_with(intake, "submit")
    headers = partner | {"Idempotency-Key": f"idem-{tag}"}
    direct = await intake.client.post("/api/v1/questions", json=question(contact, channel="partner"), headers=headers)
    assert direct.status_code == 202, direct.text
    assert (await contact_of(intake, direct.json()["question_id"]))["resident_ref"] == ref  # the same person
    kept = await intake.runtime.db.fetchval(
        "SELECT count(*) FROM idempotency_keys WHERE idempotency_key = $1", f"idem-{tag}"
    )
    assert kept == 1

    assert (await intake.client.delete(f"/api/v1/residents/{ref}", headers=officer)).status_code == 202

    await nothing_found(
        database_url, [contact["name"], contact["email"], ref, referral.partner_reference, f"idem-{tag}"]
    )
    records = await read_topic(
        settings,
        REFERRALS_STATUS,
        until=lambda rs: any(
            e.data["question_id"] == question_id and e.data["status"] == "withdrawn"
            for e in events_of(rs, ReferralStatusChanged.ce_type)
        ),
    )
    [told] = [
        e
        for e in events_of(records, ReferralStatusChanged.ce_type)
        if e.data["question_id"] == question_id and e.data["status"] == "withdrawn"
    ]
    assert told.data["reason"]["code"] == "erased" and told.data["partner_reference"] == referral.partner_reference
    assert contact["email"].encode() not in json.dumps(told.data).encode()
