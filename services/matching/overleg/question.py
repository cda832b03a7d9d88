"""One question of the joint consultation, in Dutch: ``/overleg/vragen/{question_id}``.

Where a coordinator prepares and records the conversation with the resident, and makes the choice:

- the question's text and, with the resident's consent, their name, phone and e-mail, read from intake
  over the internal call (purpose ``consultation_appointment``; intake audits every view, naming the
  coordinator), so the coordinator can call the resident for the appointment;
- the appointment: plan it (a date and a time; planning again moves it), then record that it was held;
  the resident's own page shows the moment (ConsultationAppointmentPlanned);
- the resident's own view: a short note of what they want from a supporter (no BSN), kept in matching;
- the choice: one supporter (the candidates, explained), or a duo of a professional and a volunteer or
  experience expert, both booked or neither, each with the reason, as on the queue.

Every form carries the CSRF token; mistakes come back on the same page with an error summary and a
Dutch message at the field. A coordinator whose key has a municipality sees and changes only that
municipality's questions: any other answers 404, the same as a question that is not in the queue.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from contracts.events import QuestionReceived
from contracts.references import reference_of
from services.kit.access import Principal
from services.kit.db import Conn
from services.kit.dutch import today
from services.kit.web.forms import FormValues
from services.kit.web.headers import redirect
from services.matching import domain, handlers, store
from services.matching.domain.duos import PARTNER_KINDS, PROFESSIONAL
from services.matching.overleg import forms
from services.matching.postcodes import region_scoring
from services.matching.workspace.clients import ConsultationData, IntakeCases, Unavailable

if TYPE_CHECKING:
    from services.matching.web import Pages

#: What the page says after a step (``?gedaan=...``).
DONE: Final[dict[str, str]] = {
    "afspraak": "De afspraak is opgeslagen. De inwoner ziet de dag en de tijd op de eigen pagina.",
    "gesprek": "Het gesprek is vastgelegd. Kies nu de ondersteuner of het duo dat u samen met de inwoner koos.",
    "wens": "Wat de inwoner wil, is opgeslagen.",
}
#: Why intake showed nothing, as the coordinator reads it.
MISSING: Final[dict[str, str]] = {
    "unavailable": "De gegevens van de inwoner zijn nu niet te laden. Probeer het over een paar minuten opnieuw.",
    "not_in_consultation": "De gegevens zijn er nog niet: de vraag is net in het overleg gekomen. Probeer het over"
    " een minuut opnieuw.",
    "withdrawn": "De inwoner heeft deze vraag ingetrokken.",
    "erased": "De gegevens van deze inwoner zijn gewist.",
    "not_supporting": "De gegevens van de inwoner zijn nu niet te laden. Probeer het over een paar minuten opnieuw.",
}


@dataclass(frozen=True)
class Member:
    """A supporter who could be half of a duo, as the select shows them."""

    supporter_id: str
    label: str
    blocked: bool


@dataclass(frozen=True)
class Suggestion:
    """A duo matching's rules propose, explained."""

    professional: str
    partner: str
    why: str
    professional_id: str
    partner_id: str


def who(principal: Principal) -> str:
    return f"{principal.organisation}/{principal.key_id}"


def path_of(base: str, question_id: str) -> str:
    return f"{base}/vragen/{quote(question_id, safe='')}"


