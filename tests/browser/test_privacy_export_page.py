"""The export of a resident's data as a page, in headless Chromium: what the privacy officer opens
with their key (the browser sends it as a header) and prints or saves for the resident. Intake and
notifications are served over HTTP on this module's PostgreSQL, broker and SMTP server; axe-core
checks the page on a phone and on paper, and the page fits a phone's width.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser

from contracts.envelope import from_model
from contracts.events import QuestionWaiting
from contracts.topics import ASSIGNMENTS
from services.kit.settings import Settings
from tests.support.browser import CHROMIUM, PHONE, serious_violations
from tests.support.harness import eventually, publish
from tests.support.notifications import MailBox
from tests.support.privacy_officer import OfficerPlatform, officer_platform

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed"),
]

INTERNAL = {"Authorization": "Bearer test-internal-token", "X-Purpose": "support", "X-Caller": "tests"}
SCREENSHOTS = Path("/tmp/samenloket-screenshots")


@pytest.fixture(scope="module")
async def platform(settings: Settings, mailbox: MailBox) -> AsyncIterator[OfficerPlatform]:
    async with officer_platform(settings, mailbox) as running:
        yield running


async def a_resident(platform: OfficerPlatform, settings: Settings) -> str:
    staff = await platform.key("staff")
    tag = uuid.uuid4().hex[:6]
    body = {
        "municipality": "GM0505",
        "life_domains": ["youth", "education"],
        "description": "Mijn zoon gaat niet meer naar school. Wie kan ons helpen met de school en de jeugdhulp?",
        "postcode": "3314",
        "channel": "phone",
        "contact": {"name": f"Aaltje de Vries {tag}", "email": f"a.devries.{tag}@example.nl", "phone": "0612345678"},
        "consent": {"share_with_supporter": True},
    }
    response = await platform.intake.client.post("/api/v1/questions", json=body, headers=staff)
    question_id = response.json()["question_id"]
    ref: str = (
        await platform.intake.client.get(f"/internal/v1/questions/{question_id}/contact", headers=INTERNAL)
    ).json()["resident_ref"]
    waiting = QuestionWaiting(
        question_id=question_id, municipality="GM0505", eligible_supporters=0, since=datetime.now(UTC)
    )
    await publish(settings, ASSIGNMENTS, from_model(waiting, source="/samenloket/matching"))
    await eventually(
        lambda: platform.notifications.runtime.db.fetchval(
            "SELECT 1 FROM deliveries WHERE question_id = $1 AND status = 'sent'", question_id
        )
    )
    return ref


async def test_the_officer_opens_and_prints_a_residents_export(
    platform: OfficerPlatform, settings: Settings, browser: Browser
) -> None:
    ref = await a_resident(platform, settings)
    officer = await platform.key("privacy-officer")
    context = await browser.new_context(viewport=PHONE, locale="nl-NL", extra_http_headers=officer)
    page = await context.new_page()
    try:
        response = await page.goto(f"{platform.intake_url}/api/v1/residents/{ref}/export.html")
        assert response is not None and response.status == 200
        assert await page.inner_text("h1") == "Uw gegevens bij het Samenloket"
        main = await page.inner_text("main")
        for text in ("Aaltje de Vries", "Opvoeden en jeugdhulp", "Op de wachtlijst", "U staat op de wachtlijst"):
            assert text in main, text
        assert await serious_violations(page) == [], "the export on a phone"
        width: int = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], "the export fits a phone"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "privacy-export-phone.png"), full_page=True)

        await page.emulate_media(media="print")
        assert await serious_violations(page) == [], "the export on paper"
        assert await page.evaluate("getComputedStyle(document.querySelector('.skip-link')).display") == "none"
        await page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
        await page.screenshot(path=str(SCREENSHOTS / "privacy-export-print.png"), full_page=True)
        pdf = await page.pdf(format="A4")
        assert pdf.startswith(b"%PDF") and len(pdf) > 5000
        (SCREENSHOTS / "privacy-export.pdf").write_bytes(pdf)
    finally:
        await context.close()
