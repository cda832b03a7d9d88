"""Choosing together in headless Chromium: a coordinator opens a consultation question, reads the
resident's question and phone, plans the appointment (a mistake first), sees the resident's own page show
it, records that the conversation was held and what the resident wants, and assigns a duo by hand.

Intake, matching and notifications run in this process on real ports (matching reads the question from
intake over HTTP). axe-core checks every page at 390×844 and 1280×900, and each is photographed into
``SAMENLOKET_SCREENSHOTS`` (when set) for a person to look at.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from playwright.async_api import Browser, Page

from contracts.references import format_reference
from services.kit.dutch import DUTCH_TIME
from services.kit.settings import Settings
from tests.support.browser import CHROMIUM, PHONE
from tests.support.browser import check_at_both_sizes as check
from tests.support.harness import eventually
from tests.support.notifications import MailBox
from tests.support.overleg import ask_to_choose_together, coordinator_key, in_consultation, resident_page
from tests.support.workspace import Platform, add_supporter, platform

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture(scope="module")
async def p(settings: Settings, mailbox: MailBox) -> AsyncIterator[Platform]:
    async with platform(settings, mailbox) as running:
        yield running


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    # JavaScript on for axe-core only: the pages have no script (their forms work as plain HTTP, see
    # tests/integration/test_matching_choosing_together_page.py).
    context = await browser.new_context(viewport=PHONE, locale="nl-NL")
    yield await context.new_page()
    await context.close()


async def submit(page: Page, button: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=button).click()


def in_two_working_days() -> datetime:
    day = datetime.now(DUTCH_TIME).date() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 30, tzinfo=DUTCH_TIME)


async def test_a_coordinator_plans_the_conversation_and_assigns_a_duo_chosen_together(p: Platform, page: Page) -> None:
    bram = await add_supporter(p, name="Bram Visser", life_domains=["wmo"])
    sanne = await add_supporter(
        p, name="Sanne de Boer", kind="experience_expert", organisation="ouders", life_domains=["participation"]
    )
    question_id, person, text = await ask_to_choose_together(p)
    await in_consultation(p, question_id)
    # The number everyone reads: the resident's reference from intake, carried to matching on the event.
    reference = await p.intake.runtime.db.fetchval(
        "SELECT reference FROM questions WHERE question_id = $1::uuid", question_id
    )
    short = format_reference(reference)

    await page.goto(p.matching_url + "/overleg")
    await page.fill("#api_key", await coordinator_key(p))
    await submit(page, "Inloggen")
    card = page.locator(f"section[data-question-id='{question_id}']")
    assert "Nog niet gepland" in await card.locator(".afspraak").inner_text()
    assert "samen kiezen" in await card.inner_text()
    assert text not in await page.content()
    await check(page, "1-overleg-wachtrij")

    async with page.expect_navigation():
        await card.get_by_role("link", name=f"Open vraag {short}").click()
    assert await page.title() == f"Vraag {short} – Gezamenlijk overleg"
    assert await page.locator("#vraagtekst").inner_text() == text
    assert await page.locator("#naam").inner_text() == person["name"]
    assert await page.locator("#telefoon").inner_text() == person["phone"]
    assert "Nog geen afspraak" in await page.locator("#afspraak-stand").inner_text()
    await check(page, "2-vraag")

    await submit(page, "Afspraak opslaan")
    assert await page.title() == f"Fout: Vraag {short} – Gezamenlijk overleg"
    summary = page.locator(".error-summary")
    assert await summary.locator("a[href='#datum']").inner_text() == (
        "Vul de datum van de afspraak in, bijvoorbeeld 16-03-2027."
    )
    assert await page.locator("#tijd").get_attribute("aria-invalid") == "true"
    await check(page, "3-afspraak-fout")

    moment = in_two_working_days()
    await page.fill("#datum", moment.date().isoformat())
    await page.fill("#tijd", "10:30")
    await submit(page, "Afspraak opslaan")
    assert "De afspraak is opgeslagen" in await page.locator("#gedaan").inner_text()
    assert f"{moment.day} " in await page.locator("#afspraak-stand").inner_text()
    await check(page, "4-afspraak-gepland")

    # The resident's own page shows the appointment (intake heard it from matching).
    mine = p.urls["intake"] + await resident_page(p, question_id)

    async def planned_shown() -> bool:
        await page.goto(mine)
        return "U heeft een afspraak op" in await page.locator("#status-explanation").inner_text()

    await eventually(planned_shown, timeout=30)
    assert await page.locator("#status").inner_text() == "U heeft een afspraak om samen te kiezen"
    assert "10:30 uur om samen te kiezen" in await page.locator("#status-explanation").inner_text()
    await check(page, "5-mijn-vraag-afspraak")

    await page.goto(f"{p.matching_url}/overleg/vragen/{question_id}")
    await submit(page, "Het gesprek is gehouden")
    assert "Het gesprek is vastgelegd" in await page.locator("#gedaan").inner_text()
    await page.fill("#inwoner_wens", "Wil iemand die zelf mantelzorger was, en een beroepskracht voor de aanvraag.")
    await submit(page, "Opslaan")
    assert "Wat de inwoner wil, is opgeslagen." in await page.locator("#gedaan").inner_text()
    await check(page, "6-gesprek-en-wens")

    # The rules propose this duo; its link preselects both (no script needed).
    proposals = page.locator("#duo-voorstellen li")
    assert "Samen helpen ze bij alle leefgebieden" in await proposals.first.inner_text()
    async with page.expect_navigation():
        await proposals.first.get_by_role("link").click()
    assert await page.locator("#duo_beroepskracht").input_value() == bram.id
    assert await page.locator("#duo_partner").input_value() == sanne.id
    await page.fill("#duo_reden", "Samen gekozen in het gesprek: de inwoner wil een ervaringsdeskundige erbij.")
    await submit(page, "Dit duo toewijzen")
    notice = await page.locator("#toegewezen").inner_text()
    assert f"Vraag {short} is toegewezen aan Bram Visser (MEE Plus) en Sanne de Boer (Ouderplatform ZHZ)." in notice
    assert await page.locator(f"section[data-question-id='{question_id}']").count() == 0
    await check(page, "7-duo-toegewezen")

    async def both_shown() -> bool:
        await page.goto(mine)
        return "Sanne de Boer" in await page.inner_text("main")

    await eventually(both_shown, timeout=30)
    assert "Bram Visser" in await page.locator("#supporters").inner_text()
    assert await page.inner_text("#status") == "Er zijn twee cliëntondersteuners voor u"
    history = await page.locator("#history").inner_text()
    assert history.count("Ondersteuner gekoppeld") == 1 and "Gesprek gehad om samen te kiezen" in history
    await check(page, "8-mijn-vraag-duo")


async def test_a_question_without_consent_and_a_full_partner(p: Platform, page: Page) -> None:
    await add_supporter(p, name="Karin Jansen", life_domains=["wmo"])
    full = await add_supporter(
        p, name="Piet Vol", kind="volunteer", organisation="ouders", life_domains=["participation"], capacity=0
    )
    question_id, person, text = await ask_to_choose_together(p, share=False)
    await in_consultation(p, question_id)
    await page.goto(p.matching_url + "/overleg")
    await page.fill("#api_key", await coordinator_key(p))
    await submit(page, "Inloggen")
    await page.goto(f"{p.matching_url}/overleg/vragen/{question_id}")
    assert "geen toestemming" in await page.locator("#geen-toestemming").inner_text()
    assert text not in await page.content() and person["name"] not in await page.content()
    assert await page.locator(f"#duo_partner option[value='{full.id}']").is_disabled()
    await check(page, "9-vraag-zonder-toestemming")

    await page.goto(f"{p.matching_url}/overleg/vragen/q-bestaat-niet")
    assert await page.locator("h1").inner_text() == "Dat lukte niet"
    await check(page, "10-vraag-niet-in-overleg")
