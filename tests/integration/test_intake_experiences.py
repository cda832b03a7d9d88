"""Participation in intake on real PostgreSQL and a real broker.

The age band travels with a question; matching's assignment events move a question to accepted and
closed (a duo: when both ended); notifications' internal call gets a personal link; the resident
shares an experience over HTTP (with the CSRF flow) and ExperienceShared carries nothing personal;
erasure of the resident removes the link.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from contracts.envelope import CloudEvent, from_model
from contracts.events import (
    AssignmentAccepted,
    AssignmentDeclined,
    ExperienceShared,
    QuestionReceived,
    Reason,
    ReferralStatusChanged,
    ReferralSubmitted,
    SupportEnded,
    SupporterAssigned,
)
from contracts.topics import ASSIGNMENTS, EXPERIENCES, QUESTIONS, REFERRALS_INBOUND, REFERRALS_STATUS
from services.intake.experiences import domain
from services.kit import access
from services.kit.settings import Settings
from tests.support.harness import RunningService, events_of, eventually, publish, read_topic, run_service
from tests.support.privacy import find_anywhere

pytestmark = pytest.mark.integration

MATCHING = "/samenloket/matching"
INTERNAL = {"Authorization": "Bearer test-internal-token"}
ENDED = Reason(code="completed", text="De ondersteuning is afgerond.")


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[RunningService]:
    # Every form post here comes from one client address: a roomy rate limit (it has tests of its own).
    roomy = settings.model_copy(update={"web_rate_limit": 1000, "intake_url": "https://loket.example.nl"})
    async with run_service("intake", roomy) as service:
        yield service


async def key_with(intake: RunningService, *scopes: str) -> dict[str, str]:
    async with intake.runtime.db.acquire() as conn:
        key = await access.create_key(conn, f"org-{uuid.uuid4().hex[:8]}", list(scopes))
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
async def staff(intake: RunningService) -> dict[str, str]:
    return await key_with(intake, "staff")


def person() -> dict[str, Any]:
    tag = uuid.uuid4().hex[:10]
    return {"name": f"Gerda Ervaring {tag}", "email": f"gerda.{tag}@example.nl"}


def question(contact: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "municipality": "GM0590",
        "life_domains": ["wmo", "housing"],
        "description": f"Ik zoek hulp bij een aanpassing in huis {uuid.uuid4().hex}.",
        "postcode": "3351",
        "channel": "phone",
        "contact": contact,
        "consent": {"share_with_supporter": True},
        "age_band": "65_74",
    }
    return body | changes


async def submit(intake: RunningService, staff: dict[str, str], body: dict[str, Any]) -> str:
    response = await intake.client.post("/api/v1/questions", json=body, headers=staff)
    assert response.status_code == 202, response.text
    question_id: str = response.json()["question_id"]
    return question_id


# --- matching's events --------------------------------------------------------------------------------


def assigned(question_id: str, kind: str = "professional", organisation: str = "mee-plus") -> SupporterAssigned:
    now = datetime.now(UTC)
    return SupporterAssigned(
        question_id=question_id,
        assignment_id=str(uuid.uuid4()),
        supporter_id=str(uuid.uuid4()),
        organisation=organisation,
        supporter_kind=kind,  # type: ignore[arg-type]
        municipality="GM0590",
        score=0.8,
        received_at=now,
        assigned_at=now,
    )


def step(kind: type[AssignmentAccepted | SupportEnded | AssignmentDeclined], a: SupporterAssigned) -> Any:
    now = datetime.now(UTC)
    common = {
        "question_id": a.question_id,
        "assignment_id": a.assignment_id,
        "supporter_id": a.supporter_id,
        "organisation": a.organisation,
        "municipality": a.municipality,
    }
    if kind is AssignmentAccepted:
        return AssignmentAccepted(**common, accepted_at=now)
    if kind is AssignmentDeclined:
        return AssignmentDeclined(**common, declined_by="supporter", reason=ENDED, declined_at=now)
    return SupportEnded(**common, reason=ENDED, ended_at=now)


async def send(settings: Settings, *events: Any) -> list[CloudEvent]:
    sent = [from_model(e, source=MATCHING) for e in events]
    for event in sent:
        await publish(settings, ASSIGNMENTS, event)
    return sent


async def handled(intake: RunningService, events: list[CloudEvent]) -> None:
    ids = [e.id for e in events]

    async def done() -> bool:
        count = await intake.runtime.db.fetchval("SELECT count(*) FROM inbox WHERE event_id = ANY($1)", ids)
        return bool(count == len(ids))

    await eventually(done)


async def history(intake: RunningService, staff: dict[str, str], question_id: str) -> list[str]:
    view = (await intake.client.get(f"/api/v1/questions/{question_id}", headers=staff)).json()
    return [h["status"] for h in view["history"]]


async def ended_question(
    intake: RunningService, staff: dict[str, str], settings: Settings, contact: dict[str, Any] | None = None
) -> str:
    """A question whose (single) support was accepted and ended."""
    question_id = await submit(intake, staff, question(contact or person()))
    a = assigned(question_id)
    await handled(intake, await send(settings, a, step(AssignmentAccepted, a), step(SupportEnded, a)))
    return question_id


# --- the resident's side over HTTP ------------------------------------------------------------------


async def invite(intake: RunningService, question_id: str) -> httpx.Response:
    return await intake.client.post(f"/internal/v1/questions/{question_id}/experience-invitation", headers=INTERNAL)


def path_of(url: str) -> str:
    assert url.startswith("https://loket.example.nl/ervaring/"), url
    return url.removeprefix("https://loket.example.nl")


async def open_form(client: httpx.AsyncClient, path: str) -> str:
    """Load the form as a browser would (the client keeps the cookie); the page's CSRF token."""
    page = await client.get(path)
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


