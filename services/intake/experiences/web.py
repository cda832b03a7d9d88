"""The resident's experience pages (Dutch, B1): ``/ervaring/<token>`` and the thank-you page.

Same look, guards and headers as the question form (:class:`services.intake.web.Pages`): a rate
limit per client and a CSRF check on every POST, a strict Content-Security-Policy, no JavaScript
needed. The token in the address is the only key to the form; the page names no one.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Final

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from contracts.labels import STATEMENT_LABELS
from services.intake.experiences.form import AGREEMENT_CHOICES, SCORE_CHOICES, ExperienceForm
from services.intake.experiences.handlers import LinkNotUsable, Participation
from services.intake.panel.domain import CONSENT_TEXT
from services.intake.web import Pages
from services.intake.webforms import FieldError
from services.kit.runtime import Runtime
from services.kit.web.headers import redirect

log = logging.getLogger(__name__)

TITLE: Final = "Hoe ging de hulp?"
THANKS_PATH: Final = "/ervaring/bedankt"
#: What screening masked, as the thank-you page tells the resident (the address says only the kinds).
MASKED_WORDS: Final[dict[str, str]] = {"name": "namen", "phone": "telefoonnummers", "email": "e-mailadressen"}


def form_page(pages: Pages, token: str, link: str, form: ExperienceForm, errors: list[FieldError]) -> HTMLResponse:
    err: defaultdict[str, str] = defaultdict(str, {e.field: e.message for e in errors})
    return pages.render(
        "experience.html",
        422 if errors else 200,
        token,
        title=TITLE,
        action=f"/ervaring/{link}",
        form=form,
        errors=errors,
        err=err,
        csrf_token=token,
        statement_labels=STATEMENT_LABELS,
        agreement_choices=AGREEMENT_CHOICES,
        score_choices=SCORE_CHOICES,
        panel_choices=(
            ("yes", CONSENT_TEXT, "Over dezelfde onderwerpen als uw vraag. Stoppen kan altijd, op uw eigen pagina."),
        ),
    )


def link_problem(pages: Pages, problem: LinkNotUsable) -> HTMLResponse:
    """A friendly page for a link that does not (or no longer) open the form: 410 when it once did."""
    if problem.state == "used":
        return pages.error(
            410,
            "U heeft uw ervaring al gedeeld",
            ["Bedankt! Wij hebben uw antwoorden al ontvangen. U kunt één keer meedoen met deze link."],
            "/",
            "Naar de voorpagina",
        )
    if problem.state == "expired":
        return pages.error(
            410,
            "Deze link is verlopen",
            [
                "De link om uw ervaring te delen werkt 60 dagen. Die tijd is voorbij.",
                "Wilt u toch iets vertellen over de hulp? Geef dan een signaal of ervaring door.",
            ],
            "/signaal",
            "Een signaal of ervaring doorgeven",
        )
    return pages.error(
        404,
        "Deze link werkt niet",
        [
            "Misschien is de link niet helemaal goed overgenomen. Kopieer de hele link uit het bericht.",
            "Kreeg u later nog een bericht van ons? Gebruik dan de link uit het nieuwste bericht.",
        ],
        "/",
        "Naar de voorpagina",
    )


def router(rt: Runtime, participation: Participation, pages: Pages) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get(THANKS_PATH, response_class=HTMLResponse)
    async def thanks(afgeschermd: str = "") -> Response:
        masked = [MASKED_WORDS[k] for k in MASKED_WORDS if k in afgeschermd.split(",")[:3]]
        return pages.render("experience_thanks.html", title="Bedankt voor uw ervaring", masked=masked)

    @r.get("/ervaring/{link}", response_class=HTMLResponse)
    async def experience_form(link: str, request: Request) -> Response:
        try:
            async with rt.db.acquire() as conn:
                await participation.usable_link(conn, link, now())
        except LinkNotUsable as problem:
            return link_problem(pages, problem)
        return form_page(pages, pages.token_for(request), link, ExperienceForm(), [])

    @r.post("/ervaring/{link}", response_class=HTMLResponse)
    async def share_experience(link: str, request: Request) -> Response:
        admitted = await pages.admit(request, f"/ervaring/{link}")
        if isinstance(admitted, Response):
            return admitted
        values, token = admitted
        form = ExperienceForm.parse(values)
        answers, errors = form.validate()
        shared = None
        try:
            async with rt.db.acquire() as conn, conn.transaction():
                if answers is None:
                    await participation.usable_link(conn, link, now())
                else:
                    shared = await participation.share(conn, link, answers, join_panel=form.joins_panel)
        except LinkNotUsable as problem:
            return link_problem(pages, problem)
        except Exception:
            log.exception("web form: storing an experience failed")
            return pages.unavailable(f"/ervaring/{link}")
        if answers is None or shared is None:
            return form_page(pages, token, link, form, errors)
        if shared.masked:
            return redirect(f"{THANKS_PATH}?afgeschermd={','.join(shared.masked)}")
        return redirect(THANKS_PATH)

    return r


def now() -> datetime:
    return datetime.now(UTC)