class QuestionPage:
    """The page of one question of the consultation, and its forms."""

    def __init__(self, pages: Pages, intake: IntakeCases, loket_phone: str) -> None:
        self.pages = pages
        self.rt = pages.rt
        self.intake = intake
        self.loket_phone = loket_phone

    async def show(
        self,
        request: Request,
        principal: Principal,
        question_id: str,
        status: int = 200,
        errors: forms.Errors | None = None,
        typed: dict[str, str] | None = None,
        done: str | None = None,
    ) -> HTMLResponse:
        """The page; a question not in the queue (of the key's municipality) answers the refusal page."""
        try:
            async with self.rt.db.acquire() as conn:
                context = await self._context(conn, question_id, principal.municipality)
        except handlers.CommandError as exc:
            return self.refusal(request, principal, exc)
        person = await self.intake.for_consultation(question_id, who(principal), principal.municipality)
        received = context["q"]
        title = f"Vraag {reference_of(question_id, received.reference if received else None)} – Gezamenlijk overleg"
        return self.pages.render(
            request,
            "overleg_vraag.html",
            status,
            title=f"Fout: {title}" if errors else title,
            principal=principal,
            question_id=question_id,
            question_path=path_of(self.pages.pages.path, question_id),
            person=person if isinstance(person, ConsultationData) else None,
            missing=MISSING[person.why] if isinstance(person, Unavailable) else "",
            loket_phone=self.loket_phone,
            errors=errors or {},
            problems=forms.summary(errors or {}),
            typed=typed or {},
            done=DONE.get(done or "", ""),
            now=datetime.now(UTC),
            fields=forms,
            **context,
        )

    def refusal(self, request: Request, principal: Principal, exc: handlers.CommandError) -> HTMLResponse:
        if isinstance(exc, handlers.NotFound):
            return self.pages.refuse(request, 404, "Deze vraag staat niet in het gezamenlijk overleg.", principal)
        return self.pages.refuse(
            request, 409, "Deze vraag staat niet meer in het overleg. Misschien koos iemand anders al.", principal
        )

    async def _context(self, conn: Conn, question_id: str, municipality: str | None) -> dict[str, Any]:
        consultation = await handlers.open_consultation(conn, question_id, municipality)
        received = QuestionReceived.model_validate(consultation.question) if consultation.question else None
        place = consultation.municipality or ""
        organisations = await store.load_organisations(conn)
        declined = (await store.declined_supporters(conn, [question_id])).get(question_id, frozenset())
        supporters = [s for s in await store.list_supporter_rows(conn, place) if s.id not in declined] if place else []
        names = {o.id: o.name for o in organisations.values()}
        candidates = handlers.consultation_candidates(consultation, supporters, organisations, declined)
        professionals: list[Member] = []
        partners: list[Member] = []
        suggestions: list[Suggestion] = []
        if received is not None:
            question = domain.Question.from_event(received)
            professionals, partners = _members(question, supporters, organisations, names)
            suggestions = _suggestions(question, supporters, organisations, names)
        return {
            "consultation": consultation,
            "q": received,
            "meeting": await store.get_meeting(conn, question_id),
            "candidates": candidates,
            "professionals": professionals,
            "partners": partners,
            "suggestions": suggestions,
            "organisation_names": names,
            "blocking": handlers.NOT_OVERRIDABLE,
            "references": {question_id: received.reference} if received and received.reference else {},
        }


def _members(
    question: domain.Question,
    supporters: list[store.SupporterRow],
    organisations: dict[str, domain.Organisation],
    names: dict[str, str],
) -> tuple[list[Member], list[Member]]:
    """Who can be the professional and who the partner of a duo; those no coordinator may choose
    (full, paused, not independent) are shown but cannot be picked. Best fitting first, then by name."""
    day = today()
    ranked: list[tuple[int, str, store.SupporterRow, bool]] = []
    for s in supporters:
        failures = domain.failed_rules(question, s.record(), organisations, day)
        blocked = any(f.code in handlers.NOT_OVERRIDABLE for f in failures)
        soft = [f for f in failures if f.code != domain.LIFE_DOMAIN_NOT_COVERED]
        ranked.append((len(soft) + (100 if blocked else 0), s.name, s, blocked))
    ranked.sort(key=lambda item: (item[0], item[1]))

    def member(s: store.SupporterRow, blocked: bool) -> Member:
        free = max(s.capacity - s.active_cases, 0)
        room = "geen plek vrij" if free == 0 else f"{free} {'plek' if free == 1 else 'plekken'} vrij"
        label = f"{s.name} – {names.get(s.organisation, s.organisation)}, {room}"
        return Member(s.id, label + (" (kan niet gekozen worden)" if blocked and free else ""), blocked)

    professionals = [member(s, b) for _, _, s, b in ranked if s.kind == PROFESSIONAL]
    partners = [member(s, b) for _, _, s, b in ranked if s.kind in PARTNER_KINDS]
    return professionals, partners


