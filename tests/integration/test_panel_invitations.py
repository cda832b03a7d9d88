""" "Ik wil meedenken" across intake and notifications (issue 16), on real PostgreSQL, the real broker,
intake served over HTTP (notifications reads the contact from it) and a real SMTP receiver.

A resident opts in on their own page with explicit consent; a council invites the panel to its
meeting; the invitation arrives at the SMTP receiver; the council's answers never hold an address,
a name or a question id; inviting again invites nobody twice; a resident who stopped is not
invited; erasure removes the membership.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from services.kit import access
from services.kit.settings import Settings
from tests.support.browser import serve_app
from tests.support.harness import RunningService, eventually, run_service
from tests.support.notifications import MailBox

pytestmark = pytest.mark.integration

INTERNAL = {"Authorization": "Bearer test-internal-token"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBJECT = "Denkt u mee? Uitnodiging van de adviesraad"


@dataclass
class System:
    intake: RunningService
    notifications: RunningService
    mailbox: MailBox


@pytest.fixture(scope="module")
async def system(settings: Settings, mailbox: MailBox) -> AsyncIterator[System]:
    roomy = settings.model_copy(update={"web_rate_limit": 1000, "suppression_threshold": 2})
    async with run_service("intake", roomy) as intake, serve_app(intake.app) as intake_url:
        mail = settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": mailbox.port, "smtp_tls": "none", "intake_url": intake_url}
        )
        async with run_service("notifications", mail) as notifications:
            yield System(intake, notifications, mailbox)


async def key(svc: RunningService, organisation: str, scope: str, municipality: str | None = None) -> dict[str, str]:
    async with svc.runtime.db.acquire() as conn:
        made = await access.create_key(conn, organisation, [scope], municipality)
    return {"Authorization": f"Bearer {made}"}


async def resident(system: System, staff: dict[str, str]) -> tuple[str, dict[str, str], str]:
    """A resident of Dordrecht with a question on wmo: (question id, contact, path of their own page)."""
    tag = uuid.uuid4().hex[:8]
    contact = {"name": f"Joke Meedenker {tag}", "email": f"joke.{tag}@example.nl"}
    body: dict[str, Any] = {
        "municipality": "GM0505",
        "life_domains": ["wmo"],
        "description": "Ik zoek hulp bij de aanvraag voor huishoudelijke hulp.",
        "postcode": "3311",
        "channel": "phone",
        "contact": contact,
        "consent": {"share_with_supporter": True},
    }
    submitted = await system.intake.client.post("/api/v1/questions", json=body, headers=staff)
    assert submitted.status_code == 202, submitted.text
    question_id: str = submitted.json()["question_id"]
    link = await system.intake.client.post(f"/internal/v1/questions/{question_id}/status-link", headers=INTERNAL)
    url: str = link.json()["url"]
    return question_id, contact, url[url.index("/mijn-vraag/") :]


async def opt_in(system: System, page: str, **form: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=system.intake.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as browser:
        loaded = await browser.get(f"{page}/meedenken")
        assert loaded.status_code == 200 and "Ik wil meedenken" in loaded.text
        assert "krijgen uw naam, e-mailadres of\ntelefoonnummer <strong>niet</strong>" in loaded.text
        token = CSRF.search(loaded.text)
        assert token
        return await browser.post(f"{page}/meedenken", data={"csrf_token": token.group(1), **form})


async def stop(system: System, page: str) -> None:
    transport = httpx.ASGITransport(app=system.intake.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as browser:
        loaded = await browser.get(f"{page}/meedenken")
        token = CSRF.search(loaded.text)
        assert token
        stopped = await browser.post(f"{page}/meedenken/stoppen", data={"csrf_token": token.group(1)})
        assert stopped.status_code == 303


async def plan_meeting(system: System, council: dict[str, str]) -> str:
    body = {"planned_for": (date.today() + timedelta(days=30)).isoformat(), "municipality": "GM0505"}
    planned = await system.intake.client.post("/api/v1/council/meetings", json=body, headers=council)
    assert planned.status_code == 201, planned.text
    meeting_id: str = planned.json()["meeting_id"]
    return meeting_id


async def test_a_council_invites_its_panel_and_never_sees_who(system: System) -> None:
    staff = await key(system.intake, "loket", "staff")
    council = await key(system.intake, "adviesraad-dordrecht", "council", "GM0505")
    joining_q, joining, joining_page = await resident(system, staff)
    _, hesitant, hesitant_page = await resident(system, staff)

    # Without the consent tick nothing is stored; with it, the resident is on the panel.
    refused = await opt_in(system, hesitant_page, life_domains="wmo")
    assert refused.status_code == 422 and "Zet een vinkje als wij u mogen uitnodigen." in refused.text
    joined = await opt_in(system, joining_page, life_domains="wmo", consent="yes")
    assert joined.status_code == 303 and joined.headers["location"].endswith("/meedenken?opgeslagen=ja")
    members = await system.intake.runtime.db.fetch("SELECT question_id::text, consent_version FROM panel_members")
    assert [m["question_id"] for m in members] == [joining_q] and members[0]["consent_version"]

    meeting_id = await plan_meeting(system, council)
    invited = await system.intake.client.post(
        "/api/v1/council/panel/invitations", json={"meeting_id": meeting_id}, headers=council
    )
    assert invited.status_code == 200, invited.text
    assert invited.json() == {"invited": 1, "invited_before": 0}

    async def arrived() -> list[Any]:
        return [m for m in system.mailbox.to(joining["email"]) if m["Subject"] == SUBJECT]

    found = await eventually(arrived, timeout=30)
    assert isinstance(found, list)
    [mail] = found
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert joining["name"] in text and "De adviesraad weet niet wie u bent." in text
    assert [m for m in system.mailbox.to(hesitant["email"]) if m["Subject"] == SUBJECT] == []

    # Inviting again invites nobody twice; what the council reads never holds who.
    again = await system.intake.client.post(
        "/api/v1/council/panel/invitations", json={"meeting_id": meeting_id}, headers=council
    )
    assert again.json() == {"invited": 0, "invited_before": 1}
    seen = [
        invited.text,
        again.text,
        (await system.intake.client.get("/api/v1/council/panel", headers=council)).text,
        (await system.intake.client.get("/api/v1/council/meetings", headers=council)).text,
    ]
    for secret in (joining["email"], joining["name"], joining_q):
        assert not any(secret in body for body in seen), secret
    panel = (await system.intake.client.get("/api/v1/council/panel", headers=council)).json()
    wmo = next(t for t in panel["themes"] if t["life_domain"] == "wmo")
    assert wmo == {"life_domain": "wmo", "panel": "minder dan 2", "supported": "2"}

    # Another council's meeting is not this council's to invite to.
    other = await key(system.intake, "clientenraad-mee", "council", "GM0505")
    foreign = await system.intake.client.post(
        "/api/v1/council/panel/invitations", json={"meeting_id": meeting_id}, headers=other
    )
    assert foreign.status_code == 404

    # A resident who stopped is not invited to the next meeting; erasure removes the membership.
    await stop(system, joining_page)
    later = await plan_meeting(system, council)
    none = await system.intake.client.post(
        "/api/v1/council/panel/invitations", json={"meeting_id": later}, headers=council
    )
    assert none.json() == {"invited": 0, "invited_before": 0}
    ref = str(
        await system.intake.runtime.db.fetchval(
            "SELECT resident_ref FROM questions WHERE question_id = $1", uuid.UUID(joining_q)
        )
    )
    officer = await key(system.intake, "privacy", "privacy-officer")
    assert (await system.intake.client.delete(f"/api/v1/residents/{ref}", headers=officer)).status_code == 202
    assert await system.intake.runtime.db.fetchval("SELECT count(*) FROM panel_members") == 0


def browser(system: System) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=system.intake.app), base_url="http://intake.test")


async def answer(client: httpx.AsyncClient, path: str, **choices: str) -> httpx.Response:
    loaded = await client.get(path)
    assert loaded.status_code == 200, loaded.text
    token = CSRF.search(loaded.text)
    assert token
    return await client.post(path, data={"csrf_token": token.group(1), **choices})


async def test_a_council_polls_its_panel_and_the_public_anonymously_counting_each_invitation_once(
    system: System,
) -> None:
    staff = await key(system.intake, "loket", "staff")
    council = await key(system.intake, "adviesraad-dordrecht", "council", "GM0505")
    _, member, page = await resident(system, staff)
    assert (await opt_in(system, page, life_domains="wmo", consent="yes")).status_code == 303
    poll = {
        "title": "Hoe vindt u het Wmo-loket?",
        "life_domain": "wmo",
        "audience": "panel",
        "questions": [{"text": "Kon u het loket goed bereiken?", "choices": ["Ja", "Nee"]}],
    }
    created = await system.intake.client.post("/api/v1/council/polls", json=poll, headers=council)
    assert created.status_code == 201, created.text
    poll_id = created.json()["poll_id"]
    invited = await system.intake.client.post(
        "/api/v1/council/panel/invitations", json={"poll_id": poll_id}, headers=council
    )
    assert invited.json() == {"invited": 1, "invited_before": 0}, invited.text

    async def arrived() -> list[Any]:
        return [m for m in system.mailbox.to(member["email"]) if m["Subject"] == SUBJECT]

    found = await eventually(arrived, timeout=30)
    assert isinstance(found, list)
    text = found[0].get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+/peiling/\S+", text)
    assert link, text
    path = link.group()[link.group().index("/peiling/") :]

    async with browser(system) as client:
        first = await answer(client, path, q0="0")
        assert first.status_code == 200 and "Bedankt voor uw antwoorden" in first.text
        second = await answer(client, path, q0="1")
        assert "U heeft deze vragen al beantwoord" in second.text
        forged = await client.get(path[: path.rindex("/")] + "/niet-het-goede-token")
        assert forged.status_code == 404
    assert await system.intake.runtime.db.fetchval("SELECT count(*) FROM poll_answers") == 1
    results = (await system.intake.client.get(f"/api/v1/council/polls/{poll_id}", headers=council)).json()
    assert results["results"]["answers"] == "minder dan 2"  # one answer: nothing to read yet
    assert results["results"]["questions"][0]["choices"][0]["count"] == "verborgen"

    public = await system.intake.client.post(
        "/api/v1/council/polls", json=poll | {"audience": "public"}, headers=council
    )
    public_page = public.json()["page"]
    for _ in range(2):
        async with browser(system) as client:
            missing = await answer(client, public_page)
            assert missing.status_code == 422 and "Kies bij elke vraag één antwoord." in missing.text
            assert "Bedankt voor uw antwoorden" in (await answer(client, public_page, q0="0")).text
            assert "al beantwoord" in (await client.get(public_page)).text  # one browser, one answer
    counted = await system.intake.client.get(f"/api/v1/council/polls/{public.json()['poll_id']}", headers=council)
    choices = counted.json()["results"]["questions"][0]["choices"]
    assert counted.json()["results"]["answers"] == "2" and [c["count"] for c in choices] == ["2", "0"]
    other = await key(system.intake, "clientenraad-mee", "council", "GM0505")
    assert (await system.intake.client.get(f"/api/v1/council/polls/{poll_id}", headers=other)).status_code == 404


async def test_the_council_invites_its_panel_from_its_page(system: System) -> None:
    staff = await key(system.intake, "loket", "staff")
    council_key = (await key(system.intake, "adviesraad-dordrecht", "council", "GM0505"))["Authorization"][7:]
    _, member, page = await resident(system, staff)
    assert (await opt_in(system, page, life_domains="wmo", consent="yes")).status_code == 303
    meeting_id = await plan_meeting(system, {"Authorization": f"Bearer {council_key}"})
    async with browser(system) as client:
        login = await client.get("/adviesraad/inloggen")
        token = CSRF.search(login.text)
        assert token
        signed = await client.post(
            "/adviesraad/inloggen", data={"csrf_token": token.group(1), "api_key": council_key, "terug": "/adviesraad"}
        )
        assert signed.status_code == 303
        overview = await client.get("/adviesraad")
        assert "Meedenken en peilingen" in overview.text and f"meeting:{meeting_id}" in overview.text
        assert member["email"] not in overview.text and member["name"] not in overview.text
        token = CSRF.search(overview.text)
        assert token
        sent = await client.post(
            "/adviesraad/meedenken/uitnodigen",
            data={"csrf_token": token.group(1), "onderwerp": f"meeting:{meeting_id}"},
        )
        assert sent.status_code == 303
        done = await client.get(sent.headers["location"])
        assert "De uitnodigingen zijn verstuurd." in done.text and member["email"] not in done.text
        wrong = await client.post(
            "/adviesraad/meedenken/uitnodigen",
            data={"csrf_token": token.group(1), "onderwerp": f"meeting:{uuid.uuid4()}"},
        )
        assert wrong.status_code == 404

    async def arrived() -> list[Any]:
        return [m for m in system.mailbox.to(member["email"]) if m["Subject"] == SUBJECT]

    assert await eventually(arrived, timeout=30)
