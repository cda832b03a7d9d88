"""The resident web form and the signal form in headless Chromium, against intake run as a real process.

Intake runs as ``python -m services.cli serve intake`` on this module's PostgreSQL and broker;
Debian's Chromium is driven by Playwright; axe-core is injected into the pages for the
accessibility check.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import ConsumerRecord
from playwright.async_api import Browser, BrowserContext, Page
from pydantic import SecretStr

from contracts.events import QuestionReceived, SignalRaised
from contracts.topics import QUESTIONS, SIGNALS
from services.kit import broker
from services.kit.settings import Settings
from tests.support.browser import CHROMIUM, PHONE, free_port, serious_violations
from tests.support.harness import events_of, read_topic

ROOT = Path(__file__).resolve().parents[2]
#: Words of pydantic's English messages that must never reach a resident.
ENGLISH = re.compile(r"\b(field|value|required|invalid|string|should|must|input|error|missing)\b", re.IGNORECASE)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed"),
]


# --- intake as a process ---------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def environment_of(settings: Settings, **overrides: object) -> dict[str, str]:
    """The environment under which ``samenloket serve`` reads exactly these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMENLOKET_")}
    values = {name: getattr(settings, name) for name in settings.model_fields_set} | overrides
    for name, value in values.items():
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list | dict):
            text = json.dumps(value)
        else:
            text = str(value)
        env[f"SAMENLOKET_{name.upper()}"] = text
    return env


async def start_intake(settings: Settings, log: Path, **overrides: object) -> Server:
    port = free_port()
    env = environment_of(settings, host="127.0.0.1", port=port, **overrides)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", "intake"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        await wait_ready(server)
    except BaseException:
        stop(server)
        raise
    return server


async def wait_ready(server: Server, timeout: float = 90.0) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=2) as client:
        try:
            async with asyncio.timeout(timeout):
                while True:
                    if server.process.poll() is not None:
                        raise AssertionError(f"intake exited at start:\n{server.log.read_text()[-4000:]}")
                    try:
                        if (await client.get("/readyz")).status_code == 200:
                            return
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.2)
        except TimeoutError:
            raise AssertionError(f"intake not ready in {timeout}s:\n{server.log.read_text()[-4000:]}") from None


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="module")
async def intake(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    await broker.create_topics(settings)
    # A generous limit: every test here posts from 127.0.0.1; the limit has a test of its own.
    server = await start_intake(settings, tmp_path_factory.mktemp("intake") / "intake.log", web_rate_limit=1000)
    yield server
    stop(server)


@pytest.fixture(scope="module")
async def strict_intake(
    intake: Server, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Server]:
    """A second intake instance that admits only 2 submissions per client per 10 minutes."""
    server = await start_intake(
        settings, tmp_path_factory.mktemp("strict") / "intake.log", web_rate_limit=2, web_rate_window_seconds=600
    )
    yield server
    stop(server)


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=PHONE, locale="nl-NL")
    yield await context.new_page()
    await context.close()


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(settings.database_url)
    yield conn
    await conn.close()


@pytest.fixture
def resident() -> Iterator[dict[str, str]]:
    tag = uuid.uuid4().hex[:8]
    yield {
        "name": f"Fatima de Boer {tag}",
        "email": f"fatima.{tag}@example.nl",
        "description": f"Ik heb hulp nodig bij de aanvraag voor begeleiding thuis ({tag}).",
    }


# --- helpers ---------------------------------------------------------------------------------------


async def focused_id(page: Page) -> str:
    value: str = await page.evaluate("document.activeElement ? document.activeElement.id : ''")
    return value