def _suggestions(
    question: domain.Question,
    supporters: list[store.SupporterRow],
    organisations: dict[str, domain.Organisation],
    names: dict[str, str],
) -> list[Suggestion]:
    """Up to three duos the rules propose (with room), explained as for an automatic duo."""
    scoring = region_scoring(None)
    rows = {s.id: s for s in supporters}
    options = domain.duo_options(
        question,
        [s.record() for s in supporters],
        organisations,
        weights=scoring.weights,
        today=today(),
        limit=3,
        places=scoring.places,
    )

    def named(supporter_id: str) -> str:
        s = rows[supporter_id]
        return f"{s.name} ({names.get(s.organisation, s.organisation)})"

    return [
        Suggestion(
            named(d.professional.supporter.id),
            named(d.partner.supporter.id),
            d.top_reasons(1)[0].text,
            d.professional.supporter.id,
            d.partner.supporter.id,
        )
        for d in options
    ]


#: A step's use case, run in one transaction.
Step = Callable[[Conn], Awaitable[Any]]


def routes(web: APIRouter, page: QuestionPage) -> None:
    """Register the page and its forms on ``web`` (the coordinators' router)."""
    pages = page.pages
    base = pages.pages.path

    async def signed_in(request: Request) -> Principal | Response:
        principal = await pages.principal(request)
        if principal is None:
            return pages.login(request, 401, "U bent niet (meer) ingelogd. Log in en probeer het opnieuw.")
        return principal

    async def run(
        request: Request,
        principal: Principal,
        question_id: str,
        step: Step,
        field: str,
        typed: dict[str, str],
        fields: dict[str, tuple[str, str]] | None = None,
    ) -> Response | None:
        """Run ``step`` in one transaction; None when it worked, else the page with the error at ``field``
        (``fields`` maps a use case's field to the form's, with the Dutch message for it)."""
        try:
            async with page.rt.db.acquire() as conn, conn.transaction():
                await step(conn)
        except handlers.InvalidField as exc:
            anchor, message = (fields or {}).get(
                exc.field, (field, "Dit klopt niet. Kijk het na en probeer het opnieuw.")
            )
            return await page.show(request, principal, question_id, 422, {anchor: message}, typed)
        except handlers.NotFound as exc:
            return page.refusal(request, principal, exc)
        except handlers.Conflict as exc:
            if exc.code == "not_in_consultation":
                return page.refusal(request, principal, exc)
            return await page.show(request, principal, question_id, 409, {field: exc.text}, typed)
        return None

    @web.get(base + "/vragen/{question_id}", response_class=HTMLResponse)
    async def question_page(
        request: Request,
        question_id: str,
        gedaan: str | None = None,
        beroepskracht: str | None = None,
        partner: str | None = None,
    ) -> Response:
        """The page; ``beroepskracht`` and ``partner`` preselect a proposed duo (a link, no script)."""
        principal = await pages.principal(request)
        if principal is None:
            return pages.login(request, back=path_of(base, question_id))
        typed = {forms.PROFESSIONAL: beroepskracht or "", forms.PARTNER: partner or ""}
        return await page.show(request, principal, question_id, typed=typed, done=gedaan)

    async def admitted(request: Request) -> tuple[Principal, FormValues] | Response:
        principal = await signed_in(request)
        if isinstance(principal, Response):
            return principal
        values = await pages.admit(request)
        if isinstance(values, Response):
            return values
        return principal, values

    @web.post(base + "/vragen/{question_id}/afspraak", response_class=HTMLResponse)
    async def plan(request: Request, question_id: str) -> Response:
        found = await admitted(request)
        if isinstance(found, Response):
            return found
        principal, values = found
        typed = forms.typed_values(values, forms.DATE, forms.TIME)
        moment, errors = forms.read_appointment(values, datetime.now(UTC))
        if errors or moment is None:
            return await page.show(request, principal, question_id, 422, errors, typed)
        refused = await run(
            request,
            principal,
            question_id,
            lambda conn: handlers.plan_appointment(
                conn, question_id, moment, who(principal), page.rt.source, municipality=principal.municipality
            ),
            forms.DATE,
            typed,
            {"planned_for": (forms.DATE, "Kies een dag en tijd die nog moeten komen, binnen drie maanden.")},
        )
        return refused or redirect(f"{path_of(base, question_id)}?gedaan=afspraak#afspraak")

    @web.post(base + "/vragen/{question_id}/gesprek", response_class=HTMLResponse)
    async def held(request: Request, question_id: str) -> Response:
        found = await admitted(request)
        if isinstance(found, Response):
            return found
        principal, _values = found
        refused = await run(
            request,
            principal,
            question_id,
            lambda conn: handlers.appointment_held(
                conn, question_id, who(principal), page.rt.source, municipality=principal.municipality
            ),
            "afspraak",
            {},
        )
        return refused or redirect(f"{path_of(base, question_id)}?gedaan=gesprek#keuze")

    @web.post(base + "/vragen/{question_id}/inwoner", response_class=HTMLResponse)
    async def resident_view(request: Request, question_id: str) -> Response:
        found = await admitted(request)
        if isinstance(found, Response):
            return found
        principal, values = found
        text, errors = forms.read_view(values)
        typed = {forms.VIEW: text}
        if errors:
            return await page.show(request, principal, question_id, 422, errors, typed)
        refused = await run(
            request,
            principal,
            question_id,
            lambda conn: handlers.record_resident_view(
                conn, question_id, text, who(principal), municipality=principal.municipality
            ),
            forms.VIEW,
            typed,
        )
        return refused or redirect(f"{path_of(base, question_id)}?gedaan=wens#wens")

    @web.post(base + "/vragen/{question_id}/kiezen", response_class=HTMLResponse)
    async def choose_one(request: Request, question_id: str) -> Response:
        found = await admitted(request)
        if isinstance(found, Response):
            return found
        principal, values = found
        supporter_id, reason, errors = forms.read_single(values)
        typed = {forms.SUPPORTER: supporter_id, forms.REASON: reason}
        if errors:
            return await page.show(request, principal, question_id, 422, errors, typed)
        refused = await run(
            request,
            principal,
            question_id,
            lambda conn: handlers.assign_by_hand(
                conn,
                question_id,
                supporter_id,
                reason,
                who(principal),
                page.rt.source,
                municipality=principal.municipality,
            ),
            forms.SUPPORTER,
            typed,
            {"supporter_id": (forms.SUPPORTER, "Kies een ondersteuner uit de lijst.")},
        )
        return refused or redirect(f"{base}?toegewezen={quote(question_id)}")

    @web.post(base + "/vragen/{question_id}/duo", response_class=HTMLResponse)
    async def choose_duo(request: Request, question_id: str) -> Response:
        found = await admitted(request)
        if isinstance(found, Response):
            return found
        principal, values = found
        professional, partner, reason, errors = forms.read_duo(values)
        typed = {forms.PROFESSIONAL: professional, forms.PARTNER: partner, forms.DUO_REASON: reason}
        if errors:
            return await page.show(request, principal, question_id, 422, errors, typed)
        refused = await run(
            request,
            principal,
            question_id,
            lambda conn: handlers.assign_duo_by_hand(
                conn,
                question_id,
                (professional, partner),
                reason,
                who(principal),
                page.rt.source,
                municipality=principal.municipality,
            ),
            forms.PROFESSIONAL,
            typed,
            {
                "supporter_id": (forms.PROFESSIONAL, "Kies een beroepskracht uit de lijst."),
                "partner_supporter_id": (
                    forms.PARTNER,
                    "Kies een beroepskracht en een vrijwilliger of ervaringsdeskundige: samen zijn zij het duo.",
                ),
            },
        )
        return refused or redirect(f"{base}?toegewezen={quote(question_id)}")
