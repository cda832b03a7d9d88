"""The supporter's journey in headless Chromium, end to end over real HTTP and real SMTP.

A resident asks on intake's form → the supporter's mail arrives at a real SMTP receiver → its link asks
the supporter to sign in → the sign-in link from their mailbox opens the case → they see the resident's
name, question and phone → accept → record first contact → end support → the resident's invitation to
share their experience arrives. Intake, matching and notifications run in this process, each on a real
port. axe-core checks every supporters' page at 390×844 and 1280×900, and each is photographed into
``SAMENLOKET_SCREENSHOTS`` (when set) for a person to look at.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from playwright.async_api import Browser, Page

from services.kit.dutch import DUTCH_TIME
from services.kit.settings import Settings
from services.matching.workspace.signin import new_token
from tests.support.browser import CHROMIUM, PHONE
from tests.support.browser import check_at_both_sizes as check
from tests.support.harness import eventually
from tests.support.notifications import MailBox
from tests.support.workspace import CASE_LINK, Platform, add_supporter, link_in_mail, platform, text_of

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
    # JavaScript on, for axe-core only: the pages have no script (their forms work as plain HTTP, see
    # tests/integration/test_matching_workspace.py).
    context = await browser.new_context(viewport=PHONE, locale="nl-NL")
    yield await context.new_page()
    await context.close()


async def submit(page: Page, button: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=button).click()


async def resident_asks(page: Page, p: Platform, resident: dict[str, str]) -> str:
    await page.goto(p.urls["intake"] + "/")
    await page.check("#life_domains-wmo")
    await page.fill("#description", resident["description"])
    await page.select_option("#language", "nl")
    await page.check("#meeting_preference-home")
    await page.fill("#name", resident["name"])
    await page.fill("#email", resident["email"])
    await page.fill("#phone", resident["phone"])
    await page.fill("#postcode", "3311 AB")
    await page.select_option("#municipality", "GM0505")
    await page.check("#consent")
    async with page.expect_navigation():
        await page.locator("form button[type=submit]").last.click()
    match = re.search(r"/bevestiging/([0-9a-f-]{36})$", page.url)
    assert match, page.url
    return match.group(1)


async def test_a_supporter_signs_in_from_the_mail_and_takes_the_case_to_its_end(
    p: Platform, mailbox: MailBox, page: Page
) -> None:
    tag = uuid.uuid4().hex[:6]
    fatima = await add_supporter(p, name="Fatima el Amrani", email=f"fatima.{tag}@mee.example")
    resident = {
        "name": f"Anna de Vries {tag}",
        "email": f"anna.{tag}@example.nl",
        "phone": "06 1234 5678",
        "description": f"Ik zoek hulp bij de aanvraag voor begeleiding van mijn zoon ({tag}).",
    }
    question_id = await resident_asks(page, p, resident)

    # The supporter's mail arrives, and its link leads to their own page of the case.
    await eventually(lambda: any("Nieuwe vraag" in str(m["Subject"]) for m in mailbox.to(fatima.email)), timeout=60)
    new_case = next(m for m in mailbox.to(fatima.email) if "Nieuwe vraag" in str(m["Subject"]))
    link = CASE_LINK.search(text_of(new_case))
    assert link and link.group(0) == f"{p.matching_url}/mijn-vragen/{question_id}"
    await page.goto(link.group(0))
    assert await page.title() == "Inloggen – Mijn vragen"
    await check(page, "1-inloggen")

    await page.fill("#email", "")
    await submit(page, "Stuur mij een link")
    assert await page.title() == "Fout: Inloggen – Mijn vragen"
    assert await page.locator(".error-summary a[href='#email']").inner_text() == "Vul uw e-mailadres in."
    await check(page, "1b-inloggen-fout")

    await page.fill("#email", fatima.email)
    await submit(page, "Stuur mij een link")
    assert await page.locator("h1").inner_text() == "Kijk in uw e-mail"
    await check(page, "2-kijk-in-uw-email")

    sign_in = await link_in_mail(mailbox, fatima.email)
    await page.goto(sign_in)
    assert await page.locator("h1").inner_text() == "Inloggen bij Mijn vragen"
    await check(page, "3-link-uit-de-mail")
    await submit(page, "Inloggen")

    # The case: the resident's name, question and phone (the resident consented).
    assert page.url == f"{p.matching_url}/mijn-vragen/{question_id}"
    assert await page.locator("h1").inner_text() == "Vraag uit Dordrecht"
    assert await page.locator("#naam").inner_text() == resident["name"]
    assert await page.locator("#telefoon").inner_text() == resident["phone"]
    assert await page.locator("#vraagtekst").inner_text() == resident["description"]
    assert "Bij mij thuis" in await page.inner_text("main")
    assert "Ingelogd als Fatima el Amrani, MEE Plus" in await page.inner_text("header")
    await check(page, "4-vraag-nieuw")

    await submit(page, "Ik neem deze vraag aan")
    assert "U heeft de vraag aangenomen" in await page.locator("#gedaan").inner_text()
    await check(page, "5-vraag-aangenomen")

    await page.fill("#datum", "")
    await submit(page, "Eerste contact opslaan")
    assert await page.title() == "Fout: Vraag uit Dordrecht – Mijn vragen"
    await check(page, "5b-eerste-contact-fout")
    await page.fill("#datum", datetime.now(DUTCH_TIME).date().isoformat())
    await page.check("#manier-phone")
    await submit(page, "Eerste contact opslaan")
    assert await page.locator(".case-status .tag").inner_text() == "In contact"

    await page.goto(f"{p.matching_url}/mijn-vragen")
    assert await page.locator("#in-contact .case-card").count() == 1
    await check(page, "6-mijn-vragen")

    await page.goto(f"{p.matching_url}/mijn-vragen/{question_id}")
    await page.check("#uitkomst-completed")
    await submit(page, "Ondersteuning stoppen")
    assert await page.locator(".case-status .tag").inner_text() == "Gestopt"
    assert resident["name"] not in await page.content()
    await check(page, "7-vraag-gestopt")

    # The resident's invitation to say how it went.
    await eventually(
        lambda: any("Hoe was uw cliëntondersteuning" in str(m["Subject"]) for m in mailbox.to(resident["email"])),
        timeout=60,
    )


async def test_the_pages_for_a_bad_link_another_case_and_signing_out(p: Platform, mailbox: MailBox, page: Page) -> None:
    await page.goto(f"{p.matching_url}/mijn-vragen/inloggen/{new_token()}")
    assert await page.locator("h1").inner_text() == "Deze link werkt niet meer"
    await check(page, "8-link-werkt-niet")

    wendy = await add_supporter(p, name="Wendy de Wit")
    await page.goto(f"{p.matching_url}/mijn-vragen/inloggen")
    await page.fill("#email", wendy.email)
    await submit(page, "Stuur mij een link")
    await page.goto(await link_in_mail(mailbox, wendy.email))
    await submit(page, "Inloggen")
    assert "U heeft nog geen vragen" in await page.inner_text("main")
    await check(page, "9-mijn-vragen-leeg")

    await page.goto(f"{p.matching_url}/mijn-vragen/q-van-iemand-anders")
    assert await page.locator("h1").inner_text() == "Deze vraag vinden wij niet"
    await check(page, "10-vraag-niet-gevonden")

    await submit(page, "Uitloggen")
    assert "U bent uitgelogd." in await page.inner_text("main")
    await page.goto(f"{p.matching_url}/mijn-vragen")
    assert await page.title() == "Inloggen – Mijn vragen"