async def tab_to(page: Page, element_id: str, limit: int = 80) -> None:
    """Press Tab until the element with ``element_id`` has the focus (proving it is reachable in order)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await focused_id(page) == element_id:
            return
    raise AssertionError(f"#{element_id} not reached by keyboard within {limit} Tabs")


async def fill_valid_form(page: Page, resident: dict[str, str]) -> None:
    """Fill in the form with mouse-free Playwright actions (works without JavaScript too)."""
    await page.check("#life_domains-wmo")
    await page.fill("#description", resident["description"])
    await page.check("#preferred_supporter_kind-volunteer")
    await page.select_option("#language", "nl")
    await page.check("#meeting_preference-home")
    await page.fill("#name", resident["name"])
    await page.fill("#email", resident["email"])
    await page.fill("#postcode", "3311 AB")
    await page.select_option("#municipality", "GM0505")
    await page.check("#found_via-huisarts")
    await page.check("#consent")


async def question_id_of(page: Page) -> str:
    match = re.search(r"/bevestiging/([0-9a-f-]{36})$", page.url)
    assert match, f"not on a confirmation page: {page.url}"
    return match.group(1)


async def csrf_pair(client: httpx.AsyncClient, path: str = "/") -> str:
    """Load a form as a browser would; the client keeps the cookie, the token from the page is returned."""
    response = await client.get(path)
    assert response.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert match
    return match.group(1)


# --- the question form -----------------------------------------------------------------------------


async def test_resident_fills_in_the_form_by_keyboard_and_gets_a_confirmation(
    intake: Server, page: Page, db: asyncpg.Connection, resident: dict[str, str], settings: Settings
) -> None:
    await page.goto(intake.url + "/")
    assert await page.title() == "Vraag een cliëntondersteuner – Samenloket Drechtsteden"  # the region's loket
    assert await page.locator("h2", has_text="Stap 1 van 5").count() == 1

    keyboard = page.keyboard
    await tab_to(page, "life_domains-wmo")
    await keyboard.press("Space")
    await tab_to(page, "life_domains-debts")
    await keyboard.press("Space")
    await tab_to(page, "description")
    await keyboard.type(resident["description"])
    await tab_to(page, "preferred_supporter_kind-any")  # Tab enters a radio group at its checked option
    await keyboard.press("ArrowUp")  # ... and the arrow keys choose: experience expert
    await tab_to(page, "language")
    await tab_to(page, "meeting_preference-no_preference")
    await keyboard.press("ArrowUp")  # at an office
    await tab_to(page, "name")
    await keyboard.type(resident["name"])
    await tab_to(page, "email")
    await keyboard.type(resident["email"])
    await tab_to(page, "postcode")
    await keyboard.type("3311 ab")
    await tab_to(page, "municipality")
    await keyboard.type("Dordrecht")
    assert await page.input_value("#municipality") == "GM0505"
    await tab_to(page, "found_via-wijkteam")
    await keyboard.press("Space")
    await tab_to(page, "consent")
    await keyboard.press("Space")
    await keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.type") == "submit"
    async with page.expect_navigation():
        await keyboard.press("Enter")

    question_id = await question_id_of(page)
    reference = (await page.inner_text(".reference")).strip()
    # One short reference everywhere (page, mails, phone): the one stored with the question.
    stored = await db.fetchval("SELECT reference FROM intake.questions WHERE question_id = $1", uuid.UUID(question_id))
    assert reference.replace("-", "") == stored and len(stored) == 8
    text = await page.inner_text("main")
    assert "Binnen 3 werkdagen neemt een cliëntondersteuner contact met u op" in text
    assert "gratis en onafhankelijk" in text
    for personal in resident.values():
        assert personal not in await page.content()

    row = await db.fetchrow(
        "SELECT channel, municipality, life_domains, postcode, preferred_supporter_kind, share_with_supporter"
        " FROM intake.questions WHERE question_id = $1",
        uuid.UUID(question_id),
    )
    assert row is not None, "the question is not in intake's database"
    assert dict(row) == {
        "channel": "web",
        "municipality": "GM0505",
        "life_domains": ["wmo", "debts"],
        "postcode": "3311",
        "preferred_supporter_kind": "experience_expert",
        "share_with_supporter": True,
    }
    async with httpx.AsyncClient(base_url=intake.url) as client:
        contact = await client.get(
            f"/internal/v1/questions/{question_id}/contact",
            headers={"Authorization": "Bearer test-internal-token", "X-Purpose": "test", "X-Caller": "browser-test"},
        )
    assert contact.status_code == 200, contact.text
    assert contact.json()["name"] == resident["name"]
    assert contact.json()["email"] == resident["email"]

    # Announced like any question, with the awareness answer and without personal data.
    records = await read_topic(settings, QUESTIONS, until=announced(question_id))
    [event] = [e for e in events_of(records, QuestionReceived.ce_type) if e.subject == question_id]
    assert (event.data["channel"], event.data["found_via"], event.data["meeting_preference"]) == (
        "web",
        "wijkteam",
        "office",
    )
    for record in records:
        assert all(personal.encode() not in (record.value or b"") for personal in resident.values())


async def test_missing_and_wrong_fields_show_dutch_errors_next_to_the_fields_and_keep_the_values(
    intake: Server, page: Page
) -> None:
    await page.goto(intake.url + "/")
    await page.fill("#description", "Ik weet niet waar ik moet beginnen.")
    await page.fill("#name", "Jan Smit")
    await page.fill("#email", "jan.smit@")
    await page.fill("#phone", "bel mij maar")
    await page.fill("#postcode", "12AB")
    async with page.expect_navigation():
        await page.click("button[type=submit]")

    assert (await page.title()).startswith("Fout: ")
    summary = page.locator(".error-summary[role=alert]")
    assert await summary.count() == 1
    expected = {
        "life_domains": ("life_domains-wmo", "Kies minstens één onderwerp"),
        "email": ("email", "Dit e-mailadres klopt niet"),
        "phone": ("phone", "Dit telefoonnummer klopt niet"),
        "postcode": ("postcode", "Vul een goede postcode in"),
        "municipality": ("municipality", "Kies uw gemeente"),
        "consent": ("consent", "Zet een vinkje"),
    }
    for field, (anchor, dutch) in expected.items():
        message = await page.inner_text(f"#{field}-error")
        assert dutch in message, (field, message)
        assert await summary.locator(f'a[href="#{anchor}"]', has_text=dutch).count() == 1, field
    for field in ("email", "phone", "postcode", "municipality", "consent"):
        control = page.locator(f"#{field}")
        assert await control.get_attribute("aria-invalid") == "true", field
        assert f"{field}-error" in (await control.get_attribute("aria-describedby") or ""), field
    assert "life_domains-error" in (
        await page.locator("fieldset:has(#life_domains-wmo)").get_attribute("aria-describedby") or ""
    )
    assert await page.locator("#description-error").count() == 0
    assert await page.locator("#name-error").count() == 0

    # What was typed stays, so nothing has to be typed twice.
    assert await page.input_value("#description") == "Ik weet niet waar ik moet beginnen."
    assert await page.input_value("#name") == "Jan Smit"
    assert await page.input_value("#email") == "jan.smit@"
    assert await page.input_value("#postcode") == "12AB"
    assert await page.is_checked("#preferred_supporter_kind-any")

    visible = await page.inner_text("body")
    assert not ENGLISH.search(visible), ENGLISH.search(visible)

    # A link in the summary takes the keyboard to the field.
    await summary.locator('a[href="#email"]').click()
    assert await focused_id(page) == "email"


async def test_without_email_and_phone_the_resident_is_asked_for_one(intake: Server, page: Page) -> None:
    await page.goto(intake.url + "/")
    await fill_valid_form(page, {"name": "Els", "email": "", "description": "Hulp bij schulden."})
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert "Vul uw e-mailadres of uw telefoonnummer in" in await page.inner_text("#email-error")
    assert await page.locator(".error-summary li").count() == 1


async def test_choosing_sms_asks_for_a_phone_number_then_reaches_the_confirmation(
    intake: Server, page: Page, resident: dict[str, str]
) -> None:
    await page.goto(intake.url + "/")
    await fill_valid_form(page, resident)
    group = page.get_by_role("group", name="Hoe wilt u berichten van ons krijgen?")
    await group.get_by_label("Per sms").check()  # found by its label: the radio is labelled
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert "telefoonnummer" in await page.inner_text("#preferred_channel-error")
    assert await page.is_checked("#preferred_channel-sms")  # the choice is kept

    await page.fill("#phone", "0612345678")
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    question_id = await question_id_of(page)
    async with httpx.AsyncClient(base_url=intake.url) as client:
        contact = await client.get(
            f"/internal/v1/questions/{question_id}/contact",
            headers={"Authorization": "Bearer test-internal-token", "X-Purpose": "test", "X-Caller": "browser-test"},
        )
    assert contact.json()["preferred_channel"] == "sms"


async def test_a_bsn_in_the_description_is_refused_in_dutch(intake: Server, page: Page) -> None:
    await page.goto(intake.url + "/")
    await fill_valid_form(page, {"name": "Kees", "email": "kees@example.nl", "description": "Mijn BSN is 111222333."})
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert "burgerservicenummer" in await page.inner_text("#description-error")


async def test_pages_have_no_serious_accessibility_violations(
    intake: Server, page: Page, resident: dict[str, str]
) -> None:
    await page.goto(intake.url + "/")
    assert await serious_violations(page) == [], "the form"

    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert await page.locator(".error-summary").count() == 1
    assert await serious_violations(page) == [], "the form with errors"

    await fill_valid_form(page, resident)
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    await question_id_of(page)
    assert await serious_violations(page) == [], "the confirmation"

    await page.goto(intake.url + "/signaal")
    assert await serious_violations(page) == [], "the signal form"
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert await page.locator(".error-summary").count() == 1
    assert await serious_violations(page) == [], "the signal form with errors"


async def test_the_form_works_without_javascript(
    intake: Server, browser: Browser, db: asyncpg.Connection, resident: dict[str, str]
) -> None:
    context: BrowserContext = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = await context.new_page()
        response = await page.goto(intake.url + "/")
        assert response is not None
        assert "<script" not in await response.text()
        await fill_valid_form(page, resident)
        async with page.expect_navigation():
            await page.click("button[type=submit]")
        question_id = await question_id_of(page)
        assert await page.locator(".reference").count() == 1
    finally:
        await context.close()
    assert (
        await db.fetchval("SELECT channel FROM intake.questions WHERE question_id = $1", uuid.UUID(question_id))
        == "web"
    )


async def test_the_form_fits_a_phone_screen(intake: Server, page: Page) -> None:
    await page.goto(intake.url + "/")
    overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "the page scrolls sideways at 390 px"
    small = await page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
              .filter(e => { const r = e.getBoundingClientRect(); return r.width < 24 || r.height < 24; })
              .map(e => e.id || e.name)"""
    )
    assert small == [], f"tap targets smaller than 24 px: {small}"


