"""The web kit without a database: CSRF tokens, the rate limit, error pages, templates and stylesheets."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, HTTPException

from services.kit import web
from services.kit.web import static
from services.kit.web.csrf import CsrfTokens, csrf_key
from services.kit.web.ratelimit import RateLimiter
from services.kit.web.templates import dutch_datetime, environment


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# --- CSRF ------------------------------------------------------------------------------------------


def test_a_csrf_token_is_good_only_in_both_places_unaltered_and_fresh() -> None:
    clock = FakeClock()
    tokens = CsrfTokens(csrf_key("secret"), max_age=3600, clock=clock)
    token = tokens.issue()
    assert tokens.check(token, token)
    assert not tokens.check(token, None)
    assert not tokens.check(None, token)
    assert not tokens.check(token, tokens.issue())
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert not tokens.check(tampered, tampered)
    other_key = CsrfTokens(csrf_key("another secret"), clock=clock).issue()
    assert not tokens.check(other_key, other_key)
    clock.now += 3601
    assert not tokens.check(token, token)


@pytest.mark.parametrize("garbage", ["", "abc", "1.2", "x.y.z", "1." + "a" * 300, "..."])
def test_malformed_csrf_tokens_are_refused(garbage: str) -> None:
    assert not CsrfTokens(csrf_key("secret")).valid(garbage)


def test_without_a_secret_the_csrf_key_is_random() -> None:
    assert csrf_key("") != csrf_key("")
    assert csrf_key("s") == csrf_key("s")


def test_each_set_of_pages_signs_its_own_tokens_and_tampering_or_age_breaks_them() -> None:
    clock = FakeClock(1700000000)
    overleg = CsrfTokens(csrf_key("internal-token", "samenloket/web/overleg/csrf/v1"), max_age=60, clock=clock)
    token = overleg.issue()
    clock.now += 30
    assert overleg.valid(token)
    body, _, signature = token.rpartition(".")
    assert not overleg.valid(f"{body[:-1]}{'b' if body[-1] != 'b' else 'c'}.{signature}")
    dashboard = CsrfTokens(csrf_key("internal-token", "samenloket/web/dashboard/csrf/v1"), max_age=60, clock=clock)
    assert not dashboard.valid(token), "a token of one set of pages is worthless at another"
    assert not CsrfTokens(csrf_key("another-token", "samenloket/web/overleg/csrf/v1"), clock=clock).valid(token)
    clock.now += 31
    assert not overleg.valid(token), "too old"
    assert not overleg.valid(None) and not overleg.valid("garbage")


# --- rate limit ------------------------------------------------------------------------------------


def test_the_rate_limit_allows_a_burst_then_refills_steadily() -> None:
    clock = FakeClock()
    limiter = RateLimiter(limit=10, window=600, clock=clock)
    assert [limiter.take("10.0.0.1") for _ in range(10)] == [0] * 10
    assert limiter.take("10.0.0.1") == 60  # one submission comes back every 60 s
    assert limiter.take("10.0.0.2") == 0  # another client has its own bucket
    clock.now += 30
    assert limiter.take("10.0.0.1") == 30
    clock.now += 30
    assert limiter.take("10.0.0.1") == 0
    assert limiter.take("10.0.0.1") == 60


def test_the_rate_limit_forgets_idle_clients_to_bound_memory() -> None:
    clock = FakeClock()
    limiter = RateLimiter(limit=2, window=60, clock=clock, max_clients=3)
    for client in ("a", "b", "c"):
        limiter.take(client)
    clock.now += 60  # all full again
    limiter.take("d")
    assert len(limiter._buckets) == 1
    for client in ("e", "f", "g"):
        limiter.take(client)
    assert len(limiter._buckets) <= 3


# --- error pages -----------------------------------------------------------------------------------

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    web.install(app, None)

    @app.get("/pagina")
    async def pagina() -> dict[str, str]:
        return {"ok": "ja"}

    @app.get("/pagina/geheim")
    async def secret() -> None:
        raise HTTPException(403, "nope")

    @app.get("/kapot")
    async def broken() -> None:
        raise RuntimeError("boom")

    @app.get("/api/v1/dingen/{thing}")
    async def thing(thing: str) -> None:
        raise HTTPException(404, f"unknown thing {thing}")

    @app.get("/storing")
    async def database_away() -> None:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://kit.test") as c:
        yield c


def dutch_page(response: httpx.Response, heading: str) -> None:
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="nl">' in response.text
    assert f"<h1>{heading}</h1>" in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert re.search(r'href="/static/samenloket.css\?v=[0-9a-f]{12}"', response.text)


async def test_a_browser_gets_dutch_error_pages(client: httpx.AsyncClient) -> None:
    missing = await client.get("/bestaat-niet", headers=BROWSER)
    assert missing.status_code == 404
    dutch_page(missing, "Deze pagina bestaat niet")
    forbidden = await client.get("/pagina/geheim", headers=BROWSER)
    assert forbidden.status_code == 403
    dutch_page(forbidden, "U mag deze pagina niet bekijken")
    assert 'href="/pagina"' in forbidden.text, "the way back is the start of this part of the site"
    crashed = await client.get("/kapot", headers=BROWSER)
    assert crashed.status_code == 500
    dutch_page(crashed, "Er ging iets mis")
    assert "boom" not in crashed.text and "Traceback" not in crashed.text


async def test_programs_and_the_api_keep_json_errors(client: httpx.AsyncClient) -> None:
    api = await client.get("/api/v1/dingen/x", headers=BROWSER)
    assert api.status_code == 404 and api.json() == {"detail": "unknown thing x"}
    program = await client.get("/bestaat-niet")  # httpx accepts */*, not text/html
    assert program.status_code == 404 and program.json() == {"detail": "Not Found"}
    crashed = await client.get("/kapot")
    assert crashed.status_code == 500 and crashed.json() == {"detail": "internal server error"}


async def test_infrastructure_away_is_503_with_retry_after_not_a_crash(client: httpx.AsyncClient) -> None:
    """The database restarting is no fault of the request: a program and a person may try again."""
    program = await client.get("/storing")
    assert program.status_code == 503 and program.headers["retry-after"] == "5"
    assert program.json() == {"detail": "temporarily unavailable, try again"}
    person = await client.get("/storing", headers=BROWSER)
    assert person.status_code == 503 and person.headers["retry-after"] == "5"
    dutch_page(person, "Even niet beschikbaar")
    assert "5432" not in person.text and "5432" not in program.text


async def test_every_service_serves_the_one_stylesheet(client: httpx.AsyncClient) -> None:
    css = await client.get("/static/samenloket.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "--sl-color-primary:" in css.text
    assert (await client.get("/static/geen.css")).status_code == 404
    assert (await client.get("/static/..%2Fheaders.py")).status_code == 404


# --- templates and stylesheets --------------------------------------------------------------------


def test_colours_are_tokens_in_one_place() -> None:
    """Outside the token block, every stylesheet of ours names colours only through tokens (var(--…)).
    The vendored NL Design System files (``vendor/``) are the tokens themselves."""
    for package in (None, "services.reporting", "services.matching"):
        for name, data in static.Assets(package).files.items():
            if name.startswith("vendor/"):
                continue
            text = data.decode()
            if name == "samenloket.css":
                text = text.split("/* --- base", 1)[1]
            text = re.sub(r"@media print \{.*", "", text, flags=re.DOTALL)
            assert not re.findall(r"#[0-9a-fA-F]{3,6}\b|rgba?\(", text), name


def test_the_kits_pages_extend_one_base_and_escape() -> None:
    env = environment()
    html = env.get_template("error.html").render(
        title="<b>Fout</b>", paragraphs=["<script>x</script>"], back_url="", back_text=""
    )
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert html.count("<main") == 1 and re.search(r'<a class="[^"]*\bskip-link" href="#inhoud"', html)


def test_every_page_template_extends_the_one_base() -> None:
    """No service keeps a base template of its own; every page template extends a layout (which extends base.html)."""
    root = Path(__file__).resolve().parents[2] / "services"
    pages = [root / name / "templates" for name in ("intake", "matching", "reporting")]
    pages.append(root / "notifications" / "pages")
    templates = [t for folder in pages for t in folder.glob("*.html") if not t.name.startswith("_")]
    assert len(templates) >= 12
    for template in templates:
        assert template.name != "base.html", template
        first = template.read_text(encoding="utf-8").lstrip()
        assert re.match(
            r'(\{#.*?#\}\s*)?\{% extends "(base|resident|staff|mijn_layout)\.html" %\}', first, re.DOTALL
        ), template


def test_staff_pages_read_times_in_dutch_time() -> None:
    assert dutch_datetime(datetime(2026, 7, 1, 12, 5, tzinfo=UTC)) == "1 juli 2026, 14:05"
    assert dutch_datetime(None) == ""
