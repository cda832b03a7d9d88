"""The resident's own page ("Mijn vraag") in headless Chromium at 390×844, against intake served over HTTP
on this module's PostgreSQL and broker, with matching's directory of supporters served by a small app.

The resident sends the form, follows the link from the confirmation page, sees the status, then their
supporter once one is assigned, chooses how to be reached, and withdraws after the confirm step. A
wrong link and a lost link get friendly Dutch pages. axe-core checks every page; screenshots at 390
and 1280 pixels wide go to ``SAMENLOKET_SCREENSHOTS`` (default /work/notes/screens-i13) when writable.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, Page

from contracts.envelope import from_model
from contracts.events import QuestionWithdrawn, SupporterAssigned
from contracts.topics import ASSIGNMENTS, QUESTIONS
from services.kit.settings import Settings
from tests.support.browser import CHROMIUM, DESKTOP, PHONE, free_port, serious_violations, serve_app
from tests.support.harness import RunningService, events_of, eventually, publish, read_topic, run_service

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed"),
]

LOKET = {"loket_name": "Samenloket Drechtsteden", "loket_phone": "078 770 80 90", "loket_email": "info@sl.example"}
ENGLISH = re.compile(r"\b(status|withdraw|supporter|field|value|required|invalid|error|token)\b", re.IGNORECASE)


def screenshot_folder() -> Path | None:
    folder = Path(os.environ.get("SAMENLOKET_SCREENSHOTS", "/work/notes/screens-i13"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


@dataclass
class Served:
    url: str
    svc: RunningService
    #: What the fake matching answers per question id: the supporters by display name.
    supporters: dict[str, list[dict[str, Any]]]


def matching_directory(supporters: dict[str, list[dict[str, Any]]]) -> FastAPI:
    """Matching's ``/internal/v1/questions/{id}/supporters``, as the real one answers it."""
    app = FastAPI()

    @app.get("/internal/v1/questions/{question_id}/supporters")
    async def of_question(question_id: str) -> list[dict[str, Any]]:
        return supporters.get(question_id, [])

    return app


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[Served]:
    supporters: dict[str, list[dict[str, Any]]] = {}
    port = free_port()  # the links intake makes point at where it is served
    async with serve_app(matching_directory(supporters)) as matching_url:
        configured = settings.model_copy(
            update={
                "matching_url": matching_url,
                "public_url": f"http://127.0.0.1:{port}",
                "web_rate_limit": 1000,
                **LOKET,
            }
        )
        async with run_service("intake", configured) as svc, serve_app(svc.app, port) as url:
            yield Served(url, svc, supporters)


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=PHONE, locale="nl-NL")
    yield await context.new_page()
    await context.close()


async def fits_the_phone(page: Page) -> bool:
    width: int = await page.evaluate("document.documentElement.scrollWidth")
    return width <= PHONE["width"]


async def check(page: Page, what: str, browser: Browser, shot: str | None = None) -> None:
    """axe-core finds nothing serious, the page fits a phone, no English; screenshots at 390 and 1280."""
    assert await serious_violations(page) == [], what
    assert await fits_the_phone(page), f"{what} is wider than a phone"
    body = await page.inner_text("main")
    assert not ENGLISH.search(body), (what, ENGLISH.search(body))
    folder = screenshot_folder()
    if shot and folder:
        await page.screenshot(path=str(folder / f"{shot}-390.png"), full_page=True)
        wide = await browser.new_context(viewport=DESKTOP, locale="nl-NL")
        try:
            other = await wide.new_page()
            await other.goto(page.url)
            assert await serious_violations(other) == [], f"{what} at 1280"
            await other.screenshot(path=str(folder / f"{shot}-1280.png"), full_page=True)
        finally:
            await wide.close()


async def fill_the_form(page: Page, email: str) -> None:
    await page.check("#life_domains-wmo")
    await page.fill("#description", "Ik wil hulp bij het aanvragen van huishoudelijke hulp voor mijn moeder.")
    await page.fill("#name", "Sanne Bakker")
    await page.fill("#email", email)
    await page.fill("#phone", "0612345678")
    await page.fill("#postcode", "3311 AB")
    await page.select_option("#municipality", "GM0505")
    await page.check("#consent")