# --- guards and headers ----------------------------------------------------------------------------


async def test_pages_carry_security_headers(intake: Server) -> None:
    async with httpx.AsyncClient(base_url=intake.url) as client:
        for path in ("/", "/signaal"):
            headers = (await client.get(path)).headers
            assert "default-src 'self'" in headers["content-security-policy"]
            assert "frame-ancestors 'none'" in headers["content-security-policy"]
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "same-origin"
            cookie = headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=strict" in cookie


async def test_a_post_without_a_valid_csrf_token_is_refused(intake: Server, db: asyncpg.Connection) -> None:
    before = await db.fetchval("SELECT count(*) FROM intake.questions")
    body = {
        "life_domains": "wmo",
        "description": "Hulp bij wonen.",
        "name": "Piet",
        "email": "piet@example.nl",
        "postcode": "3311",
        "municipality": "GM0505",
        "consent": "ja",
    }
    async with httpx.AsyncClient(base_url=intake.url) as client:
        no_token = await client.post("/", data=body)
        token = await csrf_pair(client)
        forged = token.rsplit(".", 1)[0] + ".0" + "f" * 63
        wrong_field = await client.post("/", data=body | {"csrf_token": forged})
        signal = await client.post("/signaal", data={"theme": "other", "text": "x"})
    async with httpx.AsyncClient(base_url=intake.url) as cookieless:
        no_cookie = await cookieless.post("/", data=body | {"csrf_token": token})
    for response in (no_token, wrong_field, no_cookie, signal):
        assert response.status_code == 403
        assert "Dit formulier is verlopen" in response.text
        assert "Uw gegevens zijn niet verstuurd" in response.text
    assert await db.fetchval("SELECT count(*) FROM intake.questions") == before


