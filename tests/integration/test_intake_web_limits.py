"""Limits of intake served over real HTTP (uvicorn, as ``samenloket serve`` runs it): request bodies
counted as they stream, and the resident form's rate limit (charged after CSRF, per resident behind
our own proxy, never per client-chosen X-Forwarded-For).

The test client plays several machines by its source address on the loopback: 127.0.0.2 is our
reverse proxy (``SAMENLOKET_TRUSTED_PROXIES=127.0.0.2/32``), 127.0.0.1 and 127.0.0.3 and up connect
directly.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from services.kit import access
from services.kit.runtime import create_app, load_spec
from services.kit.settings import Settings
from tests.support.serving import served

pytestmark = pytest.mark.integration

PROXY = "127.0.0.2"
LIMIT = 3
BROWSER = {"Accept": "text/html,application/xhtml+xml"}
QUESTION = {
    "municipality": "GM0505",
    "life_domains": ["wmo"],
    "description": "Ik zoek hulp bij de aanvraag.",
    "postcode": "3311",
    "contact": {"name": "A. de Vries", "email": "a.devries@example.nl"},
    "consent": {"share_with_supporter": True},
}


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[str]:
    limited = settings.model_copy(
        update={"web_rate_limit": LIMIT, "web_rate_window_seconds": 3600, "trusted_proxies": f"{PROXY}/32"}
    )
    async with served(create_app(load_spec("intake"), limited)) as url:
        yield url


def client(url: str, source: str = "127.0.0.3") -> httpx.AsyncClient:
    """A browser or program at ``source`` (a loopback address of its own)."""
    return httpx.AsyncClient(
        base_url=url, transport=httpx.AsyncHTTPTransport(local_address=source), timeout=30, headers=BROWSER
    )


async def form_token(browser: httpx.AsyncClient) -> str:
    page = await browser.get("/")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


async def post_form(browser: httpx.AsyncClient, token: str, forwarded: str | None = None) -> int:
    """An (incomplete) question form with a good CSRF token: 422 when admitted, 429 when limited."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    response = await browser.post("/", data={"csrf_token": token, "description": "hulp"}, headers=headers)
    return response.status_code


# --- request bodies, counted as they stream ----------------------------------------------------------


def chunks(count: int, size: int, sent: list[int]) -> AsyncIterator[bytes]:
    async def generate() -> AsyncIterator[bytes]:
        for _ in range(count):
            sent.append(size)
            yield b"x" * size

    return generate()


async def test_a_chunked_flood_is_cut_off_before_any_login(intake: str) -> None:
    """60 × 900 KB without a length: the server stops reading at the limit and closes the connection
    (it may cut the client off before the client reads the 413: TCP resets what it did not read)."""
    for path, kind in (("/api/v1/questions", "application/json"), ("/", "application/x-www-form-urlencoded")):
        sent: list[int] = []
        async with client(intake) as program:
            try:
                response = await program.post(
                    path, content=chunks(60, 900 * 1024, sent), headers={"Content-Type": kind}
                )
                status: int | None = response.status_code
            except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
                status = None
        assert status in (413, None), (path, status)  # never 401 or 422: nothing parsed, no key looked at
        assert sum(sent) < 20 * 900 * 1024, (path, sum(sent))  # the server stopped reading long before the end


async def test_a_chunked_upload_to_the_api_gets_413_in_json(intake: str) -> None:
    sent: list[int] = []
    async with client(intake) as program:
        response = await program.post(
            "/api/v1/questions",
            content=chunks(26, 10 * 1024, sent),  # 260 KiB: the last chunk passes the API's 256 KiB
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
    assert response.status_code == 413  # not 401: no key was looked at, nothing was parsed
    assert response.headers["content-type"] == "application/json"
    assert "too large" in response.json()["detail"]


async def test_a_chunked_upload_to_the_resident_form_gets_a_dutch_page(intake: str) -> None:
    sent: list[int] = []
    async with client(intake) as browser:
        response = await browser.post(
            "/",
            content=chunks(7, 10 * 1024, sent),  # 70 KiB: the last chunk passes the forms' 64 KiB
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 413
    assert "text/html" in response.headers["content-type"]
    assert "Uw bericht is te groot" in response.text


async def test_a_declared_length_over_the_limit_is_refused_at_once(intake: str) -> None:
    async with client(intake) as program:
        response = await program.post(
            "/api/v1/questions",
            content=b"{" + b" " * (300 * 1024) + b"}",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
    assert response.status_code == 413


async def test_a_chunked_body_within_the_limit_reaches_the_api(intake: str, settings: Settings) -> None:
    import json

    body = json.dumps(QUESTION).encode()

    async def small() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 40):
            yield body[start : start + 40]

    async with client(intake) as program:
        anonymous = await program.post("/api/v1/questions", content=small(), headers={"Accept": "application/json"})
        assert anonymous.status_code == 401  # the body passed the limit; the key is what is missing
        key = await submit_key(settings)
        accepted = await program.post(
            "/api/v1/questions",
            content=small(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
    assert accepted.status_code == 202, accepted.text


async def submit_key(settings: Settings) -> str:
    from services.kit import db

    pool = await db.create_pool(settings.database_url, "intake", 1)
    try:
        async with pool.acquire() as conn:
            return await access.create_key(conn, f"wijkteam-{uuid.uuid4().hex[:8]}", ["submit"])
    finally:
        await pool.close()


# --- the resident form's rate limit ------------------------------------------------------------------


async def test_requests_failing_csrf_do_not_use_up_the_budget(intake: str) -> None:
    async with client(intake, "127.0.0.4") as browser:
        token = await form_token(browser)
        for _ in range(LIMIT * 5):  # junk: no token, or a wrong one
            junk = await browser.post("/", data={"csrf_token": "1.x.y", "description": "junk"})
            assert junk.status_code == 403
        assert [await post_form(browser, token) for _ in range(LIMIT)] == [422] * LIMIT
        assert await post_form(browser, token) == 429


async def test_a_direct_client_cannot_choose_its_address(intake: str) -> None:
    """Also from 127.0.0.1, whose X-Forwarded-For uvicorn would believe by default."""
    async with client(intake, "127.0.0.1") as browser:
        token = await form_token(browser)
        codes = [await post_form(browser, token, forwarded=f"198.51.100.{n}") for n in range(LIMIT + 1)]
    assert codes == [422] * LIMIT + [429]


async def test_behind_our_proxy_each_resident_has_a_budget_of_their_own(intake: str) -> None:
    async with client(intake, PROXY) as proxy:
        token = await form_token(proxy)
        first = [await post_form(proxy, token, forwarded="203.0.113.10") for _ in range(LIMIT + 1)]
        other = await post_form(proxy, token, forwarded="203.0.113.11")
    assert first == [422] * LIMIT + [429]
    assert other == 422  # another resident behind the same proxy is not limited by the first


async def test_behind_our_proxy_rotating_the_left_most_address_does_not_help(intake: str) -> None:
    async with client(intake, PROXY) as proxy:
        token = await form_token(proxy)
        codes = [
            await post_form(proxy, token, forwarded=f"10.9.8.{n}, 203.0.113.20") for n in range(LIMIT + 1)
        ]  # the attacker writes the left part; our proxy appends the address it saw
    assert codes == [422] * LIMIT + [429]