async def post_form(client: httpx.AsyncClient, path: str, token: str, **fields: str) -> httpx.Response:
    return await client.post(path, data={"csrf_token": token, **fields})


def resident_client(intake: RunningService) -> httpx.AsyncClient:
    """A fresh 'browser': no API key, its own cookie jar."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=intake.app), base_url="http://intake.test")


# --- tests ------------------------------------------------------------------------------------------


async def test_the_age_band_is_stored_and_announced(
    intake: RunningService, staff: dict[str, str], settings: Settings
) -> None:
    with_band = await submit(intake, staff, question(person()))
    without = await submit(intake, staff, question(person(), age_band=None))
    bands = await intake.runtime.db.fetch(
        "SELECT question_id::text AS id, age_band FROM questions WHERE question_id = ANY($1::uuid[])",
        [with_band, without],
    )
    assert {r["id"]: r["age_band"] for r in bands} == {with_band: "65_74", without: None}

    records = await read_topic(
        settings,
        QUESTIONS,
        until=lambda rs: {with_band, without} <= {e.subject for e in events_of(rs, QuestionReceived.ce_type)},
    )
    announced = {e.subject: e.data for e in events_of(records, QuestionReceived.ce_type)}
    assert announced[with_band]["age_band"] == "65_74"
    assert announced[without]["age_band"] is None

    refused = await intake.client.post("/api/v1/questions", json=question(person(), age_band="40"), headers=staff)
    assert refused.status_code == 422
    assert "age_band" in refused.text


async def test_a_referral_carries_the_age_band_and_the_referrer_hears_accepted_and_closed(
    intake: RunningService, settings: Settings
) -> None:
    tag = uuid.uuid4().hex[:10]
    referral = ReferralSubmitted.model_validate(
        question(person(), channel="partner", age_band="18_26")
        | {"partner_reference": f"WT-{tag}", "referrer": "wijkteam-sliedrecht"}
    )
    await publish(settings, REFERRALS_INBOUND, from_model(referral, source="/partners/wijkteam-sliedrecht"))

    async def referred() -> Any:
        return await intake.runtime.db.fetchrow(
            "SELECT question_id::text AS id, age_band FROM questions WHERE partner_reference = $1", f"WT-{tag}"
        )

    row = await eventually(referred)
    question_id, band = row["id"], row["age_band"]  # type: ignore[index]
    assert band == "18_26"
    a = assigned(question_id)
    await handled(intake, await send(settings, a, step(AssignmentAccepted, a), step(SupportEnded, a)))

    def told(rs: list[Any]) -> list[dict[str, Any]]:
        return [e.data for e in events_of(rs, ReferralStatusChanged.ce_type) if e.data["question_id"] == question_id]

    records = await read_topic(settings, REFERRALS_STATUS, until=lambda rs: len(told(rs)) == 4)
    changes = told(records)
    assert [(c["previous_status"], c["status"]) for c in changes] == [
        (None, "received"),
        ("received", "assigned"),
        ("assigned", "accepted"),
        ("accepted", "closed"),
    ]
    assert changes[-1]["reason"] == {"code": "completed", "text": "De ondersteuning is afgerond."}
    assert all(c["partner_reference"] == f"WT-{tag}" for c in changes)


async def test_invitation_needs_the_internal_token_and_ended_support(
    intake: RunningService, staff: dict[str, str], settings: Settings
) -> None:
    question_id = await submit(intake, staff, question(person()))
    no_token = await intake.client.post(f"/internal/v1/questions/{question_id}/experience-invitation")
    wrong = await intake.client.post(
        f"/internal/v1/questions/{question_id}/experience-invitation", headers={"Authorization": "Bearer nope"}
    )
    api_key = await intake.client.post(f"/internal/v1/questions/{question_id}/experience-invitation", headers=staff)
    assert (no_token.status_code, wrong.status_code, api_key.status_code) == (401, 401, 401)
    assert (await invite(intake, str(uuid.uuid4()))).status_code == 404
    assert (await invite(intake, "not-a-question")).status_code == 422

    # Received, then assigned and accepted: support has not ended.
    assert (await invite(intake, question_id)).json() == {
        "detail": "Support for this question has not ended (yet).",
        "code": "support_not_ended",
    }
    a = assigned(question_id, kind="volunteer", organisation="ouderplatform")
    await handled(intake, await send(settings, a, step(AssignmentAccepted, a)))
    early = await invite(intake, question_id)
    assert (early.status_code, early.json()["code"]) == (409, "support_not_ended")
    assert await history(intake, staff, question_id) == ["received", "assigned", "accepted"]

    await handled(intake, await send(settings, step(SupportEnded, a)))
    assert await history(intake, staff, question_id) == ["received", "assigned", "accepted", "closed"]
    response = await invite(intake, question_id)
    assert response.status_code == 200, response.text
    body = response.json()
    token = path_of(body["url"]).removeprefix("/ervaring/")
    assert domain.looks_like_token(token)
    expires = datetime.fromisoformat(body["expires_at"])
    assert 59 * 86400 < (expires - datetime.now(UTC)).total_seconds() <= 60 * 86400
    # Only the token's digest is stored.
    stored = await intake.runtime.db.fetchval(
        "SELECT token_digest FROM experience_invitations WHERE question_id = $1", uuid.UUID(question_id)
    )
    assert stored == domain.token_digest(token)
    assert await find_anywhere(intake.runtime.settings.database_url, [token]) == []

    # A new call gives a new link; the earlier one stops working.
    newer = path_of((await invite(intake, question_id)).json()["url"])
    async with resident_client(intake) as browser:
        assert (await browser.get(path_of(body["url"]))).status_code == 404
        assert (await browser.get(newer)).status_code == 200


async def test_a_resident_shares_an_experience_once_and_the_event_is_anonymous(
    intake: RunningService, staff: dict[str, str], settings: Settings
) -> None:
    contact = person()
    question_id = await submit(intake, staff, question(contact))
    a = assigned(question_id, kind="experience_expert", organisation="ouderplatform")
    await handled(intake, await send(settings, a, step(AssignmentAccepted, a), step(SupportEnded, a)))
    link = path_of((await invite(intake, question_id)).json()["url"])
    text = f"Fijn dat er iemand naast me stond. Het duurde wel lang {uuid.uuid4().hex}."

    async with resident_client(intake) as browser:
        csrf = await open_form(browser, link)
        page = (await browser.get(link)).text
        assert "Hoe ging de hulp?" in page and "Ik wist waar ik terecht kon" in page
        assert contact["name"] not in page and question_id not in page
        # Without the CSRF token nothing is stored.
        forged = await browser.post(link, data={"score": "9"})
        assert forged.status_code == 403 and "Dit formulier is verlopen" in forged.text
        # No score: the form comes back with a Dutch error and what was chosen.
        missing = await post_form(browser, link, csrf, knew_where_to_go="agree", text=text)
        assert missing.status_code == 422
        assert "Kies een rapportcijfer van 1 tot en met 10." in missing.text
        assert 'id="knew_where_to_go-agree" name="knew_where_to_go" value="agree" checked' in missing.text
        assert text in missing.text

        shared = await post_form(
            browser,
            link,
            csrf,
            knew_where_to_go="agree",
            helped_quickly="disagree",
            supporter_on_my_side="skip",
            score="7",
            text=text,
        )
        assert shared.status_code == 303 and shared.headers["location"] == "/ervaring/bedankt"
        thanks = await browser.get("/ervaring/bedankt")
        assert thanks.status_code == 200 and "Bedankt voor uw ervaring" in thanks.text

        # The link is spent: the form and a second submission are refused kindly.
        again = await post_form(browser, link, csrf, score="1")
        assert again.status_code == 410 and "U heeft uw ervaring al gedeeld" in again.text
        assert (await browser.get(link)).status_code == 410

    second = await invite(intake, question_id)
    assert (second.status_code, second.json()["code"]) == (409, "already_shared")
    assert await intake.runtime.db.fetchval("SELECT count(*) FROM experiences WHERE score = 1") == 0

    # Stored with the text sealed; linked to its question only through question_experiences.
    row = await intake.runtime.db.fetchrow(
        "SELECT e.* FROM experiences e JOIN question_experiences q USING (experience_id) WHERE q.question_id = $1",
        uuid.UUID(question_id),
    )
    assert row is not None and row["text"] and text not in row["text"]
    vault = intake.runtime.container.intake.vault
    assert vault.open_text("experiences", "text", str(row["experience_id"]), row["text"]) == text
    assert await find_anywhere(intake.runtime.settings.database_url, [text]) == []  # nowhere in plain text
    experience_id = str(row["experience_id"])

    records = await read_topic(
        settings,
        EXPERIENCES,
        until=lambda rs: any(e.subject == experience_id for e in events_of(rs, ExperienceShared.ce_type)),
    )
    [record] = [r for r in records if r.key == experience_id.encode()]
    event = ExperienceShared.model_validate_json(record.value)
    assert event.statements.model_dump() == {
        "knew_where_to_go": "agree",
        "helped_quickly": "disagree",
        "supporter_on_my_side": None,
    }
    assert (event.score, event.has_text, event.municipality, event.life_domains, event.age_band) == (
        7,
        True,
        "GM0590",
        ["wmo", "housing"],
        "65_74",
    )
    assert (event.organisation, event.supporter_kind) == ("ouderplatform", "experience_expert")
    resident_ref = str(
        await intake.runtime.db.fetchval(
            "SELECT resident_ref FROM questions WHERE question_id = $1", uuid.UUID(question_id)
        )
    )
    everything = record.value + b"".join(v for _, v in record.headers)
    for secret in (question_id, resident_ref, contact["name"], contact["email"], text, a.supporter_id):
        assert secret.encode() not in everything, secret


async def test_a_duo_closes_when_both_ended_and_the_resident_is_invited_after_the_first(
    intake: RunningService, staff: dict[str, str], settings: Settings
) -> None:
    question_id = await submit(intake, staff, question(person()))
    lead = assigned(question_id)
    partner = assigned(question_id, kind="volunteer", organisation="ouderplatform")
    declined = assigned(question_id, kind="volunteer", organisation="humanitas")
    await handled(
        intake,
        await send(
            settings,
            lead,
            declined,
            step(AssignmentDeclined, declined),
            partner,
            step(AssignmentAccepted, lead),
            step(AssignmentAccepted, partner),
            step(SupportEnded, lead),
        ),
    )
    assert (await history(intake, staff, question_id))[-1] == "accepted"  # the volunteer still supports
    link = path_of((await invite(intake, question_id)).json()["url"])

    await handled(intake, await send(settings, step(SupportEnded, partner)))
    assert (await history(intake, staff, question_id))[-1] == "closed"
    kept = await intake.runtime.db.fetch(
        "SELECT organisation, supporter_kind, declined_at IS NOT NULL AS declined, ended_at IS NOT NULL AS ended"
        " FROM question_supports WHERE question_id = $1 ORDER BY organisation",
        uuid.UUID(question_id),
    )
    assert [tuple(r) for r in kept] == [
        ("humanitas", "volunteer", True, False),
        ("mee-plus", "professional", False, True),
        ("ouderplatform", "volunteer", False, True),
    ]

    async with resident_client(intake) as browser:
        csrf = await open_form(browser, link)
        assert (await post_form(browser, link, csrf, score="10")).status_code == 303
    found = await intake.runtime.db.fetchrow(
        "SELECT e.organisation, e.supporter_kind, e.text FROM experiences e"
        " JOIN question_experiences q USING (experience_id) WHERE q.question_id = $1",
        uuid.UUID(question_id),
    )
    assert tuple(found) == ("mee-plus", "professional", None)  # the lead, and no text given


async def test_expired_and_unknown_links_get_a_friendly_page(
    intake: RunningService, staff: dict[str, str], settings: Settings
) -> None:
    question_id = await ended_question(intake, staff, settings)
    link = path_of((await invite(intake, question_id)).json()["url"])
    await intake.runtime.db.execute(
        "UPDATE experience_invitations SET expires_at = now() - interval '1 minute' WHERE question_id = $1",
        uuid.UUID(question_id),
    )
    async with resident_client(intake) as browser:
        expired = await browser.get(link)
        assert expired.status_code == 410 and "Deze link is verlopen" in expired.text
        csrf = await open_form(browser, "/")  # a valid CSRF pair from another form of this site
        late = await post_form(browser, link, csrf, score="5")
        assert late.status_code == 410
        for unknown in ("/ervaring/" + domain.new_token(), "/ervaring/kort"):
            page = await browser.get(unknown)
            assert page.status_code == 404 and "Deze link werkt niet" in page.text
            assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert (
        await intake.runtime.db.fetchval(
            "SELECT count(*) FROM question_experiences WHERE question_id = $1", uuid.UUID(question_id)
        )
        == 0
    )


async def test_erasing_the_resident_removes_the_link_and_the_text_of_their_experience(
    intake: RunningService, staff: dict[str, str], settings: Settings
) -> None:
    contact = person()
    shared_q = await ended_question(intake, staff, settings, contact=contact)
    open_q = await ended_question(intake, staff, settings, contact=contact)
    shared_link = path_of((await invite(intake, shared_q)).json()["url"])
    open_link = path_of((await invite(intake, open_q)).json()["url"])
    async with resident_client(intake) as browser:
        csrf = await open_form(browser, shared_link)
        assert (await post_form(browser, shared_link, csrf, score="6", text="Het ging prima.")).status_code == 303
    ref = str(
        await intake.runtime.db.fetchval("SELECT resident_ref FROM questions WHERE question_id = $1", uuid.UUID(open_q))
    )

    officer = await key_with(intake, "privacy-officer")
    assert (await intake.client.delete(f"/api/v1/residents/{ref}", headers=officer)).status_code == 202

    assert (
        await intake.runtime.db.fetchval(
            "SELECT count(*) FROM experience_invitations WHERE question_id = ANY($1::uuid[])",
            [uuid.UUID(shared_q), uuid.UUID(open_q)],
        )
        == 0
    )
    async with resident_client(intake) as browser:
        assert (await browser.get(open_link)).status_code == 404
    refused = await invite(intake, open_q)
    assert (refused.status_code, refused.json()["code"]) == (409, "resident_erased")
    score, text = await intake.runtime.db.fetchrow(
        "SELECT e.score, e.text FROM experiences e JOIN question_experiences q USING (experience_id)"
        " WHERE q.question_id = $1",
        uuid.UUID(shared_q),
    )
    assert (score, text) == (6, None)  # the figure stays, the words go
