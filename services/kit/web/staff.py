"""A set of staff pages behind a sign-in (the consultation page, the dashboard): one way to sign in,
sign out, render and guard a form, so every such set behaves and looks the same.

Staff sign in once with their API key on the login form; from then on the browser carries a session
cookie (:mod:`services.kit.web.sessions`), never the key. Every POST carries a CSRF token
(:mod:`services.kit.web.csrf`). Pages render through the service's environment with the kit's
``staff.html`` layout, which shows who is signed in and the sign-out button.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from services.kit.access import Principal
from services.kit.access.sessions import Subject
from services.kit.web.csrf import CSRF_FIELD, CsrfCookie, CsrfTokens, csrf_key
from services.kit.web.forms import FormValues, first, read_form
from services.kit.web.headers import page, redirect
from services.kit.web.sessions import WebSessions

if TYPE_CHECKING:
    from services.kit.runtime import Runtime

#: A day's work: then a form must be loaded again.
CSRF_SECONDS = 12 * 3600
EXPIRED = "Het formulier was verlopen. Laad de pagina opnieuw en probeer het nog een keer."


@dataclass(frozen=True)
class PageSet:
    """One set of staff pages: where, for whom, and what its sign-in page says (Dutch)."""

    path: str  #: e.g. ``/overleg``: the pages and their cookies live under it
    audience: str  #: the sessions' audience and the cookies' stem (``overleg_sessie``, ``overleg_csrf``)
    name: str  #: shown in the page header and titles, e.g. "Gezamenlijk overleg"
    scopes: tuple[str, ...]  #: a key with one of these may sign in
    login_heading: str
    login_intro: tuple[str, ...]
    wrong_key: str  #: the refusal of a key that does not work here
    back_text: str  #: the link back to the pages' start, e.g. "Terug naar het overleg"

    def safe_return(self, target: str | None) -> str:
        """Where to go after signing in: a page of this set only (no open redirect)."""
        if target and target.startswith(self.path) and "//" not in target and "\\" not in target:
            return target
        return self.path


class StaffPages:
    """The sessions, CSRF tokens and rendering of one :class:`PageSet` in one service process."""

    def __init__(self, rt: Runtime, pages: PageSet, env: Environment) -> None:
        self.rt = rt
        self.pages = pages
        self.env = env
        self.sessions = WebSessions(rt, pages.audience, f"{pages.audience}_sessie", pages.path, pages.scopes)
        secret = rt.settings.internal_token.get_secret_value()
        tokens = CsrfTokens(csrf_key(secret, f"samenloket/web/{pages.audience}/csrf/v1"), max_age=CSRF_SECONDS)
        name = f"{pages.audience}_csrf"
        secure = rt.settings.web_cookie_secure
        self.csrf = CsrfCookie(tokens, f"__Secure-{name}" if secure else name, pages.path, secure)

    async def principal(self, request: Request) -> Principal | None:
        return await self.sessions.principal(request)

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        token = self.csrf.token_for(request)
        html = self.env.get_template(template).render(
            pages=self.pages, path=self.pages.path, csrf_token=token, **context
        )
        response = page(html, status_code)
        self.csrf.set(response, token)
        return response

    def login(
        self, request: Request, status_code: int = 200, error: str | None = None, back: str | None = None
    ) -> HTMLResponse:
        back = self.pages.safe_return(back)
        title = f"Inloggen – {self.pages.name}"
        return self.render(request, "login.html", status_code, title=title, error=error, back=back)

    def refuse(
        self, request: Request, status_code: int, message: str, principal: Principal | None = None
    ) -> HTMLResponse:
        title = f"Dat lukte niet – {self.pages.name}"
        return self.render(request, "message.html", status_code, title=title, message=message, principal=principal)

    async def admit(self, request: Request) -> FormValues | HTMLResponse:
        """The posted form when it is small enough and carries a good CSRF token; else the refusal."""
        values = await read_form(request)
        if values is None:
            return self.refuse(request, 413, "Het formulier is te groot.")
        if not self.csrf.ok(request, first(values, CSRF_FIELD)):
            return self.refuse(request, 403, EXPIRED)
        return values

    def router(self) -> APIRouter:
        """``GET`` and ``POST <path>/inloggen``, ``POST <path>/uitloggen``."""
        pages = self.pages
        r = APIRouter(include_in_schema=False)

        @r.get(f"{pages.path}/inloggen", response_class=HTMLResponse)
        async def login_page(request: Request, terug: str | None = None) -> HTMLResponse:
            return self.login(request, back=terug)

        @r.post(f"{pages.path}/inloggen", response_class=HTMLResponse)
        async def sign_in(request: Request) -> Response:
            values = await read_form(request)
            if values is None:
                return self.refuse(request, 413, "Het formulier is te groot.")
            back = pages.safe_return(first(values, "terug"))
            if not self.csrf.ok(request, first(values, CSRF_FIELD)):
                return self.login(request, 403, "Het formulier was verlopen. Probeer het nog een keer.", back)
            api_key = first(values, "api_key")
            if not api_key:
                return self.login(request, 422, "Vul uw API-sleutel in.", back)
            principal = await self.sessions.authenticate(api_key)
            if principal is None:
                return self.login(request, 401, pages.wrong_key, back)
            response = redirect(back)
            await self.sessions.start(request, response, Subject.of_key(principal))
            return response

        @r.post(f"{pages.path}/uitloggen")
        async def sign_out(request: Request) -> Response:
            values = await read_form(request) or {}
            if not self.csrf.ok(request, first(values, CSRF_FIELD)):
                return self.refuse(request, 403, "Het formulier was verlopen. Laad de pagina opnieuw.")
            response = redirect(f"{pages.path}/inloggen")
            await self.sessions.end(request, response)
            return response

        return r
