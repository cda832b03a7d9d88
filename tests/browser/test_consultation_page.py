"""The coordinators' consultation page (/overleg) in headless Chromium, against matching served over
HTTP on this module's PostgreSQL and broker.

The main flow runs with JavaScript switched off: the page must work as plain HTML forms.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page

from contracts import topics
from contracts.events import ConsultationRequired, SupporterAssigned
from services.kit import access
from services.kit.settings import Settings
from services.matching import store
from services.matching.domain import SupporterRecord
from tests.support.browser import CHROMIUM, serious_violations, serve_app
from tests.support.harness import RunningService, publish, run_service
from tests.support.matching import envelope, events_about, question, uid

REASON = "De inwoner kent Bram al; een tolk Arabisch gaat mee naar de gesprekken."

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed"),
]


@dataclass
class Served:
    url: str
    svc: RunningService
    key: str


@pytest.fixture(scope="module")
async def matching(settings: Settings) -> AsyncIterator[Served]:
    """Matching in this event loop (consumers, relay), its app served over HTTP by uvicorn."""
    async with run_service("matching", settings) as svc:
        async with svc.runtime.db.acquire() as conn:
            await store.upsert_organisation(conn, "mee", "MEE Plus", False)
            await store.upsert_organisation(conn, "wijkteam", "Sociaal Wijkteam", True)
            key = await access.create_key(conn, "regio-overleg", ["coordinator"])
        async with serve_app(svc.app) as url:
            yield Served(url, svc, key)


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A browser without JavaScript: the page must work as plain HTML."""
    ctx = await browser.new_context(java_script_enabled=False, locale="nl-NL")
    yield ctx
    await ctx.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


async def seed_supporter(served: Served, municipality: str, **changes: Any) -> SupporterRecord:
    fields: dict[str, Any] = {
        "id": uid("s"),
        "name": "Bram Visser",
        "email": "bram@mee.example",
        "kind": "professional",
        "organisation": "mee",
        "municipalities": [municipality],
        "life_domains": ["wmo"],
        "languages": ["nl"],
        "capacity": 3,
        "postcode": "3311",
    }
    fields.update(changes)
    record = SupporterRecord(**fields)
    async with served.svc.runtime.db.acquire() as conn:
        await store.upsert_supporter(conn, record)
    return record


async def consultation_question(settings: Settings, municipality: str) -> str:
    q = question(municipality, languages=["ar"])
    await publish(settings, topics.QUESTIONS, envelope(q))
    await events_about(settings, q.question_id, ConsultationRequired.ce_type)
    return q.question_id


async def sign_in(page: Page, served: Served, key: str | None = None) -> None:
    await page.goto(served.url + "/overleg")
    await page.fill("#api_key", key or served.key)
    async with page.expect_navigation():
        await page.click("button[type=submit]")


def section(page: Page, question_id: str) -> Any:
    return page.locator(f"section[data-question-id='{question_id}']")


async def test_a_coordinator_signs_in_sees_the_failed_rules_and_assigns_by_hand(
    settings: Settings, matching: Served, page: Page, context: BrowserContext
) -> None:
    bram = await seed_supporter(matching, "GM0505", name="Bram Visser")
    deciding = await seed_supporter(
        matching, "GM0505", name="Wendy Wijkteam", organisation="wijkteam", languages=["ar"]
    )
    question_id = await consultation_question(settings, "GM0505")

    await page.goto(matching.url + "/overleg")
    assert await page.title() == "Inloggen – Gezamenlijk overleg"
    assert await page.locator("h1").inner_text() == "Inloggen voor coördinatoren"
    await sign_in(page, matching)
    assert await page.title() == "Gezamenlijk overleg – Samenloket"

    cookies = {c["name"]: c for c in await context.cookies()}
    session = cookies["overleg_sessie"]
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert matching.key not in session["value"]  # encoded and signed, not the bare key

    block = section(page, question_id)
    assert await block.count() == 1
    text = await block.inner_text()
    assert "Dordrecht" in text and "Arabisch" in text and "Hulp en zorg thuis (Wmo)" in text
    bram_item = block.locator(f"li.candidate[data-supporter-id='{bram.id}']")
    assert "Deze ondersteuner spreekt geen taal van de inwoner (Arabisch)." in await bram_item.inner_text()
    assert "MEE Plus, " in await bram_item.inner_text()  # the organisation by its name, not its id
    wendy_item = block.locator(f"li.candidate[data-supporter-id='{deciding.id}']")
    assert "niet onafhankelijk" in await wendy_item.inner_text()
    assert await wendy_item.locator("input[type=radio]").is_disabled()  # independence cannot be overridden

    await bram_item.locator("input[type=radio]").check()
    await block.locator("textarea[name=reason]").fill(REASON)
    async with page.expect_navigation():
        await block.locator("button[type=submit]").click()

    assert "toegewezen=" in page.url
    notice = await page.locator("#toegewezen").inner_text()
    assert f"Vraag {question_id[:8].upper()} is toegewezen aan Bram Visser (MEE Plus)." in notice
    assert bram.id not in notice
    assert await section(page, question_id).count() == 0

    [event] = await events_about(settings, question_id, SupporterAssigned.ce_type)
    assigned = SupporterAssigned.model_validate(event.data)
    assert assigned.supporter_id == bram.id and assigned.reasons[0].code == "manual_override"
    assert REASON not in json.dumps(event.data)
    db = matching.svc.runtime.db
    assert await db.fetchval("SELECT override_reason FROM assignments WHERE question_id = $1", question_id) == REASON
    assert await db.fetchval("SELECT count(*) FROM consultations WHERE question_id = $1", question_id) == 0


