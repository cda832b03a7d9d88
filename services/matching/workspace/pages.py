"""What every supporters' page shares: the sessions, the CSRF cookie, the rate limits, the clients
and the rendering in the one base template (``mijn_layout.html``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from services.kit.region import current_region
from services.kit.runtime import Runtime
from services.kit.web.csrf import CSRF_FIELD, CsrfCookie, CsrfTokens, csrf_key
from services.kit.web.forms import FormValues, first, read_form
from services.kit.web.headers import NOINDEX, page
from services.kit.web.ratelimit import RateLimiter
from services.kit.web.templates import environment as page_environment
from services.matching import store
from services.matching.container import Container
from services.matching.settings import MatchingSettings
from services.matching.workspace.clients import IntakeCases, SignInMailer
from services.matching.workspace.sessions import AUDIENCE, SignedIn, SupporterSessions
from services.matching.workspace.signin import PATH

#: A form may stay open for a working day.
CSRF_SECONDS: Final = 12 * 3600


@lru_cache(maxsize=1)
def environment() -> Environment:
    return page_environment("services.matching", layout="mijn_layout.html")


class Workspace:
    """The supporters' pages of one matching process."""

    def __init__(self, rt: Runtime[MatchingSettings], matching: Container) -> None:
        settings = rt.settings
        self.rt = rt
        self.matching = matching
        self.settings = settings
        self.sessions = SupporterSessions(rt)
        secret = settings.internal_token.get_secret_value()
        tokens = CsrfTokens(csrf_key(secret, f"samenloket/web/{AUDIENCE}/csrf/v1"), max_age=CSRF_SECONDS)
        name = "mijn_vragen_csrf"
        secure = settings.web_cookie_secure
        self.csrf = CsrfCookie(tokens, f"__Secure-{name}" if secure else name, PATH, secure)
        window = settings.sign_in_rate_window_seconds
        self.client_limit = RateLimiter(settings.sign_in_rate_per_client, window)
        self.address_limit = RateLimiter(settings.sign_in_rate_per_address, window)
        self.intake = IntakeCases(settings)
        self.mailer = SignInMailer(settings)
        self.public_url = settings.matching_public_url or settings.matching_url
        rt.closing(self.intake.aclose)
        rt.closing(self.mailer.aclose)

    async def organisation_names(self) -> dict[str, str]:
        async with self.rt.db.acquire() as conn:
            found = await store.load_organisations(conn)
        return {oid: o.name for oid, o in found.items()}

    def render(
        self,
        request: Request,
        template: str,
        status_code: int = 200,
        *,
        me: SignedIn | None = None,
        organisation: str = "",
        **context: Any,
    ) -> HTMLResponse:
        """A page in the supporters' layout, with a fresh (or the current) CSRF token in form and cookie."""
        token = self.csrf.token_for(request)
        s = self.settings
        html = (
            environment()
            .get_template(template)
            .render(
                path=PATH,
                csrf_token=token,
                me=me,
                organisation=organisation,
                loket=current_region().loket_with(s.loket_name, s.loket_phone, s.loket_email).model_dump(),
                **context,
            )
        )
        response = page(html, status_code, NOINDEX)
        self.csrf.set(response, token)
        return response

    def message(
        self,
        request: Request,
        status_code: int,
        title: str,
        paragraphs: list[str],
        *,
        me: SignedIn | None = None,
        organisation: str = "",
        link: tuple[str, str] | None = None,
    ) -> HTMLResponse:
        """A short page with a heading, a few sentences and one way on."""
        return self.render(
            request,
            "mijn_bericht.html",
            status_code,
            me=me,
            organisation=organisation,
            title=f"{title} – Mijn vragen",
            heading=title,
            paragraphs=paragraphs,
            link=link,
        )

    async def admit(self, request: Request, me: SignedIn | None = None) -> FormValues | HTMLResponse:
        """The posted form when it is small enough and carries a good CSRF token; else the refusal."""
        values = await read_form(request)
        if values is None:
            return self.message(request, 413, "Dit formulier is te groot", ["Maak uw tekst korter."], me=me)
        if not self.csrf.ok(request, first(values, CSRF_FIELD)):
            return self.message(
                request,
                403,
                "Dit formulier is verlopen",
                ["Er is niets veranderd. Laad de pagina opnieuw en probeer het nog een keer."],
                me=me,
                link=(PATH, "Naar mijn vragen"),
            )
        return values