async def test_a_resident_follows_withdraws_and_chooses_how_to_be_reached(
    intake: Served, page: Page, browser: Browser, settings: Settings
) -> None:
    email = f"sanne.{uuid.uuid4().hex[:8]}@example.nl"
    await page.goto(intake.url + "/")
    await fill_the_form(page, email)
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    qid = page.url.rsplit("/", 1)[1]
    reference = await page.inner_text("#reference")
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", reference), reference
    link = page.locator("#status-link")
    href = await link.get_attribute("href")
    assert href and re.fullmatch(re.escape(intake.url) + r"/mijn-vraag/[A-Za-z0-9_-]{43}", href), href
    assert "078 770 80 90" in await page.inner_text("main")
    await check(page, "the confirmation page", browser, "bevestiging")

    await link.click()
    await page.wait_for_url(href)
    assert await page.inner_text("h1") == "Uw vraag"
    assert await page.inner_text("#status") == "Wij hebben uw vraag ontvangen"
    assert reference in await page.inner_text("#reference")
    assert "uiterlijk" in await page.inner_text("#next-step")
    main = await page.inner_text("main")
    assert "Sanne" not in main and email not in main, "the page shows no personal data"
    await check(page, "the page of a new question", browser, "mijn-vraag-ontvangen")

    # Matching assigns a supporter: the page names them and their organisation.
    intake.supporters[qid] = [
        {
            "name": "Fatima el Amrani",
            "organisation_name": "MEE Plus",
            "kind": "professional",
            "status": "assigned",
            "assigned_at": datetime.now(UTC).isoformat(),
        }
    ]
    now = datetime.now(UTC)
    assigned = SupporterAssigned(
        question_id=qid,
        assignment_id=f"a-{qid}",
        supporter_id="s-fatima",
        organisation="mee",
        supporter_kind="professional",
        municipality="GM0505",
        score=0.9,
        received_at=now,
        assigned_at=now,
    )
    await publish(settings, ASSIGNMENTS, from_model(assigned, source="/samenloket/matching"))

    async def shows_supporter() -> bool:
        await page.reload()
        return "Fatima el Amrani" in await page.inner_text("main")

    await eventually(shows_supporter)
    assert await page.inner_text("#status") == "Er is een cliëntondersteuner voor u"
    supporters = await page.inner_text("#supporters")
    assert "MEE Plus" in supporters and "beroepskracht" in supporters
    await check(page, "the page with the supporter", browser, "mijn-vraag-ondersteuner")

    # How to be reached: SMS from now on.
    await page.check("#preferred_channel-sms")
    async with page.expect_navigation():
        await page.click("text=Opslaan")
    assert "Opgeslagen" in await page.inner_text("main")
    assert await page.is_checked("#preferred_channel-sms")

    # Withdraw, after the confirm step.
    await page.click("#withdraw-link")
    assert await page.inner_text("h1") == "Wilt u uw vraag intrekken?"
    await check(page, "the confirm step", browser, "intrekken")
    await page.check("#reason-no_longer_needed")
    async with page.expect_navigation():
        await page.click("#confirm-withdraw")
    assert page.url == href
    assert await page.inner_text("#status") == "Uw vraag is ingetrokken"
    assert await page.locator("#withdraw-link").count() == 0
    await check(page, "the page of a withdrawn question", browser, "mijn-vraag-ingetrokken")

    records = await read_topic(
        settings, QUESTIONS, until=lambda rs: any(e.subject == qid for e in events_of(rs, QuestionWithdrawn.ce_type))
    )
    [event] = [e for e in events_of(records, QuestionWithdrawn.ce_type) if e.subject == qid]
    assert (event.data["withdrawn_by"], event.data["reason"]["code"]) == ("resident", "no_longer_needed")


async def test_a_wrong_link_and_a_lost_link_get_friendly_dutch_pages(
    intake: Served, page: Page, browser: Browser
) -> None:
    response = await page.goto(intake.url + "/mijn-vraag/" + "z" * 43)
    assert response is not None and response.status == 404
    assert await page.inner_text("h1") == "Deze link werkt niet"
    assert "078 770 80 90" in await page.inner_text("main")
    await check(page, "the page of a wrong link", browser, "link-werkt-niet")

    await page.click("text=Een nieuwe link aanvragen")
    assert await page.inner_text("h1") == "Link kwijt?"
    await check(page, "the lost-link form", browser, "link-kwijt")
    await page.fill("#email", "geen-adres")
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert "Dit e-mailadres klopt niet" in await page.inner_text(".error-summary")
    assert await serious_violations(page) == [], "the lost-link form with an error"
    await page.fill("#email", f"iemand.{uuid.uuid4().hex[:6]}@example.nl")
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert await page.inner_text("h1") == "Kijk in uw e-mail"
    await check(page, "the answer to a lost link", browser, "link-verstuurd")
