"""Every page of every service, in the look of each shipped region (Drechtsteden and IJmond, from their
region files), in headless Chromium at 390×844 and 1280×900: nothing wider than the screen (no sideways
scrolling) and no serious or critical axe-core violation.

Intake, matching and notifications run in this process on real ports, wired to each other and to a real
SMTP receiver (tests.support.workspace); reporting is served beside them. Each page is reached as a
person reaches it, so it shows its real state: the resident fills in the form, opens the link from the
confirmation, the supporter signs in with the link from their mail, the coordinator and the analyst sign
in with their keys. With ``SAMENLOKET_SCREENSHOTS`` set, every page is photographed at both widths
(``<region>-<page>-<width>.png``).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from contracts import topics
from contracts.envelope import from_model
from contracts.events import ConsultationRequired, Reason, SupportEnded, SupporterAssigned
from services.kit import access
from services.kit.region import Region, load_region
from services.kit.settings import Settings
from tests.support.browser import CHROMIUM, DESKTOP, PHONE, SHOTS, serious_violations, serve_app
from tests.support.harness import eventually, publish, run_service
from tests.support.matching import envelope, events_about, question
from tests.support.notifications import MailBox
from tests.support.workspace import Platform, add_supporter, ask, assigned_to, link_in_mail, platform, text_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed"),
]

REGION_VARIABLE = "SAMENLOKET_REGION_FILE"
INTERNAL = {"Authorization": "Bearer test-internal-token", "X-Purpose": "support", "X-Caller": "tests"}
EXPERIENCE = re.compile(r"https?://[^\s\"<>]+/ervaring/[A-Za-z0-9_-]{20,}")
OPT_OUT = re.compile(r"https?://[^\s\"<>]+/opt-out\?[^\s\"<>]+")


ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Place:
    """A shipped region and where in it the pages are reached: the home municipality the supporter serves
    (with a postcode there), and one no supporter serves (a question there waits)."""

    file: Path
    home: str
    postcode: str
    unserved: str

    @property
    def region(self) -> Region:
        return load_region(self.file)


REGIONS = {
    "drechtsteden": Place(ROOT / "regions" / "drechtsteden.toml", "GM0505", "3311", "GM0482"),
    "ijmond": Place(ROOT / "regions" / "ijmond.toml", "GM0453", "1971", "GM0396"),
}


@dataclass
class Site:
    place: Place
    p: Platform
    mailbox: MailBox
    reporting: str
    supporter_email: str
    coordinator: str
    analyst: str
    officer: str
    staff: str
    sign_ins: dict[str, int] = field(default_factory=dict)

    def url(self, service: str, path: str) -> str:
        return (self.reporting if service == "reporting" else self.p.urls[service]) + path


@pytest.fixture(scope="module", params=list(REGIONS))
def place(request: pytest.FixtureRequest) -> Iterator[Place]:
    """The region served; the test process's own look-ups (matching's store) follow it too."""
    chosen = REGIONS[request.param]
    before = os.environ.get(REGION_VARIABLE)
    os.environ[REGION_VARIABLE] = str(chosen.file)
    try:
        yield chosen
    finally:
        if before is None:
            os.environ.pop(REGION_VARIABLE, None)
        else:
            os.environ[REGION_VARIABLE] = before


@pytest.fixture(scope="module")
async def site(settings: Settings, mailbox: MailBox, place: Place) -> AsyncIterator[Site]:
    async with platform(settings, mailbox, region_file=str(place.file)) as p:
        supporter = await add_supporter(
            p, name="Fatima el Amrani", capacity=50, municipalities=[place.home], postcode=place.postcode
        )
        async with p.matching.runtime.db.acquire() as conn:
            coordinator = await access.create_key(conn, "regio-overleg", ["coordinator"])
        async with p.intake.runtime.db.acquire() as conn:
            officer = await access.create_key(conn, "privacy", ["privacy-officer"])
            staff = await access.create_key(conn, "loket", ["staff"])
        async with run_service("reporting", p.settings) as reporting:
            async with reporting.runtime.db.acquire() as conn:
                analyst = await access.create_key(conn, "regio-analyse", ["analyst"])
            # Something to count, to consult on and to be late with: a question that is assigned, and one
            # that no supporter can take (Arabic) and waits for the joint consultation.
            question_id, _ = await ask(p, municipality=place.home)
            await assigned_to(p, question_id)
            consulted = question(place.home, languages=["ar"])
            await publish(p.settings, topics.QUESTIONS, envelope(consulted))
            await events_about(p.settings, consulted.question_id, ConsultationRequired.ce_type)
            async with serve_app(reporting.app) as url:
                yield Site(place, p, mailbox, url, supporter.email, coordinator, analyst, officer, staff)


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    # JavaScript on for axe-core only: the pages have no script.
    context = await browser.new_context(viewport=PHONE, locale="nl-NL")
    yield await context.new_page()
    await context.close()


# --- how a person gets to each page ---------------------------------------------------------------

Visit = Callable[[Page, Site], Awaitable[None]]
PAGES: dict[str, Visit] = {}


def visit(name: str) -> Callable[[Visit], Visit]:
    def register(fn: Visit) -> Visit:
        PAGES[name] = fn
        return fn

    return register


async def submit(page: Page, selector: str = "main form button[type=submit]") -> None:
    async with page.expect_navigation():
        await page.locator(selector).last.click()


async def resident_asks(page: Page, s: Site) -> None:
    tag = uuid.uuid4().hex[:6]
    await page.goto(s.url("intake", "/"))
    await page.check("#life_domains-wmo")
    await page.fill("#description", f"Ik zoek hulp bij de aanvraag voor begeleiding thuis ({tag}).")
    await page.select_option("#language", "nl")
    await page.check("#meeting_preference-home")
    await page.fill("#name", f"Anna de Vries {tag}")
    await page.fill("#email", f"anna.{tag}@example.nl")
    await page.fill("#postcode", f"{s.place.postcode} AB")
    await page.select_option("#municipality", s.place.home)
    await page.check("#consent")
    await submit(page)
    assert "/bevestiging/" in page.url


async def status_page(page: Page, s: Site) -> None:
    await resident_asks(page, s)
    link = await page.locator("#status-link").get_attribute("href")
    assert link
    await page.goto(link)


async def signal_sent(page: Page, s: Site) -> None:
    await page.goto(s.url("intake", "/signaal"))
    await page.locator("input[name=theme]").first.check()
    await page.select_option("#municipality", s.place.home)
    await page.locator("input[name=level]").first.check()
    await page.locator("input[name=raised_by]").first.check()
    await page.fill("#text", "De wachttijd voor een gesprek met de gemeente is erg lang.")
    await submit(page)
    assert page.url.endswith("/signaal/bedankt")


async def experience_link(s: Site) -> str:
    """A question whose support ended (no supporter can take it where it was asked; the assignment and its end
    are published as matching would), and the invitation link from the mail the resident then gets."""
    question_id, person = await ask(s.p, municipality=s.place.unserved)
    now = datetime.now(UTC)
    common: dict[str, Any] = {
        "question_id": question_id,
        "assignment_id": str(uuid.uuid4()),
        "supporter_id": str(uuid.uuid4()),
        "organisation": "ouders",
        "municipality": s.place.unserved,
    }
    for event in (
        SupporterAssigned(**common, supporter_kind="volunteer", score=0.7, received_at=now, assigned_at=now),
        SupportEnded(**common, reason=Reason(code="completed", text="Afgerond."), ended_at=now),
    ):
        await publish(s.p.settings, topics.ASSIGNMENTS, from_model(event, source="/samenloket/matching"))

    def invited() -> str | None:
        for message in s.mailbox.to(person["email"]):
            found = EXPERIENCE.search(text_of(message))
            if found:
                return found.group(0)
        return None

    return str(await eventually(invited, timeout=60))


async def supporter_signs_in(page: Page, s: Site, start: str = "/mijn-vragen") -> None:
    await page.goto(s.url("matching", f"/mijn-vragen/inloggen?terug={start}"))
    await page.fill("#email", s.supporter_email)
    await submit(page)
    s.sign_ins[s.supporter_email] = s.sign_ins.get(s.supporter_email, 0) + 1
    await page.goto(await link_in_mail(s.mailbox, s.supporter_email, s.sign_ins[s.supporter_email]))


async def staff_sign_in(page: Page, url: str, key: str) -> None:
    await page.goto(url)
    await page.fill("#api_key", key)
    await submit(page)


async def opt_out_link(s: Site) -> str:
    _, person = await ask(s.p, municipality=s.place.home)

    def link() -> str | None:
        for message in s.mailbox.to(person["email"]):
            found = OPT_OUT.search(text_of(message))
            if found:
                return found.group(0)
        return None

    return str(await eventually(link, timeout=30))


@visit("intake-vraag")
async def _question(page: Page, s: Site) -> None:
    await page.goto(s.url("intake", "/"))


@visit("intake-vraag-fout")
async def _question_errors(page: Page, s: Site) -> None:
    await page.goto(s.url("intake", "/"))
    await submit(page)
    assert await page.locator(".error-summary").count() == 1


@visit("intake-bevestiging")
async def _confirmation(page: Page, s: Site) -> None:
    await resident_asks(page, s)


@visit("intake-mijn-vraag")
async def _mine(page: Page, s: Site) -> None:
    await status_page(page, s)
    assert await page.locator("#status").count() == 1


@visit("intake-mijn-vraag-intrekken")
async def _withdraw(page: Page, s: Site) -> None:
    await status_page(page, s)
    await page.click("#withdraw-link")
    assert await page.locator("#confirm-withdraw").count() == 1


@visit("intake-link-kwijt")
async def _lost(page: Page, s: Site) -> None:
    await page.goto(s.url("intake", "/mijn-vraag"))


@visit("intake-link-verstuurd")
async def _link_sent(page: Page, s: Site) -> None:
    await page.goto(s.url("intake", "/mijn-vraag"))
    await page.fill("#email", "iemand@example.nl")
    await submit(page)


@visit("intake-signaal")
async def _signal(page: Page, s: Site) -> None:
    await page.goto(s.url("intake", "/signaal"))


@visit("intake-signaal-bedankt")
async def _signal_thanks(page: Page, s: Site) -> None:
    await signal_sent(page, s)
    assert await page.locator("#status-link").count() == 1


@visit("intake-signaal-status")
async def _signal_status(page: Page, s: Site) -> None:
    await signal_sent(page, s)
    link = await page.locator("#status-link").get_attribute("href")
    assert link
    await page.goto(s.url("intake", link))
    assert await page.locator("#status").count() == 1


@visit("intake-ervaring")
async def _experience(page: Page, s: Site) -> None:
    await page.goto(await experience_link(s))
    assert await page.locator("input[name=score]").count() == 10


@visit("intake-ervaring-bedankt")
async def _experience_thanks(page: Page, s: Site) -> None:
    await page.goto(await experience_link(s))
    await page.get_by_role("group", name="Welk rapportcijfer geeft u?").get_by_label("8", exact=True).check()
    await submit(page)
    assert page.url.endswith("/ervaring/bedankt"), (page.url, await page.locator("main").inner_text())


@visit("intake-privacy-overzicht")
async def _export(page: Page, s: Site) -> None:
    question_id, _ = await ask(s.p, municipality=s.place.home)
    contact = await s.p.intake.client.get(
        f"/internal/v1/questions/{question_id}/contact",
        headers=INTERNAL,
    )
    ref = contact.json()["resident_ref"]
    await page.set_extra_http_headers({"Authorization": f"Bearer {s.officer}"})
    response = await page.goto(s.url("intake", f"/api/v1/residents/{ref}/export.html"))
    assert response is not None and response.status == 200


@visit("intake-niet-gevonden")
async def _intake_404(page: Page, s: Site) -> None:
    response = await page.goto(s.url("intake", "/bestaat-niet"))
    assert response is not None and response.status == 404


@visit("mijn-vragen-inloggen")
async def _sign_in(page: Page, s: Site) -> None:
    await page.goto(s.url("matching", "/mijn-vragen/inloggen"))


@visit("mijn-vragen-link-uit-mail")
async def _sign_in_link(page: Page, s: Site) -> None:
    await page.goto(s.url("matching", "/mijn-vragen/inloggen"))
    await page.fill("#email", s.supporter_email)
    await submit(page)
    s.sign_ins[s.supporter_email] = s.sign_ins.get(s.supporter_email, 0) + 1
    await page.goto(await link_in_mail(s.mailbox, s.supporter_email, s.sign_ins[s.supporter_email]))
    assert await page.locator("main form button").count() == 1


@visit("mijn-vragen")
async def _cases(page: Page, s: Site) -> None:
    await supporter_signs_in(page, s)
    await submit(page)
    assert await page.locator(".case-card").count() >= 1


@visit("mijn-vragen-vraag")
async def _case(page: Page, s: Site) -> None:
    await supporter_signs_in(page, s)
    await submit(page)
    await page.locator(".case-card__title a").first.click()
    await page.wait_for_load_state()
    assert await page.locator(".case-status").count() == 1


@visit("overleg-inloggen")
async def _overleg_sign_in(page: Page, s: Site) -> None:
    await page.goto(s.url("matching", "/overleg"))


@visit("overleg")
async def _overleg(page: Page, s: Site) -> None:
    await staff_sign_in(page, s.url("matching", "/overleg"), s.coordinator)
    assert await page.locator("section.vraag").count() >= 1


@visit("matching-niet-gevonden")
async def _matching_404(page: Page, s: Site) -> None:
    response = await page.goto(s.url("matching", "/bestaat-niet"))
    assert response is not None and response.status == 404


@visit("afmelden")
async def _opt_out(page: Page, s: Site) -> None:
    await page.goto(await opt_out_link(s))
    assert await page.locator("main form button").count() == 1


@visit("afmelden-gedaan")
async def _opted_out(page: Page, s: Site) -> None:
    await page.goto(await opt_out_link(s))
    await submit(page)


@visit("afmelden-link-werkt-niet")
async def _opt_out_bad(page: Page, s: Site) -> None:
    await page.goto(s.url("notifications", "/opt-out?token=niet-goed"))


@visit("dashboard-inloggen")
async def _dashboard_sign_in(page: Page, s: Site) -> None:
    await page.goto(s.url("reporting", "/dashboard"))


@visit("dashboard")
async def _dashboard(page: Page, s: Site) -> None:
    await staff_sign_in(page, s.url("reporting", "/dashboard"), s.analyst)
    assert await page.locator("svg.chart").count() >= 1


@visit("dashboard-filterfout")
async def _dashboard_error(page: Page, s: Site) -> None:
    await staff_sign_in(page, s.url("reporting", "/dashboard?van=2026-02-30"), s.analyst)
    assert await page.locator(".error-summary").count() == 1


@visit("kwartaalrapportage")
async def _report(page: Page, s: Site) -> None:
    await staff_sign_in(page, s.url("reporting", "/dashboard/kwartaalrapportage"), s.analyst)
    assert await page.locator(".sheet").count() >= 1


@visit("reporting-niet-gevonden")
async def _reporting_404(page: Page, s: Site) -> None:
    response = await page.goto(s.url("reporting", "/bestaat-niet"))
    assert response is not None and response.status == 404


# --- the check ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PAGES))
async def test_every_page_fits_the_screen_and_passes_axe(site: Site, page: Page, name: str) -> None:
    await PAGES[name](page, site)
    header = await page.locator("header.page-header").inner_text()
    assert site.place.region.loket.name in header, name  # the region's loket, on every page
    footer = await page.locator("footer.page-footer").inner_text()
    assert "Privacyverklaring" in footer and "Toegankelijkheidsverklaring" in footer, name
    for size in (PHONE, DESKTOP):
        await page.set_viewport_size(size)
        width: int = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], f"{name} is {width}px wide at {size['width']}px"
        assert await serious_violations(page) == [], f"{name} at {size['width']}px"
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            region = site.place.file.stem
            await page.screenshot(path=f"{SHOTS}/{region}-{name}-{size['width']}.png", full_page=True)
