"""The resident's own page and the end of a question in intake, on real PostgreSQL and a real broker.

Every way a question ends (the resident on their page, the referring partner, staff, an erasure, the
last support ending, staff closing it) publishes one QuestionWithdrawn or QuestionClosed saying who
and why, in codes. The page: private links (only hashes stored), the same answer for every wrong link,
withdrawing with a confirm step (twice: the same page; a closed question: a clear message), choosing
how to be reached, a new link by e-mail (the same answer for every address, at most once a quarter
hour), and a budget of views per client.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from contracts.envelope import from_model
from contracts.events import (
    QuestionClosed,
    QuestionWithdrawn,
    Reason,
    ReferralStatusChanged,
    StatusLinkRequested,
    SupportEnded,
    SupporterAssigned,
)
from contracts.topics import ASSIGNMENTS, QUESTIONS, REFERRALS_STATUS
from services.kit import access
from services.kit.settings import Settings
from tests.support.harness import RunningService, events_of, eventually, publish, read_topic, run_service

pytestmark = pytest.mark.integration

INTERNAL = {"Authorization": "Bearer test-internal-token"}
MATCHING = "/samenloket/matching"
LOKET = {"loket_name": "Samenloket Drechtsteden", "loket_phone": "078 770 80 90", "loket_email": "info@sl.example"}


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[RunningService]:
    roomy = settings.model_copy(
        update={"web_rate_limit": 1000, "status_view_limit": 1000, "public_url": "https://loket.example.nl", **LOKET}
    )
    async with run_service("intake", roomy) as service:
        yield service


async def key_with(intake: RunningService, *scopes: str, org: str | None = None) -> dict[str, str]:
    async with intake.runtime.db.acquire() as conn:
        key = await access.create_key(conn, org or f"org-{uuid.uuid4().hex[:8]}", list(scopes))
    return {"Authorization": f"Bearer {key}"}


def body(**changes: Any) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:10]
    fields: dict[str, Any] = {
        "municipality": "GM0505",
        "life_domains": ["wmo"],
        "description": f"Ik zoek hulp bij mijn aanvraag {tag}.",
        "postcode": "3311",
        "channel": "phone",
        "contact": {"name": f"Inwoner {tag}", "email": f"inwoner.{tag}@example.nl", "phone": "0612345678"},
        "consent": {"share_with_supporter": True},
    }
    return fields | changes


async def submit(intake: RunningService, headers: dict[str, str], **changes: Any) -> str:
    response = await intake.client.post("/api/v1/questions", json=body(**changes), headers=headers)
    assert response.status_code == 202, response.text
    question_id: str = response.json()["question_id"]
    return question_id


async def link_for(intake: RunningService, question_id: str) -> str:
    """A private link as notifications gets one (the internal call); returns its path."""
    response = await intake.client.post(f"/internal/v1/questions/{question_id}/status-link", headers=INTERNAL)
    assert response.status_code == 200, response.text
    url: str = response.json()["url"]
    assert url.startswith("https://loket.example.nl/mijn-vraag/")
    return url.removeprefix("https://loket.example.nl")


def token_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


async def status_of(intake: RunningService, question_id: str) -> str:
    value: str = await intake.runtime.db.fetchval(
        "SELECT status FROM questions WHERE question_id = $1", uuid.UUID(question_id)
    )
    return value


async def withdraw_on_page(intake: RunningService, path: str, reason: str = "no_longer_needed") -> httpx.Response:
    confirm = await intake.client.get(f"{path}/intrekken")
    assert confirm.status_code == 200, confirm.text
    return await intake.client.post(f"{path}/intrekken", data={"csrf_token": token_of(confirm.text), "reason": reason})


# --- every end, announced ---------------------------------------------------------------------------


async def test_every_end_of_a_question_is_announced_once_saying_who_and_why(
    intake: RunningService, settings: Settings
) -> None:
    staff = await key_with(intake, "staff")
    partner_org = f"wijkteam-{uuid.uuid4().hex[:6]}"
    partner = await key_with(intake, "submit", org=partner_org)
    officer = await key_with(intake, "privacy-officer")

    by_resident = await submit(intake, staff)
    done = await withdraw_on_page(intake, await link_for(intake, by_resident))
    assert done.status_code == 303

    by_partner = await submit(intake, partner, channel="web")
    answer = await intake.client.post(
        f"/api/v1/questions/{by_partner}/withdraw", json={"reason": "Mevrouw is verhuisd."}, headers=partner
    )
    assert answer.status_code == 200 and answer.json()["status"] == "withdrawn"

    by_staff = await submit(intake, staff)
    answer = await intake.client.post(
        f"/api/v1/questions/{by_staff}/withdraw",
        json={"reason": "Heeft al hulp van de huisarts.", "reason_code": "helped_elsewhere"},
        headers=staff,
    )
    assert answer.status_code == 200

    erased = await submit(intake, staff)
    ref = await intake.runtime.db.fetchval(
        "SELECT resident_ref::text FROM questions WHERE question_id = $1", uuid.UUID(erased)
    )
    assert (await intake.client.delete(f"/api/v1/residents/{ref}", headers=officer)).status_code == 202

    support_ended = await submit(intake, staff)
    now = datetime.now(UTC)
    assigned = SupporterAssigned(
        question_id=support_ended,
        assignment_id=f"a-{support_ended}",
        supporter_id="s-1",
        organisation="mee",
        supporter_kind="professional",
        municipality="GM0505",
        score=0.9,
        received_at=now,
        assigned_at=now,
    )
    ended = SupportEnded(
        question_id=support_ended,
        assignment_id=f"a-{support_ended}",
        supporter_id="s-1",
        organisation="mee",
        municipality="GM0505",
        reason=Reason(code="completed", text="De ondersteuning is klaar."),
        ended_at=now,
    )
    await publish(settings, ASSIGNMENTS, from_model(assigned, source=MATCHING))
    await publish(settings, ASSIGNMENTS, from_model(ended, source=MATCHING))
    await eventually(lambda: _is(intake, support_ended, "closed"))

    by_staff_closed = await submit(intake, staff)
    closed = await intake.client.post(f"/api/v1/questions/{by_staff_closed}/close", headers=staff)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    again = await intake.client.post(f"/api/v1/questions/{by_staff_closed}/close", headers=staff)
    assert again.status_code == 200 and again.json()["status"] == "closed"
    refused = await intake.client.post(
        f"/api/v1/questions/{by_staff_closed}/withdraw", json={"reason": "Toch niet."}, headers=staff
    )
    assert refused.status_code == 409
    assert (await intake.client.post(f"/api/v1/questions/{by_resident}/close", headers=staff)).status_code == 409

    withdrawals = {by_resident, by_partner, by_staff, erased}
    closures = {support_ended, by_staff_closed}

    def complete(records: list[Any]) -> bool:
        seen = {e.subject for e in events_of(records, QuestionWithdrawn.ce_type)}
        seen |= {e.subject for e in events_of(records, QuestionClosed.ce_type)}
        return (withdrawals | closures) <= seen

    records = await read_topic(settings, QUESTIONS, until=complete)
    found = [e for e in events_of(records, QuestionWithdrawn.ce_type) if e.subject in withdrawals]
    assert len(found) == 4, "one QuestionWithdrawn per withdrawn question"
    why = {e.subject: (e.data["withdrawn_by"], e.data["reason"]["code"]) for e in found}
    assert why == {
        by_resident: ("resident", "no_longer_needed"),
        by_partner: ("partner", "by_referrer"),
        by_staff: ("staff", "helped_elsewhere"),
        erased: ("erasure", "erased"),
    }
    assert all(e.data["previous_status"] == "received" for e in found)
    texts = [str(e.data) for e in found]
    assert not any("verhuisd" in t or "huisarts" in t for t in texts), "a person's own words stay in intake"
    closes = [e for e in events_of(records, QuestionClosed.ce_type) if e.subject in closures]
    assert {e.subject: e.data["reason"]["code"] for e in closes} == {
        support_ended: "completed",
        by_staff_closed: "closed_by_staff",
    }
    assert len(closes) == 2
    # The referrer still hears it, as before.
    status = await read_topic(
        settings,
        REFERRALS_STATUS,
        until=lambda rs: any(
            e.data["question_id"] == by_partner and e.data["status"] == "withdrawn"
            for e in events_of(rs, ReferralStatusChanged.ce_type)
        ),
    )
    assert status


async def _is(intake: RunningService, question_id: str, status: str) -> bool:
    return await status_of(intake, question_id) == status


# --- the page -------------------------------------------------------------------------------------


async def test_the_page_shows_the_status_the_reference_and_the_loket_and_keeps_the_link_private(
    intake: RunningService,
) -> None:
    staff = await key_with(intake, "staff")
    qid = await submit(intake, staff)
    path = await link_for(intake, qid)
    page = await intake.client.get(path)
    assert page.status_code == 200
    assert page.headers["x-robots-tag"] == "noindex, nofollow" and page.headers["referrer-policy"] == "no-referrer"
    reference = (await intake.client.get(f"/api/v1/questions/{qid}", headers=staff)).json()["reference"]
    text = page.text
    assert reference in text and "Wij hebben uw vraag ontvangen" in text and "uiterlijk" in text
    assert "078 770 80 90" in text and "info@sl.example" in text
    assert "Inwoner" not in text and "@example.nl" not in text, "no personal data on the page"
    token = path.rsplit("/", 1)[1]
    stored = await intake.runtime.db.fetchval(
        "SELECT count(*) FROM question_links WHERE token_sha256 = $1", hashlib.sha256(token.encode()).hexdigest()
    )
    assert stored == 1
    assert not await intake.runtime.db.fetchval("SELECT count(*) FROM question_links WHERE token_sha256 = $1", token), (
        "only the hash is stored"
    )


async def test_every_wrong_link_gets_the_same_friendly_answer(intake: RunningService) -> None:
    staff = await key_with(intake, "staff")
    officer = await key_with(intake, "privacy-officer")
    erased = await submit(intake, staff)
    erased_path = await link_for(intake, erased)
    ref = await intake.runtime.db.fetchval(
        "SELECT resident_ref::text FROM questions WHERE question_id = $1", uuid.UUID(erased)
    )
    assert (await intake.client.delete(f"/api/v1/residents/{ref}", headers=officer)).status_code == 202
    answers = [
        await intake.client.get(p)
        for p in ("/mijn-vraag/" + "x" * 43, "/mijn-vraag/kort", "/mijn-vraag/%3Cscript%3E", erased_path)
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1, "no oracle: every wrong link reads the same"
    assert "Deze link werkt niet" in answers[0].text and "nieuwe link" in answers[0].text
    assert "078 770 80 90" in answers[0].text


async def test_withdrawing_twice_changes_nothing_and_a_closed_question_says_so(intake: RunningService) -> None:
    staff = await key_with(intake, "staff")
    qid = await submit(intake, staff)
    path = await link_for(intake, qid)
    confirm = await intake.client.get(f"{path}/intrekken")
    csrf = token_of(confirm.text)
    first = await intake.client.post(f"{path}/intrekken", data={"csrf_token": csrf, "reason": "helped_elsewhere"})
    assert (first.status_code, first.headers["location"]) == (303, path)
    second = await intake.client.post(f"{path}/intrekken", data={"csrf_token": csrf, "reason": "other"})
    assert (second.status_code, second.headers["location"]) == (303, path), "again: no-op, the same page"
    step = await intake.client.get(f"{path}/intrekken")
    assert (step.status_code, step.headers["location"]) == (303, path), "no confirm step for a withdrawn question"
    page = await intake.client.get(path)
    assert "U heeft deze vraag ingetrokken" in page.text and "/intrekken" not in page.text
    rows = await intake.runtime.db.fetchval(
        "SELECT count(*) FROM question_history WHERE question_id = $1 AND status = 'withdrawn'", uuid.UUID(qid)
    )
    assert rows == 1

    closed = await submit(intake, staff)
    closed_path = await link_for(intake, closed)
    confirm = await intake.client.get(f"{closed_path}/intrekken")
    csrf = token_of(confirm.text)
    assert (await intake.client.post(f"/api/v1/questions/{closed}/close", headers=staff)).status_code == 200
    late = await intake.client.post(f"{closed_path}/intrekken", data={"csrf_token": csrf})
    assert late.status_code == 409
    assert "Uw vraag is al afgerond" in late.text and "078 770 80 90" in late.text
    assert await status_of(intake, closed) == "closed"


async def test_the_resident_chooses_how_to_be_reached(intake: RunningService) -> None:
    staff = await key_with(intake, "staff")
    qid = await submit(intake, staff, contact={"name": "Zonder Mail", "phone": "0612345678"})
    path = await link_for(intake, qid)
    page = await intake.client.get(path)
    assert 'value="sms"' in page.text and 'value="email"' not in page.text, "only channels we have an address for"

    async def channel() -> str | None:
        value: str | None = await intake.runtime.db.fetchval(
            "SELECT r.preferred_channel FROM residents r JOIN questions q USING (resident_ref)"
            " WHERE q.question_id = $1",
            uuid.UUID(qid),
        )
        return value

    saved = await intake.client.post(
        f"{path}/berichten", data={"csrf_token": token_of(page.text), "preferred_channel": "none"}
    )
    assert (saved.status_code, saved.headers["location"]) == (303, f"{path}?opgeslagen=1")
    assert await channel() == "none"
    refused = await intake.client.post(
        f"{path}/berichten", data={"csrf_token": token_of(page.text), "preferred_channel": "email"}
    )
    assert refused.headers["location"] == path and await channel() == "none"
    no_csrf = await intake.client.post(f"{path}/berichten", data={"preferred_channel": "sms"})
    assert no_csrf.status_code == 403 and await channel() == "none"


async def test_a_lost_link_is_sent_anew_with_the_same_answer_for_every_address(
    intake: RunningService, settings: Settings
) -> None:
    staff = await key_with(intake, "staff")
    contact_body = body()
    email = contact_body["contact"]["email"]
    qid = await submit(intake, staff, contact=contact_body["contact"])
    old = await link_for(intake, qid)
    form = await intake.client.get("/mijn-vraag")
    csrf = token_of(form.text)

    known = await intake.client.post("/mijn-vraag", data={"csrf_token": csrf, "email": email.upper()})
    unknown = await intake.client.post(
        "/mijn-vraag", data={"csrf_token": csrf, "email": f"niemand-{uuid.uuid4().hex}@example.nl"}
    )
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text and "Kijk in uw e-mail" in known.text
    assert (await intake.client.get(old)).status_code == 404, "the lost link stops working"
    records = await read_topic(
        settings,
        QUESTIONS,
        until=lambda rs: any(e.subject == qid for e in events_of(rs, StatusLinkRequested.ce_type)),
    )
    assert sum(e.subject == qid for e in events_of(records, StatusLinkRequested.ce_type)) == 1
    # Again within a quarter hour: the same page, and nothing happens (the link mailed meanwhile keeps working).
    mailed = await link_for(intake, qid)

    async def requested_at() -> datetime:
        value: datetime = await intake.runtime.db.fetchval(
            "SELECT r.link_requested_at FROM residents r JOIN questions q USING (resident_ref)"
            " WHERE q.question_id = $1",
            uuid.UUID(qid),
        )
        return value

    first_request = await requested_at()
    again = await intake.client.post("/mijn-vraag", data={"csrf_token": csrf, "email": email})
    assert again.text == known.text
    assert (await intake.client.get(mailed)).status_code == 200
    assert await requested_at() == first_request, "the second request was not taken up"
    bad = await intake.client.post("/mijn-vraag", data={"csrf_token": csrf, "email": "geen-adres"})
    assert bad.status_code == 422 and "Dit e-mailadres klopt niet" in bad.text


async def test_views_of_private_links_are_limited_per_client(settings: Settings) -> None:
    strict = settings.model_copy(update={"status_view_limit": 3})
    async with run_service("intake", strict) as service:
        answers = [await service.client.get("/mijn-vraag/" + "y" * 43) for _ in range(4)]
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    assert int(answers[3].headers["retry-after"]) > 0 and "Even wachten" in answers[3].text
