"""The resident's signal pages (Dutch, B1): the form, the thanks page with a personal status link, and
the status page that shows the municipality's answer once it is given.

The status link (``/signaal/<token>``) is the resident's only key to their signal: we do not ask who
they are. The token (32 random bytes) is shown once, on the thanks page, and only its SHA-256 is
stored. It travels from the form's POST to the thanks page in a short-lived, HTTP-only cookie, so it
never appears in a redirect or a server log. The status page shows the status and the answer, not
the resident's own text, so a link that leaks shows as little as possible.
"""

from __future__ import annotations

import logging
from typing import Final

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from contracts.labels import SIGNAL_THEME_RESIDENT_LABELS
from services.intake import web
from services.intake.signals import domain, store
from services.intake.signals.handlers import Signals
from services.intake.webforms import SignalForm
from services.kit.dutch import dutch_date
from services.kit.runtime import Runtime
from services.kit.web.headers import NOINDEX, redirect

log = logging.getLogger(__name__)

FORM_TITLE: Final = "Signaal of ervaring doorgeven"
#: How long the thanks page can still show the link after the form was sent.
LINK_COOKIE_SECONDS: Final = 30 * 60


def paragraphs(text: str) -> list[str]:
    """An answer's paragraphs (blank lines split them), so it reads as it was written."""
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


def link_cookie(secure: bool) -> str:
    # __Secure- (not __Host-) so the cookie can stay limited to the /signaal pages.
    return "__Secure-samenloket_signaal" if secure else "samenloket_signaal"


def router(rt: Runtime, signals: Signals, pages: web.Pages) -> APIRouter:
    """The signal pages. Not part of the API's OpenAPI description."""
    cookie = link_cookie(pages.secure)
    r = APIRouter(include_in_schema=False)

    @r.get("/signaal", response_class=HTMLResponse)
    async def signal_form(request: Request) -> Response:
        return pages.form_page("signal.html", FORM_TITLE, pages.token_for(request), SignalForm(), [])

    @r.post("/signaal", response_class=HTMLResponse)
    async def submit_signal(request: Request) -> Response:
        admitted = await pages.admit(request, "/signaal")
        if isinstance(admitted, Response):
            return admitted
        values, token = admitted
        form = SignalForm.parse(values)
        body, errors = form.validate(pages.region)
        if body is None:
            return pages.form_page("signal.html", FORM_TITLE, token, form, errors, 422)
        status_token, digest = domain.new_status_token()
        try:
            async with rt.db.acquire() as conn, conn.transaction():
                await signals.raise_signal(conn, body, body.raised_by or "resident", token_digest=digest)
        except Exception:
            log.exception("web form: storing a signal failed")
            return pages.unavailable("/signaal")
        response = redirect("/signaal/bedankt")
        response.set_cookie(
            cookie,
            status_token,
            max_age=LINK_COOKIE_SECONDS,
            path="/signaal",
            secure=pages.secure,
            httponly=True,
            samesite="strict",
        )
        return response

    @r.get("/signaal/bedankt", response_class=HTMLResponse)
    async def signal_thanks(request: Request) -> Response:
        status_token = request.cookies.get(cookie, "")
        status_path = f"/signaal/{status_token}" if domain.looks_like_token(status_token) else None
        status_url = str(request.base_url).rstrip("/") + status_path if status_path else None
        response = pages.render(
            "signal_thanks.html", title="Bedankt voor uw bericht", status_path=status_path, status_url=status_url
        )
        response.headers.update(NOINDEX)  # personal pages: search engines must not keep them
        return response

    @r.get("/signaal/{status_token}", response_class=HTMLResponse)
    async def signal_status(status_token: str) -> Response:
        """The resident's own signal: its status and, once given, the municipality's answer."""
        row = None
        if domain.looks_like_token(status_token):
            row = await store.by_token(rt.db, domain.token_digest(status_token))
        if row is None:
            return pages.error(
                404,
                "Deze pagina bestaat niet",
                [
                    "Misschien is de link niet helemaal goed overgenomen. Kijk of u de hele link heeft gekopieerd.",
                ],
                "/signaal",
                "Een signaal doorgeven",
            )
        signal = signals.opened(row)
        response = pages.render(
            "signal_status.html",
            title="Uw signaal",
            state=domain.RESIDENT_STATUS[signal.status],
            theme=SIGNAL_THEME_RESIDENT_LABELS.get(signal.theme, signal.theme),
            municipality=pages.region.municipality_name(signal.municipality),
            raised_on=dutch_date(signal.raised_at),
            answer=paragraphs(signal.answer.text) if signal.answer else [],
            answered_on=dutch_date(signal.answer.answered_at) if signal.answer else None,
        )
        response.headers.update(NOINDEX)  # personal pages: search engines must not keep them
        return response

    return r
