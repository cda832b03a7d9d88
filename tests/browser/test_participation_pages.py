"""The signal desk's and the council's pages (issue 16) in headless Chromium at 390×844 and 1280×900,
against intake served over HTTP on this module's PostgreSQL and broker; axe-core checks every page.

The desk signs in, reads a signal, marks it read and answers it on the page; the council signs in
and reads the signal with the answer, its experiences (a group below the threshold never shows) and
its meetings. Screenshots go to /tmp/samenloket-screenshots for a person to look at.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from services.kit import access
from services.kit.settings import Settings
from tests.support.browser import CHROMIUM, DESKTOP, PHONE, serious_violations, serve_app
from tests.support.harness import RunningService, run_service

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed"),
]
SCREENSHOTS = Path("/tmp/samenloket-screenshots")
SIZES = {"phone": PHONE, "desktop": DESKTOP}


@dataclass
class Served:
    url: str
    svc: RunningService
    desk_key: str
    council_key: str


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[Served]:
    async with run_service("intake", settings.model_copy(update={"suppression_threshold": 3})) as svc:
        async with svc.runtime.db.acquire() as conn:
            desk = await access.create_key(conn, "gemeente-dordrecht", ["municipality"], "GM0505")
            council = await access.create_key(conn, "adviesraad-dordrecht", ["council"], "GM0505")
            staff = await access.create_key(conn, "loket", ["staff"])
        for text in ("Ik wacht al twee maanden op een gesprek met het Wmo-loket.", "Niemand neemt de telefoon op."):
            body = {"theme": "waiting_times", "municipality": "GM0505", "level": "local", "text": text}
            raised = await svc.client.post("/api/v1/signals", json=body, headers={"Authorization": f"Bearer {staff}"})
            assert raised.status_code == 202
        vault = svc.runtime.container.intake.vault
        texts = {"wmo": ["Goed geholpen.", "Fijn dat iemand meeging.", "Het duurde wel lang."], "debts": ["Geheim"]}
        for domain, group in texts.items():
            for text in group:
                eid = uuid.uuid4()
                await svc.runtime.db.execute(
                    "INSERT INTO experiences (experience_id, municipality, life_domains, score, text, shared_at)"
                    " VALUES ($1, 'GM0505', $2, 7, $3, $4)",
                    eid,
                    [domain],
                    vault.seal_text("experiences", "text", str(eid), text),
                    datetime.now(UTC),
                )
        async with serve_app(svc.app) as url:
            yield Served(url, svc, desk, council)


async def new_page(browser: Browser, size: str) -> Page:
    context = await browser.new_context(viewport=SIZES[size], locale="nl-NL")  # type: ignore[arg-type]
    return await context.new_page()


async def sign_in(page: Page, url: str, path: str, key: str) -> None:
    await page.goto(f"{url}{path}")
    await page.fill("#api_key", key)
    async with page.expect_navigation():
        await page.click("button[type=submit]")


async def fits(page: Page, width: int) -> bool:
    scroll: int = await page.evaluate("document.documentElement.scrollWidth")
    return scroll <= width


@pytest.mark.parametrize("size", ["phone", "desktop"])
async def test_the_desk_answers_a_signal_on_its_page(intake: Served, browser: Browser, size: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page = await new_page(browser, size)
    await sign_in(page, intake.url, "/signalenloket", intake.desk_key)
    assert await page.inner_text("h1") == "Signalen"
    assert await serious_violations(page) == [], "the desk's list"
    assert await fits(page, SIZES[size]["width"])
    await page.screenshot(path=str(SCREENSHOTS / f"signalenloket-{size}.png"), full_page=True)

    open_card = page.locator("article.signaal", has=page.locator("form.antwoord")).first
    signal_id = await open_card.get_attribute("data-signal-id")
    if await open_card.locator("form.gelezen").count():
        async with page.expect_navigation():
            await open_card.locator("form.gelezen button").click()
        assert "Het signaal staat op gelezen." in await page.inner_text("#klaar")
    card = page.locator(f"#signaal-{signal_id}")
    await card.locator("textarea").fill(f"Wij bellen u deze week ({size}).")
    async with page.expect_navigation():
        await card.locator("form.antwoord button").click()
    assert "Uw antwoord is verstuurd." in await page.inner_text("#klaar")
    assert f"Wij bellen u deze week ({size})." in await page.locator(f"#signaal-{signal_id}").inner_text()
    assert await serious_violations(page) == [], "the desk's list after answering"
    await page.context.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
async def test_the_council_reads_signals_answers_and_large_groups_of_experiences(
    intake: Served, browser: Browser, size: str
) -> None:
    page = await new_page(browser, size)
    await sign_in(page, intake.url, "/adviesraad", intake.council_key)
    assert await page.inner_text("h1") == "Wat inwoners zeggen"
    main = await page.inner_text("main")
    assert "Niemand neemt de telefoon op." in main
    assert "Goed geholpen." in main and "Het duurde wel lang." in main
    assert "Geheim" not in main  # one text on debts: below the threshold of 3
    assert "1 groep heeft minder dan 3 teksten" in main
    assert await serious_violations(page) == [], "the council's overview"
    assert await fits(page, SIZES[size]["width"])
    await page.screenshot(path=str(SCREENSHOTS / f"adviesraad-{size}.png"), full_page=True)
    await page.context.close()


async def test_the_council_records_an_advice_and_its_response_on_its_page(intake: Served, browser: Browser) -> None:
    page = await new_page(browser, "phone")
    await sign_in(page, intake.url, "/adviesraad", intake.council_key)
    # Sent without a subject: the form comes back with a Dutch error, axe-clean.
    async with page.expect_navigation():
        await page.click("form.nieuw-advies button[type=submit]")
    assert "Schrijf het onderwerp in één regel" in await page.inner_text("#fouten")
    assert await serious_violations(page) == [], "the register with an error"

    await page.fill("#subject", "Sneller een keukentafelgesprek")
    await page.check("#themes-waiting_times")
    await page.check("#life_domains-wmo")
    await page.locator("form.nieuw-advies input[name=signal_ids]").first.check()
    await page.fill("#text", "Wij adviseren het college om binnen vier weken een gesprek te voeren.")
    async with page.expect_navigation():
        await page.click("form.nieuw-advies button[type=submit]")
    assert "Het advies staat in het register." in await page.inner_text("#klaar")
    card = page.locator("article.advies").first
    assert "Sneller een keukentafelgesprek" in await card.inner_text()

    await card.locator("summary", has_text="Reactie vastleggen").click()
    await card.locator("input[name=decision][value=adopted]").check()
    await card.locator("textarea[name=response]").fill("Het college neemt het advies over.")
    async with page.expect_navigation():
        await card.locator("form.reactie button").click()
    assert "De reactie op het advies is vastgelegd." in await page.inner_text("#klaar")
    card = page.locator("article.advies").first
    assert "Overgenomen" in await card.locator(".besluit").inner_text()
    assert await serious_violations(page) == [], "the register"
    assert await fits(page, PHONE["width"])
    await page.locator("#adviezen").screenshot(path=str(SCREENSHOTS / "adviesraad-adviezen-phone.png"))
    await page.context.close()
