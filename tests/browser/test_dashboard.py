"""The reporting dashboard in headless Chromium, against reporting served over HTTP on this module's
PostgreSQL and broker, fed with real events (tests.support.reporting_events).

The main flow runs with JavaScript switched off: filters are a plain GET form, charts are inline SVG.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from playwright.async_api import Browser, BrowserContext, Page

from services.kit import access
from services.kit.settings import Settings
from services.reporting import report
from services.reporting.filters import quarter_period
from tests.support.browser import CHROMIUM, serious_violations, serve_app
from tests.support.harness import RunningService, eventually, run_service
from tests.support.reporting_events import EXPECTED, seed_quarters
from tests.support.reporting_names import names_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed"),
]


@dataclass
class Served:
    url: str
    svc: RunningService
    key: str  # an analyst of the whole region


async def counted(svc: RunningService) -> bool:
    """Whether every seeded question and assignment is in the projections."""
    for (area, quarter), expected in EXPECTED.items():
        year, number = quarter.split("-K")
        built = await report.build_report(svc.runtime.db, area, quarter_period(int(year), int(number)))
        if built.table("questions_by_month").total() != expected:
            return False
    april = await report.build_report(svc.runtime.db, "GM0505", quarter_period(2026, 2))
    capacity = april.table("capacity_by_organisation").total()
    contacted = april.statistic("first_contact_working_days_median").counts == (12,)
    return april.statistic("hours_to_assigned_median").counts == (12,) and capacity == 20 and contacted


@pytest.fixture(scope="module")
async def reporting(settings: Settings) -> AsyncIterator[Served]:
    """Reporting in this event loop (consumers), its app served over HTTP by uvicorn."""
    token = settings.internal_token.get_secret_value()
    with names_server(token) as matching:  # organisations' display names, as matching gives them
        async with run_service("reporting", settings.model_copy(update={"matching_url": matching.url})) as svc:
            async with svc.runtime.db.acquire() as conn:
                key = await access.create_key(conn, "regio-analyse", ["analyst"])
            await seed_quarters(settings)
            await eventually(lambda: counted(svc), timeout=60, interval=0.3)
            async with serve_app(svc.app) as url:
                yield Served(url, svc, key)


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A browser without JavaScript: the dashboard must work as plain HTML."""
    ctx = await browser.new_context(java_script_enabled=False, locale="nl-NL")
    yield ctx
    await ctx.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


async def sign_in(page: Page, served: Served, start: str = "/dashboard?kwartaal=2026-K2") -> None:
    await page.goto(served.url + start)
    await page.fill("#api_key", served.key)
    async with page.expect_navigation():
        await page.click("form.login button[type=submit]")


async def tile(page: Page, key: str) -> str:
    return await page.locator(f"li.tile[data-tile='{key}'] .tile-value").inner_text()


async def show(page: Page, **choices: str) -> None:
    for field, value in choices.items():
        await page.select_option(f"#{field}", value)
    async with page.expect_navigation():
        await page.click("form.filters button[type=submit]")


