"""The resident's "Ik wil meedenken" page (Dutch, B1), reached from their own page ("Mijn vraag"):
``/mijn-vraag/<link>/meedenken``. The private link is the only key; the same guards as every
resident form (rate limit, CSRF). Joining needs a theme and an explicit tick on the consent; the
page says the councils never get the resident's name or contact details; stopping is one button.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any, Final

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from contracts.labels import LIFE_DOMAIN_LABELS
from services.intake.mine.handlers import Mine
from services.intake.mine.web import BASE, PRIVATE
from services.intake.panel import domain, store
from services.intake.web import Pages
from services.intake.webforms import FieldError
from services.kit.runtime import Runtime
from services.kit.web.headers import redirect

log = logging.getLogger(__name__)

DOMAIN_CHOICES: Final = tuple((code, label, "") for code, label in LIFE_DOMAIN_LABELS.items())
CONSENT_CHOICES: Final = (("yes", domain.CONSENT_TEXT, ""),)
MESSAGES: Final = {
    "life_domains": "Kies minstens één onderwerp.",
    "consent": "Zet een vinkje als wij u mogen uitnodigen.",
}


def router(rt: Runtime, mine: Mine, pages: Pages) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def page(
        request: Request, link: str, member: Any, chosen: list[str], errors: list[FieldError], saved: str = ""
    ) -> HTMLResponse:
        token = pages.token_for(request)
        err: defaultdict[str, str] = defaultdict(str, {e.field: e.message for e in errors})
        response = pages.render(
            "panel.html",
            422 if errors else 200,
            token,
            title="Ik wil meedenken",
            csrf_token=token,
            link=link,
            member=member,
            chosen=chosen,
            errors=errors,
            err=err,
            saved=saved,
            domain_choices=DOMAIN_CHOICES,
            consent_choices=CONSENT_CHOICES,
            domain_labels=LIFE_DOMAIN_LABELS,
        )
        response.headers.update(PRIVATE)
        return response

    def unknown() -> HTMLResponse:
        return pages.error(
            404, "Deze link werkt niet", ["Open de link uit het nieuwste bericht van ons."], BASE, "Terug"
        )

    @r.get(BASE + "/{link}/meedenken", response_class=HTMLResponse)
    async def panel_page(link: str, request: Request, opgeslagen: str = "") -> Response:
        async with rt.db.acquire() as conn:
            linked = await mine.linked(conn, link)
            member = await store.membership(conn, linked.question_id) if linked else None
        if linked is None:
            return unknown()
        chosen = list(member["life_domains"]) if member else []
        return page(request, link, member, chosen, [], opgeslagen if opgeslagen in ("ja", "gestopt") else "")

    @r.post(BASE + "/{link}/meedenken", response_class=HTMLResponse)
    async def join(link: str, request: Request) -> Response:
        admitted = await pages.admit(request, f"{BASE}/{link}/meedenken")
        if isinstance(admitted, Response):
            return admitted
        values, _token = admitted
        chosen = [v for v in values.get("life_domains", []) if v in LIFE_DOMAIN_LABELS][:8]
        try:
            choice = domain.PanelChoice(life_domains=chosen, consent=values.get("consent", [""])[0] == "yes")  # type: ignore[arg-type]
        except ValidationError as exc:
            fields = {str(e["loc"][0]) for e in exc.errors()}
            errors = [
                FieldError(name, MESSAGES[name], f"{name}-{anchor}")
                for name, anchor in (("life_domains", DOMAIN_CHOICES[0][0]), ("consent", "yes"))
                if name in fields
            ]
            async with rt.db.acquire() as conn:
                linked = await mine.linked(conn, link)
                member = await store.membership(conn, linked.question_id) if linked else None
            if linked is None:
                return unknown()
            return page(request, link, member, chosen, errors)
        async with rt.db.acquire() as conn, conn.transaction():
            linked = await mine.linked(conn, link, lock=True)
            if linked is None:
                return unknown()
            await store.join(
                conn,
                linked.question_id,
                linked.municipality,
                list(choice.life_domains),
                domain.CONSENT_VERSION,
                datetime.now(UTC),
            )
        return redirect(f"{BASE}/{link}/meedenken?opgeslagen=ja")

    @r.post(BASE + "/{link}/meedenken/stoppen", response_class=HTMLResponse)
    async def leave(link: str, request: Request) -> Response:
        admitted = await pages.admit(request, f"{BASE}/{link}/meedenken")
        if isinstance(admitted, Response):
            return admitted
        async with rt.db.acquire() as conn, conn.transaction():
            linked = await mine.linked(conn, link, lock=True)
            if linked is None:
                return unknown()
            await store.withdraw(conn, linked.question_id, datetime.now(UTC))
        return redirect(f"{BASE}/{link}/meedenken?opgeslagen=gestopt")

    return r