async def test_too_many_submissions_from_one_client_get_429(strict_intake: Server, browser: Browser) -> None:
    async with httpx.AsyncClient(base_url=strict_intake.url) as client:
        token = await csrf_pair(client)
        first, second, third = [await client.post("/", data={"csrf_token": token}) for _ in range(3)]
    assert (first.status_code, second.status_code) == (422, 422)
    assert third.status_code == 429
    assert int(third.headers["retry-after"]) > 0
    assert "Even wachten" in third.text

    # The resident's browser, from the same address, sees the Dutch page too.
    context = await browser.new_context(viewport=PHONE)
    try:
        page = await context.new_page()
        await page.goto(strict_intake.url + "/")
        async with page.expect_navigation():
            await page.click("button[type=submit]")
        assert await page.inner_text("h1") == "Even wachten, alstublieft"
    finally:
        await context.close()


async def test_the_confirmation_of_an_unknown_question_is_not_found(intake: Server) -> None:
    async with httpx.AsyncClient(base_url=intake.url) as client:
        for path in (f"/bevestiging/{uuid.uuid4()}", "/bevestiging/niet-een-nummer"):
            response = await client.get(path)
            assert response.status_code == 404
            assert "Deze pagina bestaat niet" in response.text


# --- signals and experiences -----------------------------------------------------------------------


