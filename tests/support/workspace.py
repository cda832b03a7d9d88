"""Helpers for the supporters' pages ("Mijn vragen") in tests: intake, matching and notifications in this
event loop, each on a real port (they call each other over HTTP), mail to a real SMTP receiver; and a
supporter signing in by the link in their mail, as a browser without JavaScript would."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
import uvicorn

from services.kit import access
from services.kit.settings import Settings
from services.matching import store as matching_store
from services.matching.domain import SupporterRecord
from tests.support.harness import RunningService, eventually, run_service
from tests.support.notifications import MailBox, free_port

LINK = re.compile(r"https?://[^\s\"<>]+/mijn-vragen/inloggen/[A-Za-z0-9_-]{43}")
CASE_LINK = re.compile(r"https?://[^\s\"<>]+/mijn-vragen/[A-Za-z0-9._:\-]+")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LOKET_PHONE = "078 123 45 67"


@dataclass
class Platform:
    intake: RunningService
    matching: RunningService
    notifications: RunningService
    urls: dict[str, str]
    settings: Settings

    @property
    def matching_url(self) -> str:
        return self.urls["matching"]


async def _serve(running: RunningService, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    """Serve a started service on a real port. uvicorn trusts X-Forwarded-For from 127.0.0.1, so a test
    can act as several clients."""
    server = uvicorn.Server(
        uvicorn.Config(running.app, host="127.0.0.1", port=port, lifespan="off", log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, timeout=10)
    return server, task


@asynccontextmanager
async def platform(settings: Settings, mailbox: MailBox, **changes: Any) -> AsyncIterator[Platform]:
    """Intake, matching and notifications wired to each other and to ``mailbox``, with organisations."""
    ports = {name: free_port() for name in ("intake", "matching", "notifications")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    wired = settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": mailbox.port,
            "smtp_tls": "none",
            "intake_url": urls["intake"],
            "matching_url": urls["matching"],
            "notifications_url": urls["notifications"],
            "matching_public_url": urls["matching"],
            "public_url": urls["intake"],
            "loket_phone": LOKET_PHONE,
            "loket_email": "loket@samenloket.example",
            "web_rate_limit": 1000,
            **changes,
        }
    )
    async with AsyncExitStack() as stack:
        services = {name: await stack.enter_async_context(run_service(name, wired)) for name in ports}
        servers = [await _serve(services[name], port) for name, port in ports.items()]
        async with services["matching"].runtime.db.acquire() as conn:
            await matching_store.upsert_organisation(conn, "mee", "MEE Plus", False)
            await matching_store.upsert_organisation(conn, "ouders", "Ouderplatform ZHZ", False)
        try:
            yield Platform(services["intake"], services["matching"], services["notifications"], urls, wired)
        finally:
            for server, task in servers:
                server.should_exit = True
                await task


async def add_supporter(p: Platform, **changes: Any) -> SupporterRecord:
    tag = uuid.uuid4().hex[:8]
    fields: dict[str, Any] = {
        "id": f"s-{tag}",
        "name": f"Bram Visser {tag}",
        "email": f"bram.{tag}@mee.example",
        "kind": "professional",
        "organisation": "mee",
        "municipalities": ["GM0505"],
        "life_domains": ["wmo"],
        "languages": ["nl"],
        "capacity": 5,
        "postcode": "3311",
    }
    fields.update(changes)
    record = SupporterRecord(**fields)
    async with p.matching.runtime.db.acquire() as conn:
        await matching_store.upsert_supporter(conn, record)
    return record


async def staff_key(p: Platform) -> str:
    async with p.intake.runtime.db.acquire() as conn:
        return await access.create_key(conn, f"loket-{uuid.uuid4().hex[:6]}", ["staff"])


async def ask(
    p: Platform, *, share: bool = True, municipality: str = "GM0505", **contact: str
) -> tuple[str, dict[str, str]]:
    """A question taken by phone at the loket (intake's API); returns its id and the resident's contact."""
    tag = uuid.uuid4().hex[:8]
    person = {"name": f"Anna de Vries {tag}", "email": f"anna.{tag}@example.nl", "phone": "06 1234 5678", **contact}
    response = await p.intake.client.post(
        "/api/v1/questions",
        headers={"Authorization": f"Bearer {await staff_key(p)}"},
        json={
            "municipality": municipality,
            "life_domains": ["wmo"],
            "description": f"Ik zoek hulp bij een aanvraag voor begeleiding thuis ({tag}).",
            "postcode": "3311",
            "channel": "phone",
            "languages": ["nl"],
            "contact": person,
            "consent": {"share_with_supporter": share},
        },
    )
    assert response.status_code == 202, response.text
    return response.json()["question_id"], person


async def assigned_to(p: Platform, question_id: str) -> str:
    """Wait until matching assigned the question and intake saw it; the supporter's id."""

    async def seen() -> str | None:
        supporter = await p.matching.runtime.db.fetchval(
            "SELECT supporter_id FROM assignments WHERE question_id = $1 AND status = 'assigned'", question_id
        )
        known = await p.intake.runtime.db.fetchval(
            "SELECT 1 FROM question_supports WHERE question_id = $1::uuid", question_id
        )
        return supporter if supporter and known else None

    found = await eventually(seen, timeout=30)
    assert isinstance(found, str)
    return found


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    content: str = part.get_content()
    return content


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no form on the page"
    return match.group(1)


def browser(p: Platform, client_ip: str | None = None) -> httpx.AsyncClient:
    """A cookie-keeping client of matching's pages (as one browser, from ``client_ip`` when given)."""
    headers = {"Accept": "text/html"}
    if client_ip:
        headers["X-Forwarded-For"] = client_ip
    return httpx.AsyncClient(base_url=p.matching_url, headers=headers, timeout=30)


async def post_form(client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    """Load ``page`` (for the CSRF cookie and token), then post ``data`` to ``action``."""
    loaded = await client.get(page)
    return await client.post(action, data={"csrf_token": csrf_of(loaded.text), **data})


async def request_link(client: httpx.AsyncClient, email: str, back: str = "/mijn-vragen") -> httpx.Response:
    return await post_form(
        client, f"/mijn-vragen/inloggen?terug={back}", "/mijn-vragen/inloggen", {"email": email, "terug": back}
    )


async def link_in_mail(mailbox: MailBox, email: str, count: int = 1) -> str:
    """The sign-in link of the ``count``-th sign-in mail to ``email``."""

    def mails() -> list[EmailMessage]:
        return [m for m in mailbox.to(email) if "loggen" in str(m["Subject"]).lower()]

    await eventually(lambda: len(mails()) >= count, timeout=30)
    match = LINK.search(text_of(mails()[count - 1]))
    assert match, "no sign-in link in the mail"
    return match.group(0)


async def use_link(client: httpx.AsyncClient, link: str) -> httpx.Response:
    path = urlsplit(link).path
    shown = await client.get(path)
    assert shown.status_code == 200, shown.text
    return await client.post(path, data={"csrf_token": csrf_of(shown.text)})


async def sign_in(client: httpx.AsyncClient, mailbox: MailBox, email: str) -> None:
    """Ask for a link, take it from the mail, use it: ``client`` is signed in."""
    before = len([m for m in mailbox.to(email) if "loggen" in str(m["Subject"]).lower()])
    assert (await request_link(client, email)).status_code == 200
    link = await link_in_mail(mailbox, email, before + 1)
    used = await use_link(client, link)
    assert used.status_code == 303, used.text
