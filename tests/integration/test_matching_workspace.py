"""The supporters' pages ("Mijn vragen") on real infrastructure: intake, matching and notifications in this
process on real ports, mail to a real SMTP receiver, one database and one broker.

Sign-in by a single-use e-mail link (no enumeration, rate limits, audit, expiry, logout, a removed
supporter), the case with the resident's data from intake (consent, audit of every view), and the
steps: accept, decline with immediate re-match, first contact, end; 409 on a case that moved on, and
404 for every route of another supporter's case.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from contracts.events import AssignmentAccepted, FirstContactMade, SupportEnded
from contracts.references import format_reference
from services.kit.dutch import DUTCH_TIME
from services.kit.settings import Settings
from services.matching.store import sign_in as sign_in_store
from services.matching.workspace.signin import new_token, token_hash
from tests.support.matching import events_about
from tests.support.notifications import MailBox
from tests.support.workspace import (
    LOKET_PHONE,
    Platform,
    add_supporter,
    ask,
    assigned_to,
    browser,
    csrf_of,
    link_in_mail,
    platform,
    post_form,
    request_link,
    sign_in,
    use_link,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def p(settings: Settings, mailbox: MailBox) -> AsyncIterator[Platform]:
    async with platform(settings, mailbox) as running:
        yield running


def ip() -> str:
    """A client address of its own (uvicorn takes X-Forwarded-For from 127.0.0.1), so limits do not mix."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


async def audit_events(p: Platform, supporter_id: str | None = None) -> list[str]:
    async with p.matching.runtime.db.acquire() as conn:
        rows = await sign_in_store.audit_rows(conn, supporter_id)
    return [r.event for r in reversed(rows)]


def main_of(html: str) -> str:
    """The page's main content without the CSRF tokens (which differ per request by design)."""
    start = html.index("<main")
    body = html[start : html.index("</main>")]
    return "".join(part for i, part in enumerate(body.split('name="csrf_token" value="')) if i == 0) + str(
        body.count("csrf_token")
    )


# --- signing in --------------------------------------------------------------------------------------