def announced(question_id: str) -> Any:
    return lambda records: any(e.subject == question_id for e in events_of(records, QuestionReceived.ce_type))


def signal_with(signal_id: str) -> Any:
    return lambda records: bool([e for e in events_of(records, SignalRaised.ce_type) if e.subject == signal_id])


async def test_a_signal_is_stored_and_announced_without_its_text(
    intake: Server, page: Page, db: asyncpg.Connection, settings: Settings
) -> None:
    text = f"Ik wacht al 10 weken op een keukentafelgesprek ({uuid.uuid4().hex[:8]})."
    known = {r["signal_id"] for r in await db.fetch("SELECT signal_id FROM intake.signals")}

    await page.goto(intake.url + "/signaal")
    assert "zet hier geen namen of persoonlijke gegevens in" in (await page.inner_text("#text-hint")).lower()
    await page.check("#theme-waiting_times")
    await page.select_option("#life_domain", "wmo")
    await page.select_option("#municipality", "GM0590")
    await page.check("#level-regional")
    await page.fill("#text", text)
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert page.url.endswith("/signaal/bedankt")
    assert await page.inner_text("h1") == "Bedankt voor uw bericht"

    rows = await db.fetch("SELECT signal_id, theme, life_domain, municipality, level, raised_by FROM intake.signals")
    new = [dict(r) for r in rows if r["signal_id"] not in known]
    assert len(new) == 1
    signal_id = str(new[0].pop("signal_id"))
    assert new[0] == {
        "theme": "waiting_times",
        "life_domain": "wmo",
        "municipality": "GM0590",
        "level": "regional",
        "raised_by": "resident",
    }
    records: list[ConsumerRecord] = await read_topic(settings, SIGNALS, until=signal_with(signal_id))
    assert all(text.encode() not in (r.value or b"") for r in records)


async def test_the_signal_form_shows_dutch_errors(intake: Server, page: Page) -> None:
    await page.goto(intake.url + "/signaal")
    await page.fill("#text", "x" * 2000 + "y")  # maxlength keeps the browser at 2000
    assert len(await page.input_value("#text")) == 2000
    await page.fill("#text", "")
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert "Kies waar uw signaal of ervaring over gaat" in await page.inner_text("#theme-error")
    assert "Kies de gemeente" in await page.inner_text("#municipality-error")
    assert "Schrijf op wat er gebeurde" in await page.inner_text("#text-error")
    visible = await page.inner_text("body")
    assert not ENGLISH.search(visible), ENGLISH.search(visible)
