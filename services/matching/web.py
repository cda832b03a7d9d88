"""The coordinators' page of the joint consultation (gezamenlijk overleg), in Dutch: ``/overleg``.

Server-rendered with Jinja2, plain HTML forms, no JavaScript. A coordinator signs in once with their
API key (scope ``coordinator``); the key is kept in a session cookie that is HttpOnly, SameSite=Strict
and signed with a key derived from the internal token, and it is checked against the key store on
every request, so a revoked key stops working at once (within the store's short cache). Every POST
carries a CSRF token (a signed double-submit token in its own cookie and a hidden field); both live in
the kit (``services/kit/websession.py``), shared with the reporting dashboard. The page
lists the consultation queue with the candidates and the rules each one fails; a form per question
assigns by hand with a required reason, through the same command as the API.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from contracts.bsn import contains_bsn
from contracts.codes import LIFE_DOMAINS, MUNICIPALITIES
from services.kit.access import Principal
from services.kit.runtime import Runtime
from services.kit.websession import CSRF_FIELD, SECURITY_HEADERS, SessionConfig, Signer, WebSession, form_values
from services.matching import domain, handlers, store

__all__ = ["Signer", "router"]

PATH: Final = "/overleg"
SESSION: Final = SessionConfig(
    path=PATH,
    session_cookie="overleg_sessie",
    csrf_cookie="overleg_csrf",
    context="samenloket/matching/overleg/v1",
    scopes=("coordinator",),
)

#: Failed rules a coordinator cannot override: such candidates cannot be chosen on the page.
BLOCKING = handlers.NOT_OVERRIDABLE


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("services.matching", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["domain_name"] = lambda code: LIFE_DOMAINS.get(code, code)
    env.filters["kind_name"] = lambda code: domain.KIND_NAMES.get(code, "geen voorkeur" if code == "any" else code)
    env.filters["language_name"] = lambda code: domain.LANGUAGE_NAMES.get(code, code)
    env.filters["place_name"] = lambda code: MUNICIPALITIES.get(code or "", code or "onbekend")
    env.filters["short"] = lambda question_id: str(question_id)[:8].upper()
    env.filters["when"] = lambda moment: moment.strftime("%d-%m-%Y %H:%M") if moment else ""
    return env


@lru_cache(maxsize=1)
def stylesheet() -> str:
    return environment().get_template("overleg.css").render()


class Pages:
    """The consultation page of one matching process: sessions, CSRF and rendering."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.session = WebSession(rt, SESSION)

    # --- rendering ---

    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        token = self.session.csrf_token(request)
        html = environment().get_template(template).render(csrf_token=token, path=PATH, **context)
        response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
        self.session.set_csrf(response, token)
        return response

    def login(self, request: Request, status: int = 200, error: str | None = None) -> HTMLResponse:
        return self.render(request, "login.html", status, title="Inloggen – Gezamenlijk overleg", error=error)

    async def queue(
        self,
        request: Request,
        principal: Principal,
        status: int = 200,
        errors: dict[str, str] | None = None,
        typed: dict[str, dict[str, str]] | None = None,
        assigned: str | None = None,
    ) -> HTMLResponse:
        async with self.rt.db.acquire() as conn:
            items = await handlers.consultation_queue(conn, principal.municipality)
            done = await store.get_assignment(conn, assigned) if assigned else None
        title = "Gezamenlijk overleg"
        if errors:
            title = f"Fout: {title}"
        return self.render(
            request,
            "overleg.html",
            status,
            title=f"{title} – Samenloket",
            principal=principal,
            place=MUNICIPALITIES.get(principal.municipality or "", "alle gemeenten"),
            items=items,
            blocking=BLOCKING,
            errors=errors or {},
            typed=typed or {},
            done=done,
        )

    def refuse(self, request: Request, status: int, message: str) -> HTMLResponse:
        return self.render(
            request, "message.html", status, title="Dat lukte niet – Gezamenlijk overleg", message=message
        )


