"""The supporter's cases: ``/mijn-vragen`` (the list) and ``/mijn-vragen/{question_id}`` (one case with
its steps: accept, decline, first contact, end).

Every page first asks who is signed in; without a session it sends the browser to the sign-in page
(and back here afterwards). A supporter sees only their own cases: any other question id answers the
same 404 as an id that does not exist, and nothing is read or changed. Each step runs the same use case
as the coordinators' API, for the supporter's own assignment only (a duo member acts on their own part);
a step on a case that moved on answers 409 with the reason, and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import quote

import asyncpg
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from contracts.events import Reason
from contracts.labels import DECLINE_REASON_TEXTS, END_REASON_TEXTS
from services.kit.db import Conn
from services.kit.dutch import today
from services.kit.web.csrf import CSRF_FIELD
from services.kit.web.forms import FormValues
from services.kit.web.headers import redirect
from services.matching import handlers
from services.matching.store import workspace as cases_store
from services.matching.workspace import forms, views
from services.matching.workspace.pages import Workspace
from services.matching.workspace.sessions import SignedIn
from services.matching.workspace.signin import PATH, SIGN_IN_PATH

QUESTION_ID: Final = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")
#: What the page says after a step (``?gedaan=...``).
DONE: Final[dict[str, str]] = {
    "aangenomen": "U heeft de vraag aangenomen. Neem binnen 3 werkdagen contact op met de inwoner.",
    "contact": "Het eerste contact is opgeslagen.",
    "gestopt": "De ondersteuning is gestopt. Wil de inwoner berichten van ons krijgen? Dan vragen wij hoe het ging.",
    "afgewezen": "U heeft de vraag afgewezen. Wij zoeken meteen een andere ondersteuner voor de inwoner.",
}
DEADLOCK_RETRIES: Final = 3
#: The form field a use case's field error belongs to.
FIELD_ANCHORS: Final = {"reached_on": "datum", "method": "manier-phone"}
#: One step's use case, run in one transaction.
Step = Callable[[Conn], Awaitable[None]]


def router(ws: Workspace) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def to_sign_in(request: Request) -> Response:
        return redirect(f"{SIGN_IN_PATH}?terug={quote(request.url.path, safe='/')}")

    async def organisation_of(me: SignedIn) -> tuple[dict[str, str], str]:
        names = await ws.organisation_names()
        return names, names.get(me.organisation, me.organisation)

    def not_found(request: Request, me: SignedIn, organisation: str) -> HTMLResponse:
        return ws.message(
            request,
            404,
            "Deze vraag vinden wij niet",
            [
                "Deze vraag staat niet bij uw vragen. Misschien is de link niet helemaal goed overgenomen.",
            ],
            me=me,
            organisation=organisation,
            link=(PATH, "Naar mijn vragen"),
        )

    @r.get(PATH, response_class=HTMLResponse)
    async def my_cases(request: Request, gedaan: str | None = None) -> Response:
        me = await ws.sessions.current(request)
        if me is None:
            return to_sign_in(request)
        async with ws.rt.db.acquire() as conn:
            rows = await cases_store.cases_of(conn, me.supporter_id)
            partners = await cases_store.supporter_names(conn, [c.partner_id for c in rows if c.partner_id])
        names, organisation = await organisation_of(me)
        shown = [views.case_view(c, names, partners.get(c.partner_id or "")) for c in rows]
        return ws.render(
            request,
            "mijn_vragen.html",
            me=me,
            organisation=organisation,
            title="Mijn vragen – Samenloket",
            groups=views.grouped(shown),
            total=len(shown),
            done=DONE["afgewezen"] if gedaan == "afgewezen" else None,
        )

    async def show_case(
        request: Request,
        me: SignedIn,
        question_id: str,
        status_code: int = 200,
        *,
        done: str | None = None,
        conflict: str | None = None,
        errors: dict[str, str] | None = None,
        typed: dict[str, dict[str, str]] | None = None,
    ) -> HTMLResponse:
        names, organisation = await organisation_of(me)
        async with ws.rt.db.acquire() as conn:
            case = await cases_store.case_of(conn, me.supporter_id, question_id)
            partners = await cases_store.supporter_names(conn, [case.partner_id] if case and case.partner_id else [])
        if case is None:
            return not_found(request, me, organisation)
        view = views.case_view(case, names, partners.get(case.partner_id or ""))
        found = None
        if case.open:  # the resident's data only while the supporter supports them; intake audits the read
            found = await ws.intake.case(question_id, me.supporter_id, me.organisation, case.assignment_id)
        title = f"Vraag uit {view.municipality} – Mijn vragen"
        return ws.render(
            request,
            "mijn_vraag.html",
            status_code,
            me=me,
            organisation=organisation,
            title=("Fout: " if errors else "") + title,
            case=view,
            resident=views.resident_view(found),
            done=done,
            conflict=conflict,
            errors=errors or {},
            typed=typed or {},
            decline_choices=forms.DECLINE_CHOICES,
            end_choices=forms.END_CHOICES,
            method_choices=forms.METHOD_CHOICES,
            today=today().isoformat(),
        )

    @r.get(PATH + "/{question_id}", response_class=HTMLResponse)
    async def one_case(request: Request, question_id: str, gedaan: str | None = None) -> Response:
        me = await ws.sessions.current(request)
        if me is None:
            return to_sign_in(request)
        if not QUESTION_ID.match(question_id):
            return not_found(request, me, (await organisation_of(me))[1])
        return await show_case(request, me, question_id, done=DONE.get(gedaan or ""))

    async def guard(request: Request, question_id: str) -> tuple[SignedIn, FormValues] | Response:
        """A step's checks before anything is read: the session, the CSRF token, and that the case is theirs."""
        me = await ws.sessions.current(request)
        if me is None:
            return to_sign_in(request)
        values = await ws.admit(request, me)
        if isinstance(values, Response):
            return values
        mine = None
        if QUESTION_ID.match(question_id):
            async with ws.rt.db.acquire() as conn:
                mine = await cases_store.case_of(conn, me.supporter_id, question_id)
        if mine is None:
            return not_found(request, me, (await organisation_of(me))[1])
        return me, values

    def typed_in(form: str, values: FormValues) -> dict[str, dict[str, str]]:
        return {form: {k: v[0] for k, v in values.items() if v and k != CSRF_FIELD}}

    async def attempt(
        request: Request, me: SignedIn, question_id: str, form: str, values: FormValues, work: Step
    ) -> Response | None:
        """Run a step's use case in one transaction; None when it was done, else the page saying why not."""
        try:
            for tried in range(1, DEADLOCK_RETRIES + 1):
                try:
                    async with ws.rt.db.acquire() as conn, conn.transaction():
                        await work(conn)
                    return None
                except asyncpg.DeadlockDetectedError:
                    if tried == DEADLOCK_RETRIES:
                        raise
        except handlers.InvalidField as exc:
            anchor = FIELD_ANCHORS.get(exc.field, exc.field)
            errors = {anchor: exc.text}
            return await show_case(request, me, question_id, 422, errors=errors, typed=typed_in(form, values))
        except handlers.CommandError as exc:
            async with ws.rt.db.acquire() as conn:
                now = await cases_store.case_of(conn, me.supporter_id, question_id)
            return await show_case(request, me, question_id, 409, conflict=views.conflict_text(now, exc.text))
        return None

    async def invalid(
        request: Request, me: SignedIn, question_id: str, form: str, values: FormValues, errors: dict[str, str]
    ) -> Response:
        return await show_case(request, me, question_id, 422, errors=errors, typed=typed_in(form, values))

    c = ws.matching

    @r.post(PATH + "/{question_id}/aannemen", response_class=HTMLResponse)
    async def accept(request: Request, question_id: str) -> Response:
        guarded = await guard(request, question_id)
        if isinstance(guarded, Response):
            return guarded
        me, values = guarded

        async def work(conn: Conn) -> None:
            await handlers.accept(conn, question_id, c.source, supporter_id=me.supporter_id)

        failed = await attempt(request, me, question_id, "aannemen", values, work)
        return failed or redirect(f"{PATH}/{quote(question_id)}?gedaan=aangenomen")

    @r.post(PATH + "/{question_id}/afwijzen", response_class=HTMLResponse)
    async def decline(request: Request, question_id: str) -> Response:
        guarded = await guard(request, question_id)
        if isinstance(guarded, Response):
            return guarded
        me, values = guarded
        chosen = forms.read_decline(values)
        if isinstance(chosen, dict):
            return await invalid(request, me, question_id, "afwijzen", values, chosen)
        reason = Reason(code=chosen.reason, text=DECLINE_REASON_TEXTS[chosen.reason])

        async def work(conn: Conn) -> None:
            await handlers.decline(
                conn,
                question_id,
                "supporter",
                reason,
                c.source,
                c.scoring,
                reason_text=chosen.note,
                supporter_id=me.supporter_id,
            )

        failed = await attempt(request, me, question_id, "afwijzen", values, work)
        return failed or redirect(f"{PATH}?gedaan=afgewezen")

    @r.post(PATH + "/{question_id}/eerste-contact", response_class=HTMLResponse)
    async def first_contact(request: Request, question_id: str) -> Response:
        guarded = await guard(request, question_id)
        if isinstance(guarded, Response):
            return guarded
        me, values = guarded
        contact = forms.read_contact(values)
        if isinstance(contact, dict):
            return await invalid(request, me, question_id, "contact", values, contact)

        async def work(conn: Conn) -> None:
            await handlers.record_first_contact(
                conn, question_id, me.supporter_id, contact.reached_on, contact.method, c.source
            )

        failed = await attempt(request, me, question_id, "contact", values, work)
        return failed or redirect(f"{PATH}/{quote(question_id)}?gedaan=contact")

    @r.post(PATH + "/{question_id}/stoppen", response_class=HTMLResponse)
    async def end(request: Request, question_id: str) -> Response:
        guarded = await guard(request, question_id)
        if isinstance(guarded, Response):
            return guarded
        me, values = guarded
        outcome = forms.read_end(values)
        if isinstance(outcome, dict):
            return await invalid(request, me, question_id, "stoppen", values, outcome)
        reason = Reason(code=outcome, text=END_REASON_TEXTS[outcome])

        async def work(conn: Conn) -> None:
            await handlers.end(conn, question_id, reason, c.source, c.scoring, supporter_id=me.supporter_id)

        failed = await attempt(request, me, question_id, "stoppen", values, work)
        return failed or redirect(f"{PATH}/{quote(question_id)}?gedaan=gestopt")

    return r
