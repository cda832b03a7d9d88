"""The resident's pages (Dutch, B1): the question form, its confirmation and the signal form.

Plain HTML forms that work without JavaScript, at phone width and by keyboard. They validate with
the API's own models (see :mod:`services.intake.webforms`) and store through the same use cases as
the API (:meth:`Intake.submit_question`; signals: :mod:`services.intake.signals.web`). Every POST passes a rate
limit per client and a CSRF check, and every page carries the kit's security headers (all from the web
kit, :mod:`services.kit.web`); the pages extend the kit's one base template through ``resident.html``.

The rate limit keys on the client's address (:func:`services.kit.web.clients.client_address`): the
socket's peer, or behind our own reverse proxy (``SAMENLOKET_TRUSTED_PROXIES``) the right-most
untrusted address of ``X-Forwarded-For``; without that setting behind a proxy every resident would
share the proxy's address and so one budget. Only a POST that passed the size and CSRF checks is
counted: junk requests cannot use up a resident's budget.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from services.intake import store, webforms
from services.intake.handlers import Intake
from services.intake.mine import domain as mine_domain
from services.intake.mine.domain import format_reference
from services.intake.mine.handlers import Mine
from services.intake.settings import IntakeSettings
from services.intake.webforms import FieldError, QuestionForm
from services.kit.region import Region
from services.kit.runtime import Runtime
from services.kit.web.clients import client_address, parse_networks
from services.kit.web.csrf import CSRF_FIELD, CsrfCookie, CsrfTokens, csrf_key
from services.kit.web.forms import FormValues, read_form
from services.kit.web.headers import NOINDEX, page, redirect
from services.kit.web.ratelimit import RateLimiter
from services.kit.web.templates import environment as page_environment

log = logging.getLogger(__name__)

#: How long a form may stay open before it must be loaded again (a resident may take their time).
CSRF_MAX_AGE_SECONDS: Final = 24 * 3600
#: How long the confirmation page can still show the private link after the form was sent.
LINK_COOKIE_SECONDS: Final = 30 * 60

CHOICES: Final[dict[str, Any]] = {
    "life_domain_choices": webforms.LIFE_DOMAIN_CHOICES,
    "kind_choices": webforms.KIND_CHOICES,
    "language_choices": webforms.LANGUAGE_CHOICES,
    "meeting_choices": webforms.MEETING_CHOICES,
    "need_choices": webforms.NEED_CHOICES,
    "duo_choices": webforms.DUO_CHOICES,
    "together_choices": webforms.TOGETHER_CHOICES,
    "contact_channel_choices": webforms.CONTACT_CHANNEL_CHOICES,
    "found_via_choices": webforms.FOUND_VIA_CHOICES,
    "age_band_choices": webforms.AGE_BAND_CHOICES,
    "theme_choices": webforms.THEME_CHOICES,
    "level_choices": webforms.LEVEL_CHOICES,
    "raised_by_choices": webforms.RAISED_BY_CHOICES,
}


@lru_cache(maxsize=1)
def environment() -> Environment:
    return page_environment("services.intake", layout="resident.html")


@dataclass(frozen=True)
class Loket:
    """How residents reach the loket (settings ``loket_*``), on every resident page."""

    name: str
    phone: str
    email: str

    @property
    def phone_href(self) -> str:
        return "tel:" + "".join(c for c in self.phone if c.isdigit() or c == "+")

    def how_to_reach(self) -> str:
        """One sentence: "Bel 078 770 80 90 of mail naar …" (empty when neither is configured)."""
        if self.phone and self.email:
            return f"Bel {self.name} op {self.phone} of mail naar {self.email}."
        if self.phone:
            return f"Bel {self.name} op {self.phone}."
        if self.email:
            return f"Mail {self.name} via {self.email}."
        return ""


class Pages:
    """Rendering and guarding of the resident pages of one intake process."""

    def __init__(self, settings: IntakeSettings, region: Region) -> None:
        tokens = CsrfTokens(csrf_key(settings.internal_token.get_secret_value()), CSRF_MAX_AGE_SECONDS)
        self.secure = settings.web_cookie_secure
        # The __Host- prefix binds a Secure cookie to this exact host and path.
        self.csrf = CsrfCookie(tokens, "__Host-samenloket_csrf" if self.secure else "samenloket_csrf", "/", self.secure)
        self.limiter = RateLimiter(settings.web_rate_limit, settings.web_rate_window_seconds)
        #: Views of a resident's own page (a private link): a budget per client against guessing.
        self.views = RateLimiter(settings.status_view_limit, settings.web_rate_window_seconds)
        #: The region served: which municipalities the forms offer, and the loket (settings ``loket_*`` win).
        self.region = region
        self.municipality_choices = webforms.municipality_choices(region)
        loket = region.loket_with(settings.loket_name, settings.loket_phone, settings.loket_email)
        self.loket = Loket(loket.name, loket.phone, loket.email)
        self.trusted_proxies = parse_networks(settings.trusted_proxies)

    def render(self, template: str, status: int = 200, token: str | None = None, **context: Any) -> HTMLResponse:
        context.setdefault("errors", [])
        context.setdefault("loket", self.loket)
        response = page(environment().get_template(template).render(**context), status)
        if token:
            self.csrf.set(response, token)
        return response

    def form_page(
        self, template: str, title: str, token: str, form: object, errors: list[FieldError], status: int = 200
    ) -> HTMLResponse:
        err: defaultdict[str, str] = defaultdict(str, {e.field: e.message for e in errors})
        return self.render(
            template,
            status,
            token,
            title=title,
            form=form,
            errors=errors,
            err=err,
            csrf_token=token,
            municipality_choices=self.municipality_choices,
            **CHOICES,
        )

    def error(
        self, status: int, title: str, paragraphs: list[str], back_url: str = "/", back_text: str = "Naar het formulier"
    ) -> HTMLResponse:
        return self.render(
            "error.html", status, title=title, paragraphs=paragraphs, back_url=back_url, back_text=back_text
        )

    def call_us(self) -> str:
        """How to reach someone instead: the loket when configured, else the municipality's 14 number."""
        return self.loket.how_to_reach() or "Of bel uw gemeente op 14 en dan het netnummer, bijvoorbeeld 14 078."

    def token_for(self, request: Request) -> str:
        return self.csrf.token_for(request)

    async def admit(self, request: Request, back_url: str) -> tuple[FormValues, str] | Response:
        """Size, CSRF and rate limit checks of a POST: ``(form values, token)``, or the page refusing it.

        The rate limit is charged only for a POST that passed the CSRF check.
        """
        values = await read_form(request)
        if values is None:
            return self.error(
                413, "Uw bericht is te lang", ["Maak uw tekst korter en probeer het opnieuw."], back_url, "Terug"
            )
        token = (values.get(CSRF_FIELD) or [""])[0]
        if not self.csrf.ok(request, token):
            return self.error(
                403,
                "Dit formulier is verlopen",
                [
                    "Wij konden niet controleren of dit formulier van deze website kwam. "
                    "Uw gegevens zijn niet verstuurd.",
                    "Open het formulier opnieuw en vul het nog een keer in. Sta cookies toe voor deze website.",
                ],
                back_url,
                "Het formulier opnieuw openen",
            )
        wait = self.limiter.take(client_address(request, self.trusted_proxies))
        if wait:
            return self.too_many(wait, back_url)
        return values, token

    def too_many(self, wait: int, back_url: str) -> HTMLResponse:
        minutes = max(1, -(-wait // 60))
        response = self.error(
            429,
            "Even wachten, alstublieft",
            [
                "Er zijn vanaf deze plek te veel formulieren verstuurd in korte tijd. Uw gegevens zijn niet verstuurd.",
                f"Probeer het over {minutes} {'minuut' if minutes == 1 else 'minuten'} opnieuw. " + self.call_us(),
            ],
            back_url,
            "Terug naar het formulier",
        )
        response.headers["Retry-After"] = str(wait)
        return response

    def unavailable(self, back_url: str) -> HTMLResponse:
        return self.error(
            503,
            "Er ging iets mis",
            [
                "Het lukte ons nu niet om uw gegevens op te slaan. Dat ligt niet aan u.",
                "Probeer het over een paar minuten opnieuw. " + self.call_us(),
            ],
            back_url,
            "Terug naar het formulier",
        )


def link_cookie(secure: bool) -> str:
    """The short-lived cookie carrying a new question's private link from the POST to its confirmation."""
    return "__Secure-samenloket_vraag" if secure else "samenloket_vraag"


def router(rt: Runtime, intake: Intake, pages: Pages, mine: Mine) -> APIRouter:
    """The resident pages. Not part of the API's OpenAPI description. ``pages`` is the one of this
    process: every resident form shares its rate limit and CSRF key."""
    r = APIRouter(include_in_schema=False)
    cookie = link_cookie(pages.secure)

    @r.get("/", response_class=HTMLResponse)
    async def question_form(request: Request) -> Response:
        return pages.form_page(
            "question.html", "Vraag een cliëntondersteuner", pages.token_for(request), QuestionForm(), []
        )

    @r.post("/", response_class=HTMLResponse)
    async def submit_question(request: Request) -> Response:
        admitted = await pages.admit(request, "/")
        if isinstance(admitted, Response):
            return admitted
        values, token = admitted
        form = QuestionForm.parse(values)
        submission, errors = form.validate(pages.region)
        if submission is None:
            return pages.form_page("question.html", "Vraag een cliëntondersteuner", token, form, errors, 422)
        try:
            async with rt.db.acquire() as conn, conn.transaction():
                accepted = await intake.submit_question(conn, submission, channel="web")
                link = await mine.issue(conn, uuid.UUID(accepted.question_id))
        except Exception:
            log.exception("web form: storing a question failed")
            return pages.unavailable("/")
        response = redirect(f"/bevestiging/{accepted.question_id}")
        if link is not None:
            # The link travels in a short-lived HTTP-only cookie, never in a redirect or a server log.
            response.set_cookie(
                cookie,
                link.token,
                max_age=LINK_COOKIE_SECONDS,
                path="/bevestiging",
                secure=pages.secure,
                httponly=True,
                samesite="strict",
            )
        return response

    @r.get("/bevestiging/{question_id}", response_class=HTMLResponse)
    async def confirmation(question_id: str, request: Request) -> Response:
        """What happens next, with the short reference and, right after the form, the private link.

        No personal data on this page; the link shows only to the browser that sent the form.
        """
        qid = _uuid(question_id)
        row = await store.question_view(rt.db, qid) if qid is not None else None
        if qid is None or row is None:
            return pages.error(
                404,
                "Deze pagina bestaat niet",
                ["Misschien is de link niet helemaal goed overgenomen."],
                "/",
                "Naar het formulier",
            )
        token = request.cookies.get(cookie, "")
        status_url = None
        async with rt.db.acquire() as conn:
            linked = await mine.linked(conn, token) if token else None
        if linked is not None and linked.question_id == qid:
            status_url = mine.url(token)
        response = pages.render(
            "confirmation.html",
            title="Uw vraag is ontvangen",
            reference=format_reference(row["reference"]),
            status_url=status_url,
            choose_together=row["choose_together"],
            question_status=row["status"],
            contact_days=mine_domain.CONTACT_WORKING_DAYS,
            consultation_days=mine_domain.CONSULTATION_WORKING_DAYS,
        )
        response.headers.update(NOINDEX)
        return response

    return r


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
