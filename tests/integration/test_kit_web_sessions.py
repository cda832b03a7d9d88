"""Staff sign-in through the web kit against a real PostgreSQL: the cookie holds a random session id
whose hash alone is stored, never the key; logout, revoking the key, idle time and the absolute end
each end the session; forms without a good CSRF token are refused.

A small set of pages (``/proef``) is built from the kit alone, so these tests hold for every service's
staff pages; the session clock is the test's, so no test sleeps.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from pydantic import SecretStr

from services.kit import access, db, web
from services.kit.runtime import Runtime, ServiceSpec
from services.kit.settings import Settings
from services.kit.web.staff import PageSet, StaffPages
from services.kit.web.templates import environment

pytestmark = pytest.mark.integration


def pages_at(path: str) -> PageSet:
    return PageSet(
        path=path,
        audience=path.strip("/"),
        name="Proefpagina's",
        scopes=("coordinator",),
        login_heading="Inloggen voor de proef",
        login_intro=("Alleen voor deze test.",),
        wrong_key="Deze sleutel werkt hier niet.",
        back_text="Terug naar de proef",
    )


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Site:
    app: FastAPI
    runtime: Runtime
    clock: Clock
    key: str

    @property
    def pool(self) -> asyncpg.Pool:
        return self.runtime.db


def staff_app(rt: Runtime, clock: Clock) -> FastAPI:
    """Two sets of staff pages, ``/proef`` and ``/ander``, made from the kit alone."""
    app = FastAPI()
    web.install(app, None)
    for path in ("/proef", "/ander"):
        pages = StaffPages(rt, pages_at(path), environment(layout="staff.html"))
        pages.sessions.clock = clock
        app.include_router(pages.router())
        app.add_api_route(path, home(pages), response_class=HTMLResponse)
    return app


def home(pages: StaffPages) -> Callable[[Request], Awaitable[HTMLResponse]]:
    async def page(request: Request) -> HTMLResponse:
        principal = await pages.principal(request)
        if principal is None:
            return pages.login(request)
        return pages.render(request, "message.html", title="Proef", message="Welkom", principal=principal)

    return page


@pytest.fixture(scope="module")
async def site(database_url: str) -> AsyncIterator[Site]:
    settings = Settings(database_url=database_url, internal_token=SecretStr("test-internal-token"))
    await db.migrate(database_url, access.SCHEMA, package=access.PACKAGE)
    pool = await db.create_pool(database_url, access.SCHEMA)
    rt: Runtime[Settings] = Runtime(ServiceSpec("proef", "Proef", Settings, container=lambda _: None), settings)
    rt.pool, rt.keys = pool, access.KeyStore(pool)
    clock = Clock()
    async with pool.acquire() as conn:
        key = await access.create_key(conn, "regio-overleg", ["coordinator"])
    try:
        yield Site(staff_app(rt, clock), rt, clock, key)
    finally:
        await pool.close()


@pytest.fixture
async def browser(site: Site) -> AsyncIterator[httpx.AsyncClient]:
    """A fresh browser: its own cookie jar."""
    transport = httpx.ASGITransport(app=site.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kit.test") as client:
        yield client


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def sign_in(browser: httpx.AsyncClient, key: str, path: str = "/proef") -> httpx.Response:
    form = await browser.get(f"{path}/inloggen")
    return await browser.post(f"{path}/inloggen", data={"csrf_token": csrf_of(form), "api_key": key, "terug": path})


async def signed_in(browser: httpx.AsyncClient, path: str = "/proef") -> bool:
    page = await browser.get(path)
    assert page.status_code == 200
    return "Ingelogd als Regio Overleg" in page.text  # the organisation by name, never its id


async def test_the_cookie_holds_a_random_id_and_only_its_hash_is_stored(site: Site, browser: httpx.AsyncClient) -> None:
    done = await sign_in(browser, site.key)
    assert done.status_code == 303 and done.headers["location"] == "/proef"
    cookie = next(c for c in done.headers.get_list("set-cookie") if c.startswith("proef_sessie="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/proef" in cookie
    session_id = browser.cookies["proef_sessie"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", session_id), "256 random bits"
    match = access.KEY_PATTERN.match(site.key)
    assert match
    key_id, secret = match.groups()
    assert key_id not in session_id and secret not in session_id and site.key not in cookie
    assert await signed_in(browser)

    row = await site.pool.fetchrow(
        "SELECT * FROM access.web_sessions WHERE id_sha256 = $1", hashlib.sha256(session_id.encode()).hexdigest()
    )
    assert row is not None
    assert (row["subject_kind"], row["subject_id"], row["organisation"]) == ("api_key", key_id, "regio-overleg")
    stored = " ".join(str(v) for v in dict(row).values())
    assert session_id not in stored and secret not in stored

    transport = httpx.ASGITransport(app=site.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kit.test") as other:
        await sign_in(other, site.key)
        assert other.cookies["proef_sessie"] != session_id, "every sign-in gets a new id"


async def test_a_session_opens_only_its_own_pages(site: Site, browser: httpx.AsyncClient) -> None:
    await sign_in(browser, site.key)
    session_id = browser.cookies["proef_sessie"]
    assert not await signed_in(browser, "/ander")
    browser.cookies.set("ander_sessie", session_id, domain="kit.test", path="/ander")
    assert not await signed_in(browser, "/ander"), "a session of /proef is worth nothing at /ander"


async def test_logout_ends_the_session_on_the_server(site: Site, browser: httpx.AsyncClient) -> None:
    await sign_in(browser, site.key)
    session_id = browser.cookies["proef_sessie"]
    page = await browser.get("/proef")
    out = await browser.post("/proef/uitloggen", data={"csrf_token": csrf_of(page)})
    assert out.status_code == 303 and out.headers["location"] == "/proef/inloggen"
    digest = hashlib.sha256(session_id.encode()).hexdigest()
    assert await site.pool.fetchval("SELECT count(*) FROM access.web_sessions WHERE id_sha256 = $1", digest) == 0
    browser.cookies.set("proef_sessie", session_id, domain="kit.test", path="/proef")  # a copy kept somewhere
    assert not await signed_in(browser)


async def test_revoking_the_key_ends_its_sessions(site: Site, browser: httpx.AsyncClient) -> None:
    async with site.pool.acquire() as conn:
        key = await access.create_key(conn, "regio-overleg", ["coordinator"])
    await sign_in(browser, key)
    assert await signed_in(browser)
    key_id = key.split("_")[1]
    async with site.pool.acquire() as conn:
        assert await access.revoke_key(conn, key_id)
    assert not await signed_in(browser)
    count = "SELECT count(*) FROM access.web_sessions WHERE subject_kind = 'api_key' AND subject_id = $1"
    assert await site.pool.fetchval(count, key_id) == 0

    # A key revoked some other way (by hand in the database) ends its sessions too.
    async with site.pool.acquire() as conn:
        other = await access.create_key(conn, "regio-overleg", ["coordinator"])
    await sign_in(browser, other)
    assert await signed_in(browser)
    await site.pool.execute("UPDATE access.api_keys SET revoked_at = now() WHERE key_id = $1", other.split("_")[1])
    assert not await signed_in(browser)


async def test_a_session_ends_after_half_an_hour_idle(site: Site, browser: httpx.AsyncClient) -> None:
    await sign_in(browser, site.key)
    for _ in range(4):  # two hours, never half an hour without a request
        site.clock.advance(minutes=29)
        assert await signed_in(browser)
    site.clock.advance(minutes=30, seconds=1)
    assert not await signed_in(browser)


async def test_a_session_ends_twelve_hours_after_sign_in_however_busy(site: Site, browser: httpx.AsyncClient) -> None:
    await sign_in(browser, site.key)
    for _ in range(47):  # 11 hours 45 minutes of work
        site.clock.advance(minutes=15)
        assert await signed_in(browser)
    site.clock.advance(minutes=15)
    assert not await signed_in(browser)
    assert (await sign_in(browser, site.key)).status_code == 303
    assert await signed_in(browser), "signing in again starts anew"


async def test_forms_without_a_good_csrf_token_are_refused(site: Site, browser: httpx.AsyncClient) -> None:
    body = {"api_key": site.key, "terug": "/proef"}
    assert (await browser.post("/proef/inloggen", data=body)).status_code == 403
    forged = {**body, "csrf_token": "1700000000.x.deadbeef"}
    assert (await browser.post("/proef/inloggen", data=forged)).status_code == 403
    elsewhere = csrf_of(await browser.get("/ander/inloggen"))  # a genuine token of other pages
    assert (await browser.post("/proef/inloggen", data={**body, "csrf_token": elsewhere})).status_code == 403
    assert "proef_sessie" not in browser.cookies

    await sign_in(browser, site.key)
    refused = await browser.post("/proef/uitloggen", data={"csrf_token": "1700000000.x.deadbeef"})
    assert refused.status_code == 403 and "Het formulier was verlopen" in refused.text
    assert await signed_in(browser), "a forged sign-out changes nothing"