async def test_a_supporter_signs_in_with_a_single_use_link_that_is_never_stored_or_logged(
    p: Platform, mailbox: MailBox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bram = await add_supporter(p)
    async with browser(p, ip()) as client:
        assert (await client.get("/mijn-vragen")).headers["location"].startswith("/mijn-vragen/inloggen")
        asked = await request_link(client, bram.email.upper())  # the address is found whatever its case
        assert asked.status_code == 200 and "Kijk in uw e-mail" in asked.text
        link = await link_in_mail(mailbox, bram.email)
        token = link.rsplit("/", 1)[1]
        # Only the hash is kept; notifications' delivery log holds no link; nothing logged it.
        async with p.matching.runtime.db.acquire() as conn:
            stored = await conn.fetch("SELECT * FROM sign_in_links WHERE supporter_id = $1", bram.id)
        assert [r["token_sha256"] for r in stored] == [token_hash(token)]
        assert token not in str([dict(r) for r in stored])
        deliveries = await p.notifications.runtime.db.fetch(
            "SELECT * FROM deliveries WHERE template = 'supporter_sign_in'"
        )
        assert deliveries and token not in str([dict(r) for r in deliveries])
        assert token not in caplog.text

        used = await use_link(client, link)
        assert used.status_code == 303 and used.headers["location"] == "/mijn-vragen"
        mine = await client.get("/mijn-vragen")
        assert mine.status_code == 200 and "Mijn vragen" in mine.text and bram.name in mine.text
        assert "noindex" in mine.headers["x-robots-tag"]

    async with browser(p, ip()) as other:  # the same link a second time: refused, the one page for bad links
        again = await other.get(urlpath(link))
        unknown = await other.get(f"/mijn-vragen/inloggen/{new_token()}")
        assert again.status_code == unknown.status_code == 410
        assert main_of(again.text) == main_of(unknown.text)
        assert "Deze link werkt niet meer" in again.text and "Een nieuwe link vragen" in again.text
        token = csrf_of((await other.get("/mijn-vragen/inloggen")).text)
        posted = await other.post(urlpath(link), data={"csrf_token": token})
        assert posted.status_code == 410 and "mijn_vragen_sessie" not in posted.headers.get("set-cookie", "")
    assert await audit_events(p, bram.id) == ["requested", "used", "refused", "refused"]


def urlpath(link: str) -> str:
    return "/" + link.split("/", 3)[3]


async def test_an_unknown_address_gets_the_same_page_and_no_mail(p: Platform, mailbox: MailBox) -> None:
    bram = await add_supporter(p)
    unknown = f"niemand.{uuid.uuid4().hex[:6]}@example.nl"
    async with browser(p, ip()) as client:
        known_page = await request_link(client, bram.email)
        unknown_page = await request_link(client, unknown)
    assert known_page.status_code == unknown_page.status_code == 200
    assert main_of(known_page.text) == main_of(unknown_page.text)
    await link_in_mail(mailbox, bram.email)
    assert mailbox.to(unknown) == []
    async with p.matching.runtime.db.acquire() as conn:
        last = (await sign_in_store.audit_rows(conn, limit=1))[0]
    assert (last.event, last.supporter_id) == ("requested_unknown", None)
    assert unknown not in str(last) and "10." not in last.client, "no address, no raw IP in the audit"


async def test_an_expired_link_says_to_ask_for_a_new_one(p: Platform) -> None:
    bram = await add_supporter(p)
    token = new_token()
    long_ago = datetime.now(UTC) - timedelta(minutes=30)
    async with p.matching.runtime.db.acquire() as conn:
        await sign_in_store.insert_link(
            conn, token_hash(token), bram.id, "/mijn-vragen", long_ago, long_ago + timedelta(minutes=15)
        )
    async with browser(p, ip()) as client:
        page = await client.get(f"/mijn-vragen/inloggen/{token}")
    assert page.status_code == 410 and "Vraag hieronder een nieuwe link aan" in page.text
    assert (await audit_events(p, bram.id))[-1] == "refused"


async def test_links_are_limited_per_address_and_per_client(p: Platform, mailbox: MailBox) -> None:
    bram = await add_supporter(p)
    answers = []
    for _ in range(4):  # three links per address per window, each asked from another client
        async with browser(p, ip()) as client:
            answers.append((await request_link(client, bram.email)).status_code)
    assert answers == [200, 200, 200, 429]
    async with browser(p, ip()) as client:  # ten requests per client, whatever the addresses
        codes = [(await request_link(client, f"x{i}.{uuid.uuid4().hex[:6]}@example.nl")).status_code for i in range(11)]
        assert codes == [200] * 10 + [429]
        refused = await request_link(client, f"y.{uuid.uuid4().hex[:6]}@example.nl")
    assert "Even wachten" in refused.text and int(refused.headers["retry-after"]) >= 1
    assert "rate_limited" in await audit_events(p)


async def test_sign_out_ends_the_session_and_a_removed_supporter_loses_theirs(p: Platform, mailbox: MailBox) -> None:
    bram, wendy = await add_supporter(p), await add_supporter(p)
    async with browser(p, ip()) as client:
        await sign_in(client, mailbox, bram.email)
        out = await post_form(client, "/mijn-vragen", "/mijn-vragen/uitloggen", {})
        assert out.status_code == 303 and out.headers["location"] == "/mijn-vragen/inloggen?uitgelogd=ja"
        assert (await client.get("/mijn-vragen")).status_code == 303
    async with browser(p, ip()) as client:
        await sign_in(client, mailbox, wendy.email)
        assert (await client.get("/mijn-vragen")).status_code == 200
        async with p.matching.runtime.db.acquire() as conn:
            await conn.execute("DELETE FROM supporters WHERE id = $1", wendy.id)
        assert (await client.get("/mijn-vragen")).headers["location"].startswith("/mijn-vragen/inloggen")
        sessions = await p.matching.runtime.db.fetchval(
            "SELECT count(*) FROM access.web_sessions WHERE subject_kind = 'supporter' AND subject_id = $1", wendy.id
        )
        assert sessions == 0
    assert await audit_events(p, bram.id) == ["requested", "used", "signed_out"]
    assert await audit_events(p, wendy.id) == ["requested", "used", "session_refused"]


# --- the case ----------------------------------------------------------------------------------------


async def intake_audit(p: Platform, question_id: str) -> list[tuple[str, str, str, str]]:
    rows = await p.intake.runtime.db.fetch(
        "SELECT actor, actor_kind, action, purpose FROM audit_log"
        " WHERE question_id = $1::uuid AND actor_kind = 'supporter' ORDER BY id",
        question_id,
    )
    return [(r["actor"], r["actor_kind"], r["action"], r["purpose"]) for r in rows]


async def test_the_supporter_sees_the_question_and_consented_contact_and_every_view_is_audited(
    p: Platform, mailbox: MailBox
) -> None:
    bram = await add_supporter(p, municipalities=["GM0590"])
    question_id, person = await ask(p, municipality="GM0590")
    assert await assigned_to(p, question_id) == bram.id
    async with browser(p, ip()) as client:
        await sign_in(client, mailbox, bram.email)
        listing = await client.get("/mijn-vragen")
        assert "Vraag uit Papendrecht" in listing.text and "Nieuw voor u" in listing.text
        assert person["name"] not in listing.text, "the list shows no personal data"
        page = await client.get(f"/mijn-vragen/{question_id}")
        again = await client.get(f"/mijn-vragen/{question_id}")
    assert page.status_code == again.status_code == 200
    for part in (
        person["name"],
        person["phone"],
        person["email"],
        "begeleiding thuis",
        "Hulp en zorg thuis (Wmo)",
        "Papendrecht",
        "MEE Plus",
        "Ik neem deze vraag aan",
    ):
        assert part in page.text, part
    assert "GM0590" not in page.text and " wmo" not in page.text
    assert (
        await intake_audit(p, question_id)
        == [(f"mee/{bram.id}", "supporter", "question_and_contact.read", "supporter_case_view")] * 2
    )


async def test_without_consent_the_page_says_how_to_reach_the_resident(p: Platform, mailbox: MailBox) -> None:
    bram = await add_supporter(p, municipalities=["GM0610"])
    question_id, person = await ask(p, share=False, municipality="GM0610")
    await assigned_to(p, question_id)
    async with browser(p, ip()) as client:
        await sign_in(client, mailbox, bram.email)
        page = await client.get(f"/mijn-vragen/{question_id}")
    assert page.status_code == 200 and "begeleiding thuis" in page.text
    assert person["name"] not in page.text and person["phone"] not in page.text and person["email"] not in page.text
    # The resident's own reference (from intake, on QuestionReceived): the number they will name on the phone.
    reference = await p.intake.runtime.db.fetchval(
        "SELECT reference FROM questions WHERE question_id = $1::uuid", question_id
    )
    assert "gaf geen toestemming" in page.text and LOKET_PHONE in page.text and format_reference(reference) in page.text
    assert await intake_audit(p, question_id) == [
        (f"mee/{bram.id}", "supporter", "question.read", "supporter_case_view")
    ]


async def test_the_supporter_accepts_records_first_contact_and_ends_support(p: Platform, mailbox: MailBox) -> None:
    bram = await add_supporter(p, municipalities=["GM0482"])
    question_id, _ = await ask(p, municipality="GM0482")
    await assigned_to(p, question_id)
    case = f"/mijn-vragen/{question_id}"
    async with browser(p, ip()) as client:
        await sign_in(client, mailbox, bram.email)
        early = await post_form(client, case, f"{case}/eerste-contact", {"datum": "2026-01-01", "manier": "phone"})
        assert (
            early.status_code == 409
            and "Neem de vraag eerst aan" in early.text
            and "Er is niets veranderd" in early.text
        )

        accepted = await post_form(client, case, f"{case}/aannemen", {})
        assert accepted.status_code == 303 and accepted.headers["location"] == f"{case}?gedaan=aangenomen"
        await events_about(p.settings, question_id, AssignmentAccepted.ce_type)

        tomorrow = (datetime.now(DUTCH_TIME) + timedelta(days=2)).date().isoformat()
        future = await post_form(client, case, f"{case}/eerste-contact", {"datum": tomorrow, "manier": "phone"})
        assert future.status_code == 422 and "Kijk dit nog na" in future.text and 'href="#datum"' in future.text
        missing = await post_form(client, case, f"{case}/eerste-contact", {"datum": "", "manier": ""})
        assert missing.status_code == 422 and 'href="#manier-phone"' in missing.text

        today = datetime.now(DUTCH_TIME).date().isoformat()
        contact = await post_form(client, case, f"{case}/eerste-contact", {"datum": today, "manier": "video"})
        assert contact.status_code == 303
        [made] = await events_about(p.settings, question_id, FirstContactMade.ce_type)
        assert made.data["method"] == "video" and made.data["supporter_id"] == bram.id
        assert made.data["reached_on"] == today
        shown = await client.get(case)
        assert "In contact" in shown.text and "beeldbellen" in shown.text

        ended = await post_form(client, case, f"{case}/stoppen", {"uitkomst": "completed"})
        assert ended.status_code == 303
        [end] = await events_about(p.settings, question_id, SupportEnded.ce_type)
        assert end.data["reason"]["code"] == "completed"
        after = await client.get(case)
        assert "Gestopt" in after.text and "De ondersteuning is klaar." in after.text
        assert "Ik neem deze vraag aan" not in after.text and "Ondersteuning stoppen" not in after.text
        assert "U ondersteunt deze inwoner niet meer" in after.text
        again = await post_form(client, case, f"{case}/stoppen", {"uitkomst": "completed"})
        assert again.status_code == 409 and "De ondersteuning is klaar." in again.text
    row = await p.matching.runtime.db.fetchrow(
        "SELECT status, first_contact_method, first_contact_on FROM assignments WHERE question_id = $1", question_id
    )
    assert (row["status"], row["first_contact_method"], row["first_contact_on"].isoformat()) == (
        "ended",
        "video",
        today,
    )


async def test_declining_matches_again_at_once_and_never_with_the_same_supporter(p: Platform, mailbox: MailBox) -> None:
    first = await add_supporter(p, municipalities=["GM0531"], capacity=1)
    question_id, person = await ask(p, municipality="GM0531")
    assert await assigned_to(p, question_id) == first.id
    second = await add_supporter(p, municipalities=["GM0531"])
    case = f"/mijn-vragen/{question_id}"
    async with browser(p, ip()) as client:
        await sign_in(client, mailbox, first.email)
        bsn = await post_form(client, case, f"{case}/afwijzen", {"reden": "other", "toelichting": "BSN 111222333"})
        assert bsn.status_code == 422 and "burgerservicenummer" in bsn.text
        declined = await post_form(client, case, f"{case}/afwijzen", {"reden": "no_time", "toelichting": "Vol tot mei"})
        assert declined.status_code == 303 and declined.headers["location"] == "/mijn-vragen?gedaan=afgewezen"
        listing = await client.get(declined.headers["location"])
        assert "Wij zoeken meteen een andere ondersteuner" in listing.text and "Afgewezen" in listing.text
        page = await client.get(case)
        assert page.status_code == 200 and person["name"] not in page.text and "Ik neem deze vraag aan" not in page.text
        late = await post_form(client, case, f"{case}/aannemen", {})
        assert late.status_code == 409 and "Dat kon niet meer" in late.text
    row = await p.matching.runtime.db.fetchrow(
        "SELECT supporter_id, status FROM assignments WHERE question_id = $1 AND status IN ('assigned', 'accepted')",
        question_id,
    )
    assert (row["supporter_id"], row["status"]) == (second.id, "assigned"), "matched again at once, to another"
    note = await p.matching.runtime.db.fetchval(
        "SELECT reason_text FROM declines WHERE question_id = $1 AND supporter_id = $2", question_id, first.id
    )
    assert note == "Vol tot mei"


async def test_another_supporters_case_is_not_found_on_any_route_and_nothing_changes(
    p: Platform, mailbox: MailBox
) -> None:
    owner = await add_supporter(p, municipalities=["GM1978"])
    stranger = await add_supporter(p, municipalities=["GM0642"], organisation="ouders", kind="volunteer")
    question_id, person = await ask(p, municipality="GM1978")
    assert await assigned_to(p, question_id) == owner.id
    before = await p.matching.runtime.db.fetchrow(
        "SELECT status, accepted_at, closed_at, first_contact_recorded_at FROM assignments WHERE question_id = $1",
        question_id,
    )
    case = f"/mijn-vragen/{question_id}"
    unknown = "/mijn-vragen/00000000-0000-4000-8000-000000000000"
    async with browser(p, ip()) as client:
        await sign_in(client, mailbox, stranger.email)
        token = csrf_of((await client.get("/mijn-vragen")).text)
        answers = {"GET " + case: await client.get(case), "GET unknown": await client.get(unknown)}
        forms = {
            "aannemen": {},
            "afwijzen": {"reden": "no_time"},
            "eerste-contact": {"datum": datetime.now(DUTCH_TIME).date().isoformat(), "manier": "phone"},
            "stoppen": {"uitkomst": "completed"},
        }
        for action, data in forms.items():
            answers[f"POST {action}"] = await client.post(f"{case}/{action}", data={"csrf_token": token, **data})
    for what, answer in answers.items():
        assert answer.status_code == 404, what
        assert "Deze vraag vinden wij niet" in answer.text and person["name"] not in answer.text, what
    assert main_of(answers["GET " + case].text) == main_of(answers["GET unknown"].text)
    after = await p.matching.runtime.db.fetchrow(
        "SELECT status, accepted_at, closed_at, first_contact_recorded_at FROM assignments WHERE question_id = $1",
        question_id,
    )
    assert dict(after) == dict(before)
    assert await intake_audit(p, question_id) == [], "nothing of the resident was read"


async def test_each_member_of_a_duo_acts_on_their_own_part(p: Platform, mailbox: MailBox) -> None:
    from contracts import topics
    from tests.support.harness import publish
    from tests.support.matching import envelope, question

    pro = await add_supporter(p, municipalities=["GM0505"], postcode="3312", life_domains=["youth"])
    volunteer = await add_supporter(
        p, municipalities=["GM0505"], organisation="ouders", kind="volunteer", postcode="3312", life_domains=["debts"]
    )
    # Neither covers both life domains alone: together they do.
    q = question(
        "GM0505", life_domains=["youth", "debts"], wants_duo=True, preferred_supporter_kind="any", postcode="3312"
    )
    await publish(p.settings, topics.QUESTIONS, envelope(q))

    async def both() -> bool:
        rows = await p.matching.runtime.db.fetch(
            "SELECT supporter_id FROM assignments WHERE question_id = $1 AND status = 'assigned'", q.question_id
        )
        return {r["supporter_id"] for r in rows} == {pro.id, volunteer.id}

    from tests.support.harness import eventually

    await eventually(both, timeout=30)
    case = f"/mijn-vragen/{q.question_id}"
    async with browser(p, ip()) as client:
        await sign_in(client, mailbox, volunteer.email)
        page = await client.get(case)
        assert "Samen met" in page.text and pro.name in page.text and "MEE Plus" in page.text
        assert (await post_form(client, case, f"{case}/aannemen", {})).status_code == 303
    rows = await p.matching.runtime.db.fetch(
        "SELECT supporter_id, status FROM assignments WHERE question_id = $1", q.question_id
    )
    assert {r["supporter_id"]: r["status"] for r in rows} == {pro.id: "assigned", volunteer.id: "accepted"}


async def test_an_unsigned_browser_is_sent_to_sign_in_and_back(p: Platform) -> None:
    async with browser(p, ip()) as client:
        answer = await client.get("/mijn-vragen/q-1")
        assert (
            answer.status_code == 303 and answer.headers["location"] == "/mijn-vragen/inloggen?terug=/mijn-vragen/q-1"
        )
        form = await client.get(answer.headers["location"])
        assert 'name="terug" value="/mijn-vragen/q-1"' in form.text
        posted = await client.post("/mijn-vragen/q-1/aannemen", data={})
        assert posted.status_code == 303
        bad = await client.post("/mijn-vragen/inloggen", data={"email": "x@example.nl"})
        assert bad.status_code == 403 and "verlopen" in bad.text
        empty = await post_form(client, "/mijn-vragen/inloggen", "/mijn-vragen/inloggen", {"email": "geen adres"})
        assert empty.status_code == 422 and "naam@voorbeeld.nl" in empty.text
    assert isinstance(answer, httpx.Response)
