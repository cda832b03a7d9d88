"""The coordinators' page of the joint consultation (gezamenlijk overleg), in Dutch: ``/overleg``.

Server-rendered with Jinja2, plain HTML forms, no JavaScript. A coordinator signs in once with their
API key (scope ``coordinator``); sign-in, the server-side session, CSRF tokens and the layout come
from the web kit (:mod:`services.kit.web.staff`), shared with the reporting dashboard. The page lists
the consultation queue with the candidates and the rules each one fails; a form per question assigns
by hand with a required reason, through the same command as the API.

Each question links to its own page (:mod:`services.matching.overleg.question`): the question's text and,
with the resident's consent, how to reach them (read from intake, audited), the appointment with the
resident (planned, held), the resident's own view, and the choice of one supporter or a duo.

Above the queue a section flags *te laat*: open assignments past the promise of first contact within
3 working days (:mod:`services.matching.handlers.overdue`), with the supporter's and the
organisation's names, the municipality, and how late, counted in Dutch working days by the same
clock as the watch that sends the reminders.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from contracts.bsn import contains_bsn
from contracts.codes import LIFE_DOMAINS
from contracts.labels import KIND_PREFERENCE_WORDS, LANGUAGE_LABELS, MEETING_PREFERENCE_LABELS, NEED_WORDS
from contracts.references import reference_of
from services.kit.access import Principal
from services.kit.db import Conn
from services.kit.runtime import Runtime
from services.kit.web.forms import first
from services.kit.web.headers import redirect
from services.kit.web.staff import PageSet, StaffPages
from services.kit.web.templates import environment as page_environment
from services.matching import handlers, store
from services.matching.handlers.overdue import FirstContactWatch, late_assignments
from services.matching.overleg import question as question_page
from services.matching.workspace.clients import IntakeCases

PATH: Final = "/overleg"
PAGES: Final = PageSet(
    path=PATH,
    audience="overleg",
    name="Gezamenlijk overleg",
    scopes=("coordinator",),
    login_heading="Inloggen voor coördinatoren",
    login_intro=(
        "Op deze pagina ziet u de vragen waarvoor geen ondersteuner bij alle regels past. "
        "In het gezamenlijk overleg kiest u samen met de inwoner wie het beste kan helpen.",
    ),
    wrong_key="Deze sleutel werkt niet, of hoort niet bij een coördinator.",
    back_text="Terug naar het overleg",
)

#: Failed rules a coordinator cannot override: such candidates cannot be chosen on the page.
BLOCKING = handlers.NOT_OVERRIDABLE


@pass_context
def short_reference(context: Context, question_id: str) -> str:
    """The number people read for a question: the reference from the page's ``references``."""
    return reference_of(str(question_id), context.get("references", {}).get(str(question_id)))


@lru_cache(maxsize=1)
def environment() -> Environment:
    return page_environment(
        "services.matching",
        layout="staff.html",
        filters={
            "domain_name": lambda code: LIFE_DOMAINS.get(code, code),
            "kind_name": lambda code: KIND_PREFERENCE_WORDS.get(code, code),
            "language_name": lambda code: LANGUAGE_LABELS.get(code, code),
            "need_name": lambda code: NEED_WORDS.get(code, code),
            "meeting_name": lambda code: MEETING_PREFERENCE_LABELS.get(code, code),
            "short": short_reference,
        },
    )


class Pages(StaffPages):
    """The consultation page of one matching process."""

    def __init__(self, rt: Runtime, watch: FirstContactWatch | None = None) -> None:
        super().__init__(rt, PAGES, environment())
        self.watch = watch
        self.intake = IntakeCases(rt.settings)
        rt.closing(self.intake.aclose)

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
            done = await self._assigned(conn, assigned, principal.municipality) if assigned else None
            late = await late_assignments(conn, self.watch.clock(), principal.municipality) if self.watch else []
            # People read names: organisations and the supporter just chosen by their display names.
            organisation_names = {o.id: o.name for o in (await store.load_organisations(conn)).values()}
            chosen = await store.get_supporter_row(conn, done.supporter_id) if done else None
            partner = await store.get_supporter_row(conn, done.partner_id) if done and done.partner_id else None
            meetings = await store.meetings_of(conn, [i.consultation.question_id for i in items])
            shown = [i.consultation.question_id for i in items] + [a.assignment.question_id for a in late]
            references = await store.references_of(conn, shown + ([done.question_id] if done else []))
        title = "Gezamenlijk overleg"
        if errors:
            title = f"Fout: {title}"
        return self.render(
            request,
            "overleg.html",
            status,
            title=f"{title} – Samenloket",
            principal=principal,
            items=items,
            blocking=BLOCKING,
            errors=errors or {},
            typed=typed or {},
            done=done,
            late=late,
            organisation_names=organisation_names,
            chosen_name=chosen.name if chosen else "",
            partner=partner,
            meetings=meetings,
            references=references,
        )

    @staticmethod
    async def _assigned(conn: Conn, question_id: str, municipality: str | None) -> store.AssignmentView | None:
        """The assignment just made (``?toegewezen=``), only of a question the coordinator may see."""
        try:
            await handlers.ensure_in_area(conn, question_id, municipality)
        except handlers.NotFound:
            return None
        return await store.get_assignment(conn, question_id)


def router(rt: Runtime, watch: FirstContactWatch | None = None) -> APIRouter:
    pages = Pages(rt, watch)
    web = APIRouter(tags=["coordinator page"], include_in_schema=False)
    web.include_router(pages.router())
    question_page.routes(web, question_page.QuestionPage(pages, pages.intake, rt.settings.loket_phone))

    @web.get(PATH, response_class=HTMLResponse)
    async def overleg(request: Request, toegewezen: str | None = None) -> HTMLResponse:
        principal = await pages.principal(request)
        if principal is None:
            return pages.login(request)
        return await pages.queue(request, principal, assigned=toegewezen)

    @web.post(PATH + "/vragen/{question_id}/toewijzen", response_class=HTMLResponse)
    async def assign(request: Request, question_id: str) -> Response:
        principal = await pages.principal(request)
        if principal is None:
            return pages.login(request, 401, "U bent niet (meer) ingelogd. Log in en probeer het opnieuw.")
        values = await pages.admit(request)
        if isinstance(values, Response):
            return values
        supporter_id = first(values, "supporter_id")
        reason = first(values, "reason")
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
        return redirect(f"{PATH}?toegewezen={quote(question_id)}")

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