def router(rt: Runtime) -> APIRouter:
    pages = Pages(rt)
    web = APIRouter(tags=["coordinator page"], include_in_schema=False)

    @web.get(PATH, response_class=HTMLResponse)
    async def overleg(request: Request, toegewezen: str | None = None) -> HTMLResponse:
        principal = await pages.session.principal(request)
        if principal is None:
            return pages.login(request)
        return await pages.queue(request, principal, assigned=toegewezen)

    @web.get(f"{PATH}/overleg.css")
    async def css() -> Response:
        return Response(stylesheet(), media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    @web.post(f"{PATH}/inloggen", response_class=HTMLResponse)
    async def sign_in(request: Request) -> Response:
        values = await form_values(request)
        if values is None:
            return pages.refuse(request, 413, "Het formulier is te groot.")
        if not pages.session.csrf_ok(request, values.get(CSRF_FIELD)):
            return pages.login(request, 403, "Het formulier was verlopen. Probeer het nog een keer.")
        api_key = values.get("api_key", "").strip()
        if not api_key:
            return pages.login(request, 422, "Vul uw API-sleutel in.")
        if await pages.session.authenticate(api_key) is None:
            return pages.login(request, 401, "Deze sleutel werkt niet, of hoort niet bij een coördinator.")
        response = RedirectResponse(PATH, status_code=303, headers=SECURITY_HEADERS)
        pages.session.sign_in(response, api_key)
        return response

    @web.post(f"{PATH}/uitloggen")
    async def sign_out(request: Request) -> Response:
        values = await form_values(request) or {}
        if not pages.session.csrf_ok(request, values.get(CSRF_FIELD)):
            return pages.refuse(request, 403, "Het formulier was verlopen. Laad de pagina opnieuw.")
        response = RedirectResponse(PATH, status_code=303, headers=SECURITY_HEADERS)
        pages.session.sign_out(response)
        return response

    @web.post(PATH + "/vragen/{question_id}/toewijzen", response_class=HTMLResponse)
    async def assign(request: Request, question_id: str) -> Response:
        principal = await pages.session.principal(request)
        if principal is None:
            return pages.login(request, 401, "U bent niet (meer) ingelogd. Log in en probeer het opnieuw.")
        values = await form_values(request)
        if values is None:
            return pages.refuse(request, 413, "Het formulier is te groot.")
        if not pages.session.csrf_ok(request, values.get(CSRF_FIELD)):
            return pages.refuse(
                request, 403, "Het formulier was verlopen. Laad de pagina opnieuw en probeer het nog een keer."
            )
        supporter_id = values.get("supporter_id", "").strip()
        reason = values.get("reason", "").strip()
        typed = {question_id: {"supporter_id": supporter_id, "reason": reason}}
        problem = _form_problem(supporter_id, reason)
        if problem:
            return await pages.queue(request, principal, 422, {question_id: problem}, typed)
        try:
            async with rt.db.acquire() as conn, conn.transaction():
                await handlers.assign_by_hand(
                    conn,
                    question_id,
                    supporter_id,
                    reason,
                    f"{principal.organisation}/{principal.key_id}",
                    rt.source,
                    municipality=principal.municipality,
                )
        except handlers.InvalidField:
            return await pages.queue(
                request, principal, 422, {question_id: "Kies een ondersteuner uit de lijst."}, typed
            )
        except handlers.CommandError as exc:
            status = 404 if isinstance(exc, handlers.NotFound) else 409
            return await pages.queue(request, principal, status, {question_id: exc.text}, typed)
        return RedirectResponse(f"{PATH}?toegewezen={quote(question_id)}", status_code=303, headers=SECURITY_HEADERS)

    return web


def _form_problem(supporter_id: str, reason: str) -> str | None:
    """What is missing or wrong in the hand-assignment form (Dutch), or None."""
    if not supporter_id:
        return "Kies een ondersteuner."
    if len(reason) < 5:
        return "Schrijf op waarom het overleg voor deze ondersteuner kiest (minstens 5 tekens)."
    if len(reason) > 1000:
        return "Maak de reden korter (hoogstens 1000 tekens)."
    if contains_bsn(reason):
        return "Schrijf geen burgerservicenummer (BSN) in de reden."
    return None
