"""The resident's "Ik wil meedenken" page and a poll page in headless Chromium at 390×844 and 1280×900,
against intake served over HTTP; axe-core checks each. The resident joins with explicit consent and
stops again; a public poll is answered once per browser."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from services.kit import access
from services.kit.settings import Settings
from tests.support.browser import CHROMIUM, PHONE, serious_violations, serve_app
from tests.support.harness import RunningService, run_service

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed"),
]
SCREENSHOTS = Path("/tmp/samenloket-screenshots")
SIZES = {"phone": PHONE, "desktop": {"width": 1280, "height": 900}}
INTERNAL = {"Authorization": "Bearer test-internal-token"}


@dataclass
class Served:
    url: str
    svc: RunningService
    staff: dict[str, str]
    council: dict[str, str]


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[Served]:
    async with run_service("intake", settings.model_copy(update={"web_rate_limit": 1000})) as svc:
        async with svc.runtime.db.acquire() as conn:
            staff = await access.create_key(conn, "loket", ["staff"])
            council = await access.create_key(conn, "adviesraad-dordrecht", ["council"], "GM0505")
        async with serve_app(svc.app) as url:
            yield Served(url, svc, {"Authorization": f"Bearer {staff}"}, {"Authorization": f"Bearer {council}"})


async def own_page(intake: Served) -> str:
    body = {
        "municipality": "GM0505",
        "life_domains": ["wmo"],
        "description": "Ik zoek hulp bij de aanvraag voor huishoudelijke hulp.",
        "postcode": "3311",
        "channel": "phone",
        "contact": {"name": "Kees Mee", "email": f"kees.{uuid.uuid4().hex[:6]}@example.nl"},
        "consent": {"share_with_supporter": True},
    }
    question_id = (await intake.svc.client.post("/api/v1/questions", json=body, headers=intake.staff)).json()[
        "question_id"
    ]
    url: str = (
        await intake.svc.client.post(f"/internal/v1/questions/{question_id}/status-link", headers=INTERNAL)
    ).json()["url"]
    return url[url.index("/mijn-vraag/") :]


async def new_page(browser: Browser, size: str) -> Page:
    context = await browser.new_context(viewport=SIZES[size], locale="nl-NL")  # type: ignore[arg-type]
    return await context.new_page()


async def fits(page: Page, width: int) -> bool:
    scroll: int = await page.evaluate("document.documentElement.scrollWidth")
    return scroll <= width


@pytest.mark.parametrize("size", ["phone", "desktop"])
async def test_a_resident_joins_the_panel_with_consent_and_stops(intake: Served, browser: Browser, size: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page = await new_page(browser, size)
    await page.goto(intake.url + await own_page(intake))
    async with page.expect_navigation():
        await page.click("#meedenken-link")
    assert await page.inner_text("h1") == "Ik wil meedenken"
    assert await serious_violations(page) == [], "the panel page"
    assert await fits(page, SIZES[size]["width"])
    await page.screenshot(path=str(SCREENSHOTS / f"meedenken-{size}.png"), full_page=True)

    await page.check("#life_domains-wmo")
    async with page.expect_navigation():
        await page.click("form.form button[type=submit]")
    assert "Zet een vinkje als wij u mogen uitnodigen." in await page.inner_text("main")
    assert await serious_violations(page) == [], "the panel page with an error"
    await page.check("#consent-yes")
    async with page.expect_navigation():
        await page.click("form.form button[type=submit]")
    assert "U staat op de lijst" in await page.inner_text("#opgeslagen")
    async with page.expect_navigation():
        await page.click("#stoppen")
    assert "U staat niet meer op de lijst." in await page.inner_text("#opgeslagen")
    await page.context.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
async def test_a_public_poll_is_answered_once_per_browser(intake: Served, browser: Browser, size: str) -> None:
    poll = {
        "title": "Hoe vindt u het Wmo-loket?",
        "life_domain": "wmo",
        "audience": "public",
        "questions": [
            {"text": "Kon u het loket goed bereiken?", "choices": ["Ja", "Nee", "Weet ik niet"]},
            {"text": "Wist u waar u terecht kon?", "choices": ["Ja", "Nee"]},
        ],
    }
    created = await intake.svc.client.post("/api/v1/council/polls", json=poll, headers=intake.council)
    page = await new_page(browser, size)
    await page.goto(intake.url + created.json()["page"])
    assert await page.inner_text("h1") == "Hoe vindt u het Wmo-loket?"
    assert await serious_violations(page) == [], "the poll"
    assert await fits(page, SIZES[size]["width"])
    await page.screenshot(path=str(SCREENSHOTS / f"peiling-{size}.png"), full_page=True)
    await page.check("#q0-0")
    await page.check("#q1-1")
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert "Bedankt voor uw antwoorden" in await page.inner_text("main")
    assert await serious_violations(page) == [], "the poll's thanks"
    await page.goto(intake.url + created.json()["page"])
    assert "U heeft deze vragen al beantwoord" in await page.inner_text("main")
    await page.context.close()
