"""The privacy officer's daily work on real PostgreSQL, a real broker, real SMTP and real HTTP.

"Delete (or show) my data, I am a.devries@example.nl": the officer finds the resident_ref by the
e-mail address or phone number (exact match through the blind indexes, audited, the identifier in
no URL, log or row), and exports everything held about the resident (AVG art. 15) as JSON and as a
Dutch page — with the messages notifications sent about their questions, asked over its internal
API. Retention is tests/integration/test_intake_retention.py; the page in Chromium is
tests/browser/test_privacy_export_page.py.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from contracts.envelope import from_model
from contracts.events import QuestionWaiting
from contracts.topics import ASSIGNMENTS
from services.intake.audit import ref_digest
from services.intake.experiences import store as experiences_store
from services.kit.settings import Settings
from tests.support.harness import eventually, publish
from tests.support.notifications import MailBox
from tests.support.privacy import find_anywhere
from tests.support.privacy_officer import OfficerPlatform, officer_platform

pytestmark = pytest.mark.integration

INTERNAL = {"Authorization": "Bearer test-internal-token", "X-Purpose": "support", "X-Caller": "tests"}
NOTE = "Mevrouw heeft al hulp van de buurvrouw."


@pytest.fixture(scope="module")
async def platform(settings: Settings, mailbox: MailBox) -> AsyncIterator[OfficerPlatform]:
    async with officer_platform(settings, mailbox) as running:
        yield running


@pytest.fixture(scope="module")
async def staff(platform: OfficerPlatform) -> dict[str, str]:
    return await platform.key("staff")


@pytest.fixture(scope="module")
async def officer(platform: OfficerPlatform) -> dict[str, str]:
    return await platform.key("privacy-officer")


def person() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {
        "name": f"Aaltje de Vries {tag}",
        "email": f"a.devries.{tag}@example.nl",
        "phone": "06" + str(uuid.uuid4().int)[:8],
    }


def question(contact: dict[str, str], municipality: str = "GM0505") -> dict[str, Any]:
    return {
        "municipality": municipality,
        "life_domains": ["wmo", "housing"],
        "description": f"Ik kan de trap niet meer op en zoek hulp bij een traplift {uuid.uuid4().hex[:6]}.",
        "postcode": "3311",
        "channel": "phone",
        "languages": ["nl", "tr"],
        "contact": contact,
        "consent": {"share_with_supporter": True},
    }


async def submit(platform: OfficerPlatform, staff: dict[str, str], body: dict[str, Any]) -> str:
    response = await platform.intake.client.post("/api/v1/questions", json=body, headers=staff)
    assert response.status_code == 202, response.text
    question_id: str = response.json()["question_id"]
    return question_id


async def ref_of(platform: OfficerPlatform, question_id: str) -> str:
    response = await platform.intake.client.get(f"/internal/v1/questions/{question_id}/contact", headers=INTERNAL)
    assert response.status_code == 200, response.text
    ref: str = response.json()["resident_ref"]
    return ref


async def look_up(platform: OfficerPlatform, key: dict[str, str], **body: Any) -> Any:
    return await platform.intake.client.post("/api/v1/residents/lookup", json={"purpose": "access"} | body, headers=key)


# --- the look-up ------------------------------------------------------------------------------------


async def test_a_resident_is_found_by_email_or_phone_and_the_look_up_is_audited_without_them(
    platform: OfficerPlatform,
    staff: dict[str, str],
    officer: dict[str, str],
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    contact = person()
    ref = await ref_of(platform, await submit(platform, staff, question(contact)))
    caplog.set_level(logging.DEBUG)

    by_email = await look_up(platform, officer, email=f"  {contact['email'].upper()} ".strip())
    national = "+31 6 " + contact["phone"][2:6] + " " + contact["phone"][6:]
    by_phone = await look_up(platform, officer, phone=national, purpose="erasure")

    assert by_email.status_code == 200, by_email.text
    [match] = by_email.json()["matches"]
    assert match["resident_ref"] == ref and match["matched_on"] == ["email"]
    assert match["questions"] == 1 and match["open_questions"] == 1 and match["municipalities"] == ["GM0505"]
    assert set(match) == {
        "resident_ref",
        "matched_on",
        "questions",
        "open_questions",
        "municipalities",
        "first_question_at",
        "last_change_at",
    }  # nothing personal beside the ref
    assert [m["resident_ref"] for m in by_phone.json()["matches"]] == [ref]
    assert by_phone.json()["matches"][0]["matched_on"] == ["phone"]
    log = (await platform.intake.client.get("/api/v1/audit", params={"resident_ref": ref}, headers=officer)).json()
    lookups = [e for e in log["entries"] if e["action"] == "resident.lookup"]
    assert [e["purpose"] for e in lookups] == ["erasure", "access"]
    assert all(e["actor_kind"] == "api_key" and e["resident_digest"] == ref_digest(ref) for e in lookups)
    # The identifiers are in no row of any table and in no log line.
    assert await find_anywhere(database_url, [contact["email"], contact["phone"], national]) == []
    # Our services' log lines: the test's own SMTP receiver (aiosmtpd's "mail.log") names the recipients.
    ours = "\n".join(
        r.getMessage() + repr(r.__dict__) for r in caplog.records if r.name.startswith(("services", "samenloket"))
    )
    for needle in (contact["email"], contact["email"].upper(), contact["phone"], national):
        assert needle not in ours


async def test_a_look_up_matches_exactly_or_not_at_all(
    platform: OfficerPlatform, staff: dict[str, str], officer: dict[str, str]
) -> None:
    contact = person()
    await submit(platform, staff, question(contact))
    local, domain = contact["email"].split("@")
    for near in (f"{local[:-1]}@{domain}", f"{local}@example.com", f"x{local}@{domain}"):
        answer = await look_up(platform, officer, email=near)
        assert answer.status_code == 200 and answer.json() == {"matches": [], "more": False}
    assert (await look_up(platform, officer, phone=contact["phone"][:-1])).json()["matches"] == []
    # A look-up that found no one is in the log too, about no one.
    rows = await platform.intake.runtime.db.fetch(
        "SELECT resident_ref FROM audit_log WHERE action = 'resident.lookup' AND resident_ref IS NULL"
    )
    assert len(rows) >= 4


async def test_one_address_under_two_residents_gives_both_and_both_identifiers_narrow_it(
    platform: OfficerPlatform, staff: dict[str, str], officer: dict[str, str]
) -> None:
    """A resident who changed their phone number is two residents (never merged): both are theirs."""
    before = person()
    after = before | {"phone": "06" + str(uuid.uuid4().int)[:8]}
    first = await ref_of(platform, await submit(platform, staff, question(before)))
    second = await ref_of(platform, await submit(platform, staff, question(after)))
    assert first != second

    both = (await look_up(platform, officer, email=before["email"])).json()["matches"]
    narrowed = (await look_up(platform, officer, email=after["email"], phone=after["phone"])).json()["matches"]

    assert sorted(m["resident_ref"] for m in both) == sorted([first, second])
    assert [(m["resident_ref"], m["matched_on"]) for m in narrowed] == [(second, ["email", "phone"])]


async def test_a_look_up_takes_its_identifiers_in_the_body_only_and_checks_them(
    platform: OfficerPlatform, officer: dict[str, str]
) -> None:
    nothing = await platform.intake.client.post("/api/v1/residents/lookup", json={"purpose": "access"}, headers=officer)
    assert nothing.status_code == 422 and "email or a phone" in nothing.text
    bad = await look_up(platform, officer, email="niet-een-adres", phone="bel me")
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"email", "phone"}
    assert "niet-een-adres" not in bad.text
    no_purpose = await platform.intake.client.post(
        "/api/v1/residents/lookup", json={"email": "a@example.nl"}, headers=officer
    )
    assert no_purpose.status_code == 422 and [e["field"] for e in no_purpose.json()["errors"]] == ["purpose"]
    extra = await look_up(platform, officer, email="a@example.nl", name="A. de Vries")
    assert extra.status_code == 422
    in_url = await platform.intake.client.get(
        "/api/v1/residents/lookup", params={"email": "a@example.nl"}, headers=officer
    )
    assert in_url.status_code in (404, 405)


@pytest.mark.parametrize(("scopes", "expected"), [((), 401), (("staff", "submit", "read-own", "coordinator"), 403)])
async def test_only_a_privacy_officer_looks_up_and_exports(
    platform: OfficerPlatform, staff: dict[str, str], scopes: tuple[str, ...], expected: int
) -> None:
    contact = person()
    ref = await ref_of(platform, await submit(platform, staff, question(contact)))
    key = await platform.key(*scopes) if scopes else {}
    assert (await look_up(platform, key, email=contact["email"])).status_code == expected
    for path in (f"/api/v1/residents/{ref}/export", f"/api/v1/residents/{ref}/export.html"):
        assert (await platform.intake.client.get(path, headers=key)).status_code == expected


async def test_an_officer_of_one_municipality_finds_and_exports_its_residents_only(
    platform: OfficerPlatform, staff: dict[str, str]
) -> None:
    dordrecht = await platform.key("privacy-officer", municipality="GM0505")
    contact = person()
    elsewhere = await ref_of(platform, await submit(platform, staff, question(contact, "GM1978")))

    assert (await look_up(platform, dordrecht, email=contact["email"])).json()["matches"] == []
    assert (
        await platform.intake.client.get(f"/api/v1/residents/{elsewhere}/export", headers=dordrecht)
    ).status_code == 404
    html = await platform.intake.client.get(f"/api/v1/residents/{elsewhere}/export.html", headers=dordrecht)
    assert html.status_code == 404

    await submit(platform, staff, question(contact, "GM0505"))  # now also a resident of Dordrecht
    assert [
        m["resident_ref"] for m in (await look_up(platform, dordrecht, email=contact["email"])).json()["matches"]
    ] == [elsewhere]
    assert (
        await platform.intake.client.get(f"/api/v1/residents/{elsewhere}/export", headers=dordrecht)
    ).status_code == 200


# --- the export -----------------------------------------------------------------------------------


async def a_resident_with_a_history(
    platform: OfficerPlatform, staff: dict[str, str], settings: Settings
) -> dict[str, Any]:
    """Two questions: one waiting (a mail went out) and then supported; one withdrawn with a note."""
    contact = person()
    body = question(contact)
    first = await submit(platform, staff, body)
    ref = await ref_of(platform, first)
    waiting = QuestionWaiting(question_id=first, municipality="GM0505", eligible_supporters=0, since=datetime.now(UTC))
    await publish(settings, ASSIGNMENTS, from_model(waiting, source="/samenloket/matching"))

    async def mailed() -> bool:
        rows = await platform.notifications.runtime.db.fetch(
            "SELECT status FROM deliveries WHERE question_id = $1 AND template = 'resident_waiting'", first
        )
        status = await platform.intake.runtime.db.fetchval(
            "SELECT status FROM questions WHERE question_id = $1", uuid.UUID(first)
        )
        return [r["status"] for r in rows] == ["sent"] and status == "waiting"

    await eventually(mailed)
    async with platform.intake.runtime.db.acquire() as conn:
        await experiences_store.remember_assignment(
            conn, first, str(uuid.uuid4()), "mee-plus", "professional", datetime.now(UTC)
        )
    second = await submit(platform, staff, question(contact))
    withdrawn = await platform.intake.client.post(
        f"/api/v1/questions/{second}/withdraw", json={"reason": NOTE}, headers=staff
    )
    assert withdrawn.status_code == 200, withdrawn.text
    return {"ref": ref, "contact": contact, "first": first, "second": second, "description": body["description"]}


async def test_the_export_holds_everything_intake_knows_and_the_messages_sent(
    platform: OfficerPlatform,
    staff: dict[str, str],
    officer: dict[str, str],
    settings: Settings,
    mailbox: MailBox,
) -> None:
    made = await a_resident_with_a_history(platform, staff, settings)
    contact = made["contact"]

    response = await platform.intake.client.get(f"/api/v1/residents/{made['ref']}/export", headers=officer)

    assert response.status_code == 200, response.text
    export = response.json()
    assert export["resident_ref"] == made["ref"] and export["retention_years"] == 2
    assert {k: export["contact"][k] for k in ("name", "email", "phone")} == {
        k: contact[k] for k in ("name", "email", "phone")
    }
    first, second = export["questions"]
    assert first["question_id"] == made["first"] and first["description"] == made["description"]
    assert first["status"] == "waiting" and [h["status"] for h in first["history"]] == ["received", "waiting"]
    assert first["languages"] == ["nl", "tr"] and first["life_domains"] == ["wmo", "housing"]
    assert [(s["organisation"], s["supporter_kind"]) for s in first["supports"]] == [("mee-plus", "professional")]
    assert second["status"] == "withdrawn" and second["history"][-1]["note"] == NOTE
    # The mail notifications sent, without its address.
    assert mailbox.to(contact["email"]), "the waiting mail arrived"
    # The confirmation (and any other resident mail) is listed too; the waiting mail is the one asked about.
    [message] = [m for m in export["messages"] if m["template"] == "resident_waiting"]
    assert all(contact["email"] not in repr(m) for m in export["messages"])
    assert {k: message[k] for k in ("question_id", "recipient_role", "channel", "template", "status")} == {
        "question_id": made["first"],
        "recipient_role": "resident",
        "channel": "email",
        "template": "resident_waiting",
        "status": "sent",
    }
    assert contact["email"] not in json.dumps(export["messages"])
    assert export["messages_unavailable"] is None
    # Who read their data: notifications for the mail, and this export itself. The second question's
    # confirmation may still be read for while the export runs, so the export's own entry need not be
    # the newest.
    actions = [(e["action"], e["purpose"]) for e in export["audit"]]
    assert ("resident.export", "access") in actions
    assert ("contact.read", "notification") in actions
    assert export["sealed_dead_letters"] == 0


async def test_the_export_page_is_dutch_and_names_everything(
    platform: OfficerPlatform, staff: dict[str, str], officer: dict[str, str], settings: Settings
) -> None:
    made = await a_resident_with_a_history(platform, staff, settings)

    response = await platform.intake.client.get(f"/api/v1/residents/{made['ref']}/export.html", headers=officer)

    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store" and "noindex" in response.headers["x-robots-tag"]
    html = response.text
    for text in (
        "Uw gegevens bij het Samenloket",
        made["contact"]["name"],
        made["contact"]["email"],
        made["description"],
        "Op de wachtlijst",
        "Hulp en zorg thuis (Wmo)",
        "Dordrecht",
        "Turks",
        "Beroepskracht van MEE Plus",  # the region's name of the organisation, never its id
        "U staat op de wachtlijst",
        "Ingetrokken",
        NOTE,
        "Uw contactgegevens gelezen",
        "Dit overzicht gemaakt",
        "2 jaar nadat uw laatste vraag is afgerond",
        "Autoriteit Persoonsgegevens",
    ):
        assert text in html, text
    assert 'lang="nl"' in html and "/static/privacy.css" in html
    exports = await platform.intake.runtime.db.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'resident.export' AND resident_ref = $1", ref_digest(made["ref"])
    )
    assert exports == 1


async def test_when_notifications_does_not_answer_the_export_says_so(
    platform: OfficerPlatform, staff: dict[str, str], officer: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = await ref_of(platform, await submit(platform, staff, question(person())))
    deliveries = platform.intake.runtime.container.privacy_officer.deliveries
    monkeypatch.setattr(deliveries, "url", "http://127.0.0.1:9/internal/v1/deliveries/by-question")

    export = (await platform.intake.client.get(f"/api/v1/residents/{ref}/export", headers=officer)).json()
    page = (await platform.intake.client.get(f"/api/v1/residents/{ref}/export.html", headers=officer)).text

    assert export["messages"] is None and "notifications did not answer" in export["messages_unavailable"]
    assert export["questions"] and "Wij konden de berichten nu niet ophalen" in page


async def test_an_erased_or_unknown_resident_has_no_export(
    platform: OfficerPlatform, staff: dict[str, str], officer: dict[str, str]
) -> None:
    ref = await ref_of(platform, await submit(platform, staff, question(person())))
    assert (await platform.intake.client.delete(f"/api/v1/residents/{ref}", headers=officer)).status_code == 202
    for unknown in (ref, str(uuid.uuid4()), "geen-ref"):
        response = await platform.intake.client.get(f"/api/v1/residents/{unknown}/export", headers=officer)
        assert response.status_code == 404 and "niet bekend" in response.json()["detail"]


async def test_notifications_lists_deliveries_to_internal_callers_only(platform: OfficerPlatform) -> None:
    client = platform.notifications.client
    body = {"question_ids": [str(uuid.uuid4())]}
    assert (await client.post("/internal/v1/deliveries/by-question", json=body)).status_code == 401
    ok = await client.post(
        "/internal/v1/deliveries/by-question", json=body, headers={"Authorization": "Bearer test-internal-token"}
    )
    assert ok.status_code == 200 and ok.json() == {"deliveries": []}
    too_many = {"question_ids": [str(uuid.uuid4()) for _ in range(201)]}
    refused = await client.post(
        "/internal/v1/deliveries/by-question", json=too_many, headers={"Authorization": "Bearer test-internal-token"}
    )
    assert refused.status_code == 422
