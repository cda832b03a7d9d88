"""The "te laat" flag on the coordinators' page (/overleg) in headless Chromium: assignments past the
promise of first contact within 3 working days, with the supporter's and the organisation's names,
the municipality and how late, counted by the clock of matching's first-contact watch (moved here).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from contracts import topics
from contracts.events import SupporterAssigned
from services.kit import access
from services.kit.dutch import DUTCH_TIME
from services.kit.settings import Settings
from services.matching import store
from services.matching.domain import SupporterRecord
from tests.support.browser import CHROMIUM, PHONE, serious_violations, serve_app
from tests.support.harness import RunningService, publish, run_service
from tests.support.matching import envelope, events_about, question, uid

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed"),
]

#: The watch's clock: Monday 14 September 2026, 10:00 in the Netherlands.
NOW = datetime(2026, 9, 14, 10, 0, tzinfo=DUTCH_TIME)


@dataclass
class Served:
    url: str
    svc: RunningService
    key: str


@pytest.fixture(scope="module")
async def matching(settings: Settings) -> AsyncIterator[Served]:
    def with_clock(runtime: Any) -> None:
        runtime.container.first_contact.clock = lambda: NOW

    async with run_service("matching", settings, prepare=with_clock) as svc:
        async with svc.runtime.db.acquire() as conn:
            await store.upsert_organisation(conn, "mee", "MEE Plus", False)
            await store.upsert_organisation(conn, "ouderplatform", "Ouderplatform Drechtsteden", False)
            key = await access.create_key(conn, "regio-overleg", ["coordinator"])
        async with serve_app(svc.app) as url:
            yield Served(url, svc, key)


async def assigned(settings: Settings, served: Served, municipality: str, name: str, org: str, at: datetime) -> str:
    """A supporter of ``org`` assigned a question in ``municipality`` at the moment ``at``."""
    supporter = SupporterRecord(
        id=uid("s"),
        name=name,
        email="x@example.nl",
        kind="professional",
        organisation=org,
        municipalities=[municipality],
        life_domains=["wmo"],
        languages=["nl"],
        capacity=3,
        postcode="3311",
    )
    async with served.svc.runtime.db.acquire() as conn:
        await store.upsert_supporter(conn, supporter)
    q = question(municipality)
    await publish(settings, topics.QUESTIONS, envelope(q))
    await events_about(settings, q.question_id, SupporterAssigned.ce_type)
    await served.svc.runtime.db.execute(
        "UPDATE assignments SET assigned_at = $2 WHERE question_id = $1", q.question_id, at
    )
    return q.question_id


async def sign_in(page: Page, served: Served, key: str) -> None:
    await page.goto(served.url + "/overleg")
    await page.fill("#api_key", key)
    async with page.expect_navigation():
        await page.click("button[type=submit]")


def flagged(page: Page, question_id: str) -> Any:
    return page.locator(f"#te-laat article[data-question-id='{question_id}']")


async def test_late_first_contacts_are_flagged_with_names_and_how_late(
    settings: Settings, matching: Served, browser: Browser, tmp_path: Path
) -> None:
    long_late = await assigned(
        settings, matching, "GM0505", "Bram Visser", "mee", datetime(2026, 9, 7, 10, 0, tzinfo=DUTCH_TIME)
    )
    just_late = await assigned(
        settings, matching, "GM0642", "Karin de Boer", "ouderplatform", datetime(2026, 9, 9, 10, 0, tzinfo=DUTCH_TIME)
    )
    in_time = await assigned(
        settings, matching, "GM0505", "Sanne Smit", "mee", datetime(2026, 9, 10, 10, 0, tzinfo=DUTCH_TIME)
    )

    context = await browser.new_context(locale="nl-NL", viewport=PHONE)  # axe needs JavaScript
    try:
        page = await context.new_page()
        await sign_in(page, matching, matching.key)
        heading = page.locator("#te-laat-kop")
        assert await heading.inner_text() == "Te laat: nog geen eerste contact"

        bram = await flagged(page, long_late).inner_text()
        assert f"Vraag {long_late[:8].upper()}: te laat" in bram
        for fact in ("Bram Visser", "MEE Plus", "Dordrecht", "7 september 2026, 10:00"):
            assert fact in bram
        assert "5 werkdagen zonder eerste contact: 2 werkdagen te laat" in bram
        karin = await flagged(page, just_late).inner_text()
        assert "Karin de Boer" in karin and "Ouderplatform Drechtsteden" in karin and "Zwijndrecht" in karin
        assert "3 werkdagen zonder eerste contact: sinds vandaag te laat" in karin
        assert await flagged(page, in_time).count() == 0
        # The longest late first.
        order = await page.locator("#te-laat article").evaluate_all("els => els.map(e => e.dataset.questionId)")
        assert order.index(long_late) < order.index(just_late)

        assert await serious_violations(page) == [], "the page with late first contacts"
        await page.locator("#te-laat").screenshot(path=str(tmp_path / "overleg-te-laat.png"))
        await page.screenshot(path=str(tmp_path / "overleg-phone.png"), full_page=True)
        assert (tmp_path / "overleg-te-laat.png").stat().st_size > 0
    finally:
        await context.close()


async def test_a_municipalitys_key_sees_only_its_own_late_first_contacts(
    settings: Settings, matching: Served, browser: Browser
) -> None:
    here = await assigned(
        settings, matching, "GM0590", "Ali Yilmaz", "mee", datetime(2026, 9, 1, 9, 0, tzinfo=DUTCH_TIME)
    )
    there = await assigned(
        settings, matching, "GM0610", "Eva Bos", "mee", datetime(2026, 9, 1, 9, 0, tzinfo=DUTCH_TIME)
    )
    async with matching.svc.runtime.db.acquire() as conn:
        papendrecht = await access.create_key(conn, "regio-overleg", ["coordinator"], municipality="GM0590")
        molenlanden = await access.create_key(conn, "regio-overleg", ["coordinator"], municipality="GM1978")
    context = await browser.new_context(locale="nl-NL", java_script_enabled=False)
    try:
        page = await context.new_page()
        await sign_in(page, matching, papendrecht)
        assert await flagged(page, here).count() == 1
        assert await flagged(page, there).count() == 0
        await page.click("form.account button")
        await sign_in(page, matching, molenlanden)
        assert await page.locator("#te-laat article").count() == 0
        assert "geen vragen waarbij het eerste contact te laat is" in await page.locator("#niets-te-laat").inner_text()
    finally:
        await context.close()