async def test_staff_sign_in_see_charts_and_filters_change_the_figures(reporting: Served, page: Page) -> None:
    await sign_in(page, reporting)
    assert await page.title() == "Dashboard – Samenloket"
    assert "kwartaal=2026-K2" in page.url  # back where the sign-in started
    assert await page.locator("#gekozen").inner_text() == "Cijfers van de hele regio over 2e kwartaal 2026."
    assert await tile(page, "vragen") == "32"  # Dordrecht 19 + Zwijndrecht 2 + Papendrecht 11

    charts = page.locator("svg.chart")
    assert await charts.count() == 5
    for i in range(5):
        svg = charts.nth(i)
        assert await svg.get_attribute("role") == "img"
        assert await svg.get_attribute("aria-label")
    month_bars = page.locator("figure[data-chart='vragen'] svg rect.bar")
    assert await month_bars.count() == 3
    assert await page.locator("figure[data-chart='tijd'] svg circle.point").count() >= 1
    details = page.locator("figure[data-chart='vragen'] details")
    await details.locator("summary").click()
    assert "apr 2026" in await details.locator("table").inner_text()

    await show(page, gemeente="GM0505")
    assert "gemeente=GM0505" in page.url
    assert await tile(page, "vragen") == "19"
    assert await page.locator("figure[data-chart='vragen'] svg rect.bar.suppressed").count() == 2  # May, June
    bars = page.locator("figure[data-chart='vragen'] svg rect.bar:not(.suppressed)")
    assert await bars.count() == 1
    assert await page.locator("figure[data-chart='vragen'] svg text.value", has_text="<10").count() == 2
    assert await tile(page, "hours_to_assigned_median") != "<10"
    assert await tile(page, "utilisation_percent") == "60 %"  # 12 active of 20 places
    utilisation = page.locator("figure[data-chart='bezetting'] svg")
    assert await utilisation.locator("text.value", has_text="12 van 20").count() == 1
    whole = float(await utilisation.locator("rect.bar.whole").get_attribute("width") or 0)
    part = float(await utilisation.locator("rect.bar:not(.whole)").get_attribute("width") or 0)
    assert part / whole == pytest.approx(12 / 20, abs=0.01)
    assert "MEE Plus" in await page.locator("figure[data-chart='bezetting']").inner_text()
    # First contact: every assignment within 3 working days; the organisation by its name.
    assert await tile(page, "first_contact_within_rate") == "100 %"
    assert await tile(page, "first_contact_working_days_median") == "1,5"  # "werkdagen (mediaan)" below it
    contact = page.locator("table[data-table='first_contact_by_organisation']")
    assert "MEE Plus" in await contact.inner_text() and "mee-plus" not in await contact.inner_text()
    assert "Binnen 3 werkdagen" in await contact.locator("thead").inner_text()
    assert await page.locator("figure[data-chart='eerste-contact'] svg").count() == 1

    await show(page, kwartaal="2026-K3")
    assert await tile(page, "vragen") == "11"
    assert "3e kwartaal 2026" in await page.locator("#gekozen").inner_text()

    await show(page, gemeente="GM0642", kwartaal="2026-K2")
    assert await tile(page, "vragen") == "<10"
    assert await tile(page, "hours_to_assigned_median") in ("–", "<10")

    # An own period: the select on "Eigen periode" and two dates.
    await page.select_option("#kwartaal", "")
    await page.fill("#van", "2026-04-01")
    await page.fill("#tot", "2026-04-30")
    await show(page, gemeente="")
    assert "1 april 2026 tot en met 30 april 2026" in await page.locator("#gekozen").inner_text()
    assert await tile(page, "vragen") == "25"

    # A date that does not exist: the error names the field and the figures are not shown.
    await page.goto(reporting.url + "/dashboard?kwartaal=&van=2026-02-30&tot=2026-03-01")
    assert "Controleer de filters" in await page.locator(".error-summary").inner_text()
    assert await page.locator("#van").get_attribute("aria-invalid") == "true"


async def test_the_quarterly_report_renders_for_print(reporting: Served, page: Page) -> None:
    await sign_in(page, reporting, "/dashboard?kwartaal=2026-K2&gemeente=GM0505")
    async with page.expect_navigation():
        await page.click("text=Kwartaalrapportage voor het college")
    assert "jaar=2026" in page.url and "kwartaal=2" in page.url and "gemeente=GM0505" in page.url
    assert await page.locator("h1").inner_text() == "Dordrecht: 2e kwartaal 2026"
    summary = await page.locator("#samenvatting").inner_text()
    assert "In het 2e kwartaal 2026 kwamen 19 vragen binnen in Dordrecht." in summary
    assert "De helft van de inwoners had binnen" in summary
    assert await page.locator("section.sheet").count() == 8  # the councils' advices have a chapter of their own
    assert "In dit kwartaal zijn er geen adviezen gegeven of beantwoord." in await page.inner_text("#adviezen")
    assert await page.locator("svg.chart").count() == 5
    contact = await page.locator("#kop-contact").locator("xpath=..").inner_text()
    assert "Binnen 3 werkdagen" in contact and "MEE Plus" in contact
    assert "Bij 100 % van de koppelingen was er binnen 3 werkdagen contact met de inwoner." in summary
    await page.emulate_media(media="print")
    assert await page.locator("header.page-header").is_hidden()
    assert await page.locator("section.sheet").first.is_visible()


async def test_the_pages_are_accessible_and_fit_a_phone(reporting: Served, browser: Browser) -> None:
    context = await browser.new_context(locale="nl-NL", viewport={"width": 375, "height": 800})  # axe needs JS
    try:
        page = await context.new_page()
        await page.goto(reporting.url + "/dashboard")
        assert await serious_violations(page) == [], "the sign-in page"
        await sign_in(page, reporting, "/dashboard?kwartaal=2026-K2&gemeente=GM0505")
        assert await page.locator("svg.chart").count() == 5
        assert await serious_violations(page) == [], "the dashboard"
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        await page.goto(reporting.url + "/dashboard/kwartaalrapportage?jaar=2026&kwartaal=2&gemeente=GM0505")
        assert await serious_violations(page) == [], "the quarterly report"
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        await context.close()
