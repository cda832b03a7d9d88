"""The resident's own page, "Mijn vraag" (Dutch, B1, phone-first, no JavaScript needed).

- ``GET /mijn-vraag/<token>``: where the question stands, with dates; who helps (display names);
  what happens next and by when; how to reach the loket; how the resident wants to hear from us.
- ``GET``/``POST /mijn-vraag/<token>/intrekken``: withdraw, after a confirm step. Again: the same page.
- ``POST /mijn-vraag/<token>/berichten``: e-mail, SMS or no messages.
- ``GET``/``POST /mijn-vraag``: "link kwijt?": a new link by e-mail; the same answer for every address.

Same look, guards and headers as the question form (:class:`services.intake.web.Pages`): every POST
passes the per-client rate limit and the CSRF check; every view of a private link passes its own
per-client budget, and every wrong token (never issued, revoked, erased) gets the same page.
"""

from __future__ import annotations

import logging
from typing import Final

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import EmailStr, TypeAdapter, ValidationError

from contracts.labels import (
    PREFERRED_CHANNEL_RESIDENT_LABELS,
    QUESTION_STATUS_LABELS,
    WITHDRAWAL_REASON_RESIDENT_LABELS,
)
from services.intake.mine import domain
from services.intake.mine.handlers import Mine
from services.intake.web import Pages
from services.kit.dutch import dutch_date
from services.kit.runtime import Runtime
from services.kit.web.forms import first
from services.kit.web.headers import NOINDEX, redirect

log = logging.getLogger(__name__)

BASE: Final = "/mijn-vraag"
#: Personal pages: search engines must not keep them, and the token never leaves in a Referer.
PRIVATE: Final = {**NOINDEX, "Referrer-Policy": "no-referrer"}
_EMAIL: Final = TypeAdapter(EmailStr)
#: Form choices (code, label, hint): the reasons a resident may give, and the channels.
REASON_CHOICES: Final = tuple((code, label, "") for code, label in WITHDRAWAL_REASON_RESIDENT_LABELS.items())
CHANNEL_HINTS: Final = {
    "email": "Wij sturen u een e-mail als er iets verandert.",
    "sms": "Wij sturen u een sms als er iets verandert.",
    "none": "Wij sturen u geen berichten meer over uw vraag. Uw cliëntondersteuner kan u wel nog bellen.",
}


