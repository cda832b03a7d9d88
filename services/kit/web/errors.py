"""Error pages in Dutch for people, JSON for programs.

A request for a page (the browser accepts ``text/html`` and the path is not under ``/api/`` or
``/internal/``) that ends in an HTTP error or a crash gets a short Dutch page in the common layout,
with the same status code. Everything else keeps FastAPI's JSON errors (``{"detail": ...}``); a
crash answers ``{"detail": "internal server error"}`` and is logged with its traceback. The database
or another service being away is no crash but a moment of unavailability (see
:mod:`services.kit.messaging.faults`): 503 with ``Retry-After``, so a partner's system and a person
know to try again.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Final

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from jinja2 import Environment
from starlette.exceptions import HTTPException
from starlette.routing import Match

from services.kit.http import validation_error_handler
from services.kit.messaging.faults import is_infrastructure
from services.kit.web.headers import page
from services.kit.web.templates import environment

log = logging.getLogger(__name__)

API_PREFIXES: Final = ("/api/", "/internal/")
#: When to try again after a 503 (the database restarting, another service away).
RETRY_AFTER_SECONDS: Final = 5

#: (title, paragraphs) per status; any other status gets GENERIC.
TEXTS: Final[dict[int, tuple[str, list[str]]]] = {
    401: ("U bent niet ingelogd", ["Log eerst in. Daarna kunt u deze pagina bekijken."]),
    403: (
        "U mag deze pagina niet bekijken",
        ["Uw account heeft geen toegang tot deze pagina. Denkt u dat dit niet klopt? Vraag het aan uw beheerder."],
    ),
    404: (
        "Deze pagina bestaat niet",
        ["Misschien is de link niet helemaal goed overgenomen. Kijk of het adres klopt."],
    ),
    405: ("Dit kan niet op deze pagina", ["Ga terug en probeer het opnieuw."]),
    413: (
        "Uw bericht is te groot",
        [
            "Wat u verstuurde is groter dan wij kunnen aannemen. Er is niets opgeslagen.",
            "Maak uw tekst korter en probeer het opnieuw.",
        ],
    ),
    422: (
        "Dit adres klopt niet helemaal",
        ["Er staat iets in het adres van deze pagina dat wij niet begrijpen. Ga terug en probeer het opnieuw."],
    ),
    500: (
        "Er ging iets mis",
        [
            "Er ging bij ons iets mis. Dat ligt niet aan u.",
            "Probeer het over een paar minuten opnieuw. Lukt het dan nog niet? Neem contact op met uw gemeente.",
        ],
    ),
    503: (
        "Even niet beschikbaar",
        [
            "Er is nu een storing bij ons. Dat ligt niet aan u.",
            "Probeer het over een paar minuten opnieuw.",
        ],
    ),
}
GENERIC: Final = ("Dat lukte niet", ["Probeer het opnieuw. Lukt het dan nog niet? Neem contact op met uw gemeente."])


def wants_page(request: Request) -> bool:
    """A browser asking for a page, not a program calling the API."""
    if request.url.path.startswith(API_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


def serves(app: FastAPI, path: str) -> bool:
    """Whether ``app`` answers ``GET path`` (asked of its routes, as the router itself would)."""
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": [], "query_string": b""}
    return any(route.matches(scope)[0] == Match.FULL for route in app.router.routes)


def start_of(request: Request) -> str | None:
    """The page to go back to: the start of this part of the site (``/dashboard`` for ``/dashboard/iets``),
    or ``/`` when the app serves a front page; None when it has neither."""
    section = "/" + request.url.path.strip("/").split("/", 1)[0]
    for candidate in (section, "/"):
        if candidate != request.url.path and serves(request.app, candidate):
            return candidate
    return None


@lru_cache(maxsize=1)
def kit_environment() -> Environment:
    return environment()


def error_page(request: Request, status_code: int, headers: dict[str, str] | None = None) -> Response:
    title, paragraphs = TEXTS.get(status_code, GENERIC)
    back = start_of(request)
    html = (
        kit_environment()
        .get_template("error.html")
        .render(
            title=f"{title} – Samenloket",
            heading=title,
            paragraphs=paragraphs,
            back_url=back or "",
            back_text="Naar de beginpagina",
            home_url=back or "/",
        )
    )
    return page(html, status_code, headers)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if wants_page(request):
        return error_page(request, exc.status_code, dict(exc.headers or {}))
    return await http_exception_handler(request, exc)


async def on_invalid_request(request: Request, exc: Exception) -> Response:
    """A request whose query or form FastAPI could not read: a Dutch page for a browser, the field list else."""
    assert isinstance(exc, RequestValidationError)
    if wants_page(request):
        return error_page(request, 422)
    return await validation_error_handler(request, exc)


async def on_crash(request: Request, exc: Exception) -> Response:
    """An unexpected exception: Starlette logs it and re-raises after this answer is sent.

    Infrastructure that is away (the database restarting, a service not answering) answers 503 with
    ``Retry-After`` instead of 500: nothing is wrong with the request, it can be sent again.
    """
    if is_infrastructure(exc):
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if wants_page(request):
            return error_page(request, 503, headers)
        return JSONResponse({"detail": "temporarily unavailable, try again"}, status_code=503, headers=headers)
    if wants_page(request):
        return error_page(request, 500)
    return JSONResponse({"detail": "internal server error"}, status_code=500)


def add_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_invalid_request)
    app.add_exception_handler(Exception, on_crash)