async def test_a_full_supporter_is_refused_in_dutch_and_the_question_stays(
    settings: Settings, matching: Served, page: Page
) -> None:
    full = await seed_supporter(matching, "GM0642", name="Karin Vol", capacity=1)
    async with matching.svc.runtime.db.acquire() as conn, conn.transaction():
        assert await store.book_capacity(conn, full.id)  # now full
    question_id = await consultation_question(settings, "GM0642")
    await sign_in(page, matching)

    block = section(page, question_id)
    item = block.locator(f"li.candidate[data-supporter-id='{full.id}']")
    assert "geen plek vrij" in await item.inner_text()
    radio = item.locator("input[type=radio]")
    assert await radio.is_disabled()

    # A forged form (the radio is disabled for a reason) is refused by the server as well.
    token = await block.locator("input[name=csrf_token]").get_attribute("value")
    response = await page.request.post(
        f"{matching.url}/overleg/vragen/{question_id}/toewijzen",
        form={"csrf_token": token or "", "supporter_id": full.id, "reason": REASON},
    )
    assert response.status == 409
    assert "geen plek" in await response.text()
    db = matching.svc.runtime.db
    assert await db.fetchval("SELECT count(*) FROM consultations WHERE question_id = $1", question_id) == 1
    assert await db.fetchval("SELECT active_cases FROM supporters WHERE id = $1", full.id) == 1

    without_reason = await page.request.post(
        f"{matching.url}/overleg/vragen/{question_id}/toewijzen",
        form={"csrf_token": token or "", "supporter_id": full.id, "reason": ""},
    )
    assert without_reason.status == 422 and "Schrijf op waarom" in await without_reason.text()
    forged = await page.request.post(
        f"{matching.url}/overleg/vragen/{question_id}/toewijzen",
        form={"csrf_token": "1700000000.x.deadbeef", "supporter_id": full.id, "reason": REASON},
    )
    assert forged.status == 403


async def test_a_wrong_key_is_refused_and_signing_out_ends_the_session(matching: Served, page: Page) -> None:
    await sign_in(page, matching, key="slk_000000000000_" + "x" * 43)
    assert "Deze sleutel werkt niet" in await page.locator(".error-summary").inner_text()
    async with matching.svc.runtime.db.acquire() as conn:
        partner = await access.create_key(conn, "huisarts", ["submit"])
    await sign_in(page, matching, key=partner)
    assert "coördinator" in await page.locator(".error-summary").inner_text()

    await sign_in(page, matching)
    assert await page.locator("form.account button").count() == 1
    async with page.expect_navigation():
        await page.click("form.account button")
    assert await page.locator("#api_key").count() == 1
    assert (await page.request.get(matching.url + "/overleg")).ok
    assert "Inloggen" in await page.title()


async def test_the_pages_have_no_serious_accessibility_violations(
    settings: Settings, matching: Served, browser: Browser
) -> None:
    await seed_supporter(matching, "GM0590")
    await consultation_question(settings, "GM0590")
    context = await browser.new_context(locale="nl-NL")  # axe needs JavaScript
    try:
        page = await context.new_page()
        await page.goto(matching.url + "/overleg")
        assert await serious_violations(page) == [], "the sign-in page"
        await sign_in(page, matching)
        assert await page.locator("section.vraag").count() >= 1
        assert await serious_violations(page) == [], "the consultation queue"
        assert re.search(r"\d+ vra(ag|gen) wacht", await page.locator("main").inner_text())
    finally:
        await context.close()