def router(rt: Runtime, mine: Mine, pages: Pages) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def private(response: HTMLResponse) -> HTMLResponse:
        response.headers.update(PRIVATE)
        return response

    def unknown_link() -> HTMLResponse:
        """The one answer to every wrong token: what to do next, and how to reach the loket."""
        return private(
            pages.error(
                404,
                "Deze link werkt niet",
                [
                    "Misschien is de link niet helemaal goed overgenomen. Kopieer de hele link uit het bericht.",
                    "Of de link werkt niet meer, omdat u een nieuwe link heeft gekregen. Gebruik dan de link uit"
                    " het nieuwste bericht.",
                    "Bent u de link kwijt? Vraag dan hieronder een nieuwe link aan.",
                    *([f"Liever iemand spreken? {reach}"] if (reach := pages.loket.how_to_reach()) else []),
                ],
                BASE,
                "Een nieuwe link aanvragen",
            )
        )

    def too_many(request: Request, limiter_wait: int) -> HTMLResponse:
        return private(pages.too_many(limiter_wait, BASE))

    def client(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    @r.get(BASE, response_class=HTMLResponse)
    async def lost_link(request: Request) -> Response:
        token = pages.token_for(request)
        return pages.render("mine_lost.html", 200, token, title="Link kwijt?", csrf_token=token)

    @r.post(BASE, response_class=HTMLResponse)
    async def request_link(request: Request) -> Response:
        admitted = await pages.admit(request, BASE)
        if isinstance(admitted, Response):
            return admitted
        values, token = admitted
        email = first(values, "email").strip()
        try:
            _EMAIL.validate_python(email)
        except ValidationError:
            return pages.render(
                "mine_lost.html",
                422,
                token,
                title="Link kwijt?",
                csrf_token=token,
                email=email,
                error="Dit e-mailadres klopt niet. Een e-mailadres ziet er zo uit: naam@voorbeeld.nl",
            )
        try:
            async with rt.db.acquire() as conn, conn.transaction():
                await mine.request_links(conn, email)
        except Exception:
            log.exception("resident page: a link request failed")
            return pages.unavailable(BASE)
        return private(pages.render("mine_link_sent.html", title="Kijk in uw e-mail"))

    @r.get(BASE + "/{link}", response_class=HTMLResponse)
    async def my_question(link: str, request: Request) -> Response:
        wait = pages.views.take(client(request))
        if wait:
            return too_many(request, wait)
        async with rt.db.acquire() as conn:
            found = await mine.page(conn, link)
        if found is None:
            return unknown_link()
        token = pages.token_for(request)
        q = found.question
        return private(
            pages.render(
                "mine.html",
                200,
                token,
                title="Uw vraag",
                csrf_token=token,
                link=link,
                page=found,
                reference=found.reference,
                received_on=dutch_date(q.received_at),
                history=[
                    (h.label or QUESTION_STATUS_LABELS.get(h.status, h.status), dutch_date(h.at)) for h in found.history
                ],
                may_withdraw=domain.may_withdraw(q.status),
                channel_choices=[(c, PREFERRED_CHANNEL_RESIDENT_LABELS[c], CHANNEL_HINTS[c]) for c in found.channels],
                chosen_channel=q.preferred_channel or ("email" if q.has_email else "sms" if q.has_phone else "none"),
                saved=request.query_params.get("opgeslagen") == "1",
            )
        )

    @r.get(BASE + "/{link}/intrekken", response_class=HTMLResponse)
    async def confirm_withdrawal(link: str, request: Request) -> Response:
        wait = pages.views.take(client(request))
        if wait:
            return too_many(request, wait)
        async with rt.db.acquire() as conn:
            question = await mine.linked(conn, link)
        if question is None:
            return unknown_link()
        if not domain.may_withdraw(question.status):
            return redirect(f"{BASE}/{link}")
        token = pages.token_for(request)
        return private(
            pages.render(
                "mine_withdraw.html",
                200,
                token,
                title="Wilt u uw vraag intrekken?",
                csrf_token=token,
                link=link,
                reference=domain.format_reference(question.reference),
                reason_choices=REASON_CHOICES,
            )
        )

    @r.post(BASE + "/{link}/intrekken", response_class=HTMLResponse)
    async def withdraw(link: str, request: Request) -> Response:
        admitted = await pages.admit(request, f"{BASE}/{link}")
        if isinstance(admitted, Response):
            return admitted
        values, _token = admitted
        code = domain.resident_withdrawal_code(first(values, "reason")) or "other"
        try:
            async with rt.db.acquire() as conn, conn.transaction():
                outcome = await mine.withdraw(conn, link, code)
        except Exception:
            log.exception("resident page: withdrawing failed")
            return pages.unavailable(f"{BASE}/{link}")
        if outcome is None:
            return unknown_link()
        if outcome == "closed":
            return private(
                pages.error(
                    409,
                    "Uw vraag is al afgerond",
                    [
                        "De ondersteuning voor deze vraag is klaar. Daarom kunt u de vraag niet meer intrekken.",
                        "Heeft u toch nog een vraag? " + (pages.loket.how_to_reach() or "Neem contact met ons op."),
                    ],
                    f"{BASE}/{link}",
                    "Terug naar uw vraag",
                )
            )
        return redirect(f"{BASE}/{link}")

    @r.post(BASE + "/{link}/berichten", response_class=HTMLResponse)
    async def choose_channel(link: str, request: Request) -> Response:
        admitted = await pages.admit(request, f"{BASE}/{link}")
        if isinstance(admitted, Response):
            return admitted
        values, _token = admitted
        channel = first(values, "preferred_channel")
        if channel not in PREFERRED_CHANNEL_RESIDENT_LABELS:
            return redirect(f"{BASE}/{link}")
        try:
            async with rt.db.acquire() as conn, conn.transaction():
                done = await mine.set_channel(conn, link, channel)  # type: ignore[arg-type]  # checked above
        except Exception:
            log.exception("resident page: saving the channel failed")
            return pages.unavailable(f"{BASE}/{link}")
        if done is None:
            return unknown_link()
        return redirect(f"{BASE}/{link}?opgeslagen=1" if done else f"{BASE}/{link}")

    return r
