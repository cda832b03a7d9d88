"""The resident's experience form in headless Chromium, at phone width, against intake on real infrastructure.

Intake runs in this event loop (consumers, outbox relay) and is served over HTTP by uvicorn;
matching's assignment events are published on the real broker, the personal link comes from the
internal endpoint notifications uses, and axe-core checks each page.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page

from contracts.envelope import from_model
from contracts.events import ExperienceShared, Reason, SupportEnded, SupporterAssigned
from contracts.topics import ASSIGNMENTS, EXPERIENCES
from services.kit import access
from services.kit.settings import Settings
from tests.support.browser import CHROMIUM, PHONE, free_port, serious_violations, serve_app
from tests.support.harness import RunningService, events_of, eventually, publish, read_topic, run_service

INTERNAL = {"Authorization": "Bearer test-internal-token"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed"),
]


@dataclass
class Served:
    url: str
    service: RunningService
    staff: dict[str, str]


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[Served]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    async with run_service("intake", settings.model_copy(update={"intake_url": url})) as svc:
        async with svc.runtime.db.acquire() as conn:
            key = await access.create_key(conn, "loket-staff", ["staff"])
        async with serve_app(svc.app, port):
            yield Served(url, svc, {"Authorization": f"Bearer {key}"})


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=PHONE, locale="nl-NL")
    yield await context.new_page()
    await context.close()


async def invitation_link(intake: Served, settings: Settings) -> str:
    """A question whose support ended, and the personal link notifications would send."""
    body: dict[str, Any] = {
        "municipality": "GM0505",
        "life_domains": ["youth"],
        "description": "Hulp bij jeugdhulp voor mijn zoon.",
        "postcode": "3312",
        "channel": "phone",
        "contact": {"name": "Sanne Browser", "email": f"sanne.{uuid.uuid4().hex[:8]}@example.nl"},
        "consent": {"share_with_supporter": True},
        "age_band": "27_44",
    }
    async with httpx.AsyncClient(base_url=intake.url) as client:
        response = await client.post("/api/v1/questions", json=body, headers=intake.staff)
        assert response.status_code == 202, response.text
        question_id = response.json()["question_id"]
        now = datetime.now(UTC)
        common: dict[str, Any] = {
            "question_id": question_id,
            "assignment_id": str(uuid.uuid4()),
            "supporter_id": str(uuid.uuid4()),
            "organisation": "ouderplatform",
            "municipality": "GM0505",
        }
        for event in (
            SupporterAssigned(**common, supporter_kind="volunteer", score=0.7, received_at=now, assigned_at=now),
            SupportEnded(**common, reason=Reason(code="completed", text="Afgerond."), ended_at=now),
        ):
            await publish(settings, ASSIGNMENTS, from_model(event, source="/samenloket/matching"))

        async def invited() -> str | None:
            answer = await client.post(f"/internal/v1/questions/{question_id}/experience-invitation", headers=INTERNAL)
            return str(answer.json()["url"]) if answer.status_code == 200 else None

        return str(await eventually(invited))


async def test_a_resident_shares_an_experience_on_a_phone(intake: Served, settings: Settings, page: Page) -> None:
    link = await invitation_link(intake, settings)
    assert link.startswith(intake.url + "/ervaring/")
    await page.goto(link)
    assert await page.title() == "Hoe ging de hulp? – Samenloket Drechtsteden"  # the region's loket
    assert await page.inner_text("h1") == "Hoe ging de hulp?"
    assert await serious_violations(page) == []
    # Nothing wider than the phone: no sideways scrolling.
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    await page.get_by_role("group", name="Ik wist waar ik terecht kon").get_by_label("Eens", exact=True).check()
    await page.get_by_role("group", name="Ik werd snel geholpen").get_by_label("Neutraal").check()
    # The third statement is left open. No score yet: the form asks for one, in Dutch.
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert (await page.title()).startswith("Fout: ")
    assert "Kies een rapportcijfer van 1 tot en met 10." in await page.inner_text(".error-summary")
    assert await page.is_checked("#knew_where_to_go-agree")  # the choices are kept
    assert await serious_violations(page) == []

    await page.get_by_role("group", name="Welk rapportcijfer geeft u?").get_by_label("8", exact=True).check()
    await page.get_by_label("Wat ging goed? Wat kan beter?").fill("Ze luisterde echt naar mij.")
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert page.url == intake.url + "/ervaring/bedankt"
    assert await page.inner_text("h1") == "Bedankt voor uw ervaring"
    assert await serious_violations(page) == []

    def shared(records: list[Any]) -> list[dict[str, Any]]:
        return [e.data for e in events_of(records, ExperienceShared.ce_type) if e.data["score"] == 8]

    records = await read_topic(settings, EXPERIENCES, until=lambda rs: len(shared(rs)) == 1)
    [event] = shared(records)
    assert event["statements"] == {
        "knew_where_to_go": "agree",
        "helped_quickly": "neutral",
        "supporter_on_my_side": None,
    }
    assert (event["organisation"], event["supporter_kind"], event["age_band"], event["has_text"]) == (
        "ouderplatform",
        "volunteer",
        "27_44",
        True,
    )
    assert all(b"luisterde" not in (r.value or b"") for r in records)

    # The link is spent: opening it again explains so, kindly.
    await page.goto(link)
    assert await page.inner_text("h1") == "U heeft uw ervaring al gedeeld"
    assert await serious_violations(page) == []
