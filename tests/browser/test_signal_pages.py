"""The resident's signal and its personal status link in headless Chromium, against intake served over
HTTP on this module's PostgreSQL and broker: the resident sends ``/signaal``, keeps the link from the
thanks page, sees "no answer yet", the municipality's desk answers through the API, and the same link
then shows the answer. axe-core checks every page.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from playwright.async_api import Browser, Page

from services.kit import access
from services.kit.settings import Settings
from tests.support.browser import CHROMIUM, PHONE, serious_violations, serve_app
from tests.support.harness import RunningService, run_service

#: Words of English (or of pydantic's messages) that must never reach a resident.
ENGLISH = re.compile(r"\b(status|signal|answer|field|value|required|invalid|error)\b", re.IGNORECASE)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed"),
]


@dataclass
class Served:
    url: str
    svc: RunningService
    desk: dict[str, str]


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[Served]:
    """Intake in this event loop (relay, consumers), its app served over HTTP by uvicorn."""
    async with run_service("intake", settings) as svc:
        async with svc.runtime.db.acquire() as conn:
            key = await access.create_key(conn, "gemeente-dordrecht", ["municipality"], "GM0505")
        async with serve_app(svc.app) as url:
            yield Served(url, svc, {"Authorization": f"Bearer {key}"})


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=PHONE, locale="nl-NL")
    yield await context.new_page()
    await context.close()


async def fits_the_phone(page: Page) -> bool:
    width: int = await page.evaluate("document.documentElement.scrollWidth")
    return width <= PHONE["width"]


async def test_a_resident_follows_their_signal_until_the_municipality_answers(intake: Served, page: Page) -> None:
    text = f"Ik kon het Wmo-loket drie weken niet bereiken ({uuid.uuid4().hex[:6]})."
    await page.goto(intake.url + "/signaal")
    await page.check("#theme-reachability")
    await page.select_option("#municipality", "GM0505")
    await page.fill("#text", text)
    async with page.expect_navigation():
        await page.click("button[type=submit]")

    assert page.url.endswith("/signaal/bedankt")
    link = page.locator("#status-link")
    href = await link.get_attribute("href")
    assert href and re.fullmatch(r"/signaal/[A-Za-z0-9_-]{43}", href), href
    assert (await link.inner_text()) == intake.url + href  # the whole link, to copy or bookmark
    assert "Bewaar deze link goed" in await page.inner_text("main")
    assert await serious_violations(page) == [], "the thanks page"

    await link.click()
    await page.wait_for_url(intake.url + href)
    assert await page.inner_text("h1") == "Uw signaal"
    assert await page.inner_text("#status") == "Ontvangen"
    assert await page.locator("#answer").count() == 0
    body = await page.inner_text("main")
    assert "Moeilijk te bereiken" in body and "Dordrecht" in body
    assert text not in body  # the page shows the status, never the resident's own text
    assert not ENGLISH.search(body), ENGLISH.search(body)
    assert await fits_the_phone(page)
    assert await serious_violations(page) == [], "the status page before the answer"

    token = href.rsplit("/", 1)[1]
    signal_id = await intake.svc.runtime.db.fetchval(
        "SELECT signal_id::text FROM signals WHERE status_token_sha256 = encode(sha256($1::bytea), 'hex')",
        token.encode(),
    )
    assert signal_id is not None
    answer = "Bedankt voor uw signaal.\n\nHet loket is vanaf 1 februari ook 's avonds telefonisch bereikbaar."
    response = await intake.svc.client.post(
        f"/api/v1/signals/{signal_id}/answer", json={"text": answer}, headers=intake.desk
    )
    assert response.status_code == 200, response.text

    await page.reload()
    assert await page.inner_text("#status") == "Beantwoord"
    paragraphs = await page.locator("#answer p").all_inner_texts()
    assert paragraphs == [
        "Bedankt voor uw signaal.",
        "Het loket is vanaf 1 februari ook 's avonds telefonisch bereikbaar.",
    ]
    assert await fits_the_phone(page)
    assert await serious_violations(page) == [], "the status page with the answer"


async def test_a_wrong_link_says_so_in_dutch(intake: Served, page: Page) -> None:
    response = await page.goto(intake.url + "/signaal/" + "x" * 43)
    assert response is not None and response.status == 404
    assert await page.inner_text("h1") == "Deze pagina bestaat niet"
    assert await serious_violations(page) == [], "the not-found page"
