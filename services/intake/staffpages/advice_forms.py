"""The advice register on the council's page (``/adviesraad#adviezen``): the council's advices with the
addressee's decision and response, late responses flagged, a form to record a new advice and one per
advice to record the response. Same models and commands as the API (:mod:`services.intake.advice`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from contracts.labels import ADVICE_DECISION_LABELS, LIFE_DOMAIN_LABELS, SIGNAL_THEME_LABELS
from services.intake.advice import domain, handlers, store
from services.intake.advice.domain import AdviceBody, AdviceRefused, AnswerBody
from services.intake.staffpages.council import PATH, CouncilPages
from services.kit.access import Principal
from services.kit.dutch import today
from services.kit.web.forms import first
from services.kit.web.headers import redirect

Choice = tuple[str, str, str]
THEME_CHOICES: Final[tuple[Choice, ...]] = tuple((k, v, "") for k, v in SIGNAL_THEME_LABELS.items())
DOMAIN_CHOICES: Final[tuple[Choice, ...]] = tuple((k, v, "") for k, v in LIFE_DOMAIN_LABELS.items())
DECISION_CHOICES: Final[tuple[Choice, ...]] = tuple((k, v, "") for k, v in ADVICE_DECISION_LABELS.items())
ADDRESSEE_CHOICES: Final[tuple[Choice, ...]] = (
    ("college", "Het college van burgemeester en wethouders", ""),
    ("board", "Het bestuur van een organisatie", "Kies hieronder de organisatie."),
)
MESSAGES: Final[dict[str, str]] = {
    "subject": "Schrijf het onderwerp in één regel (3 tot 200 tekens).",
    "given_on": "Vul de datum van het advies in. Die datum mag niet in de toekomst liggen.",
    "text": "Schrijf de tekst van het advies (hoogstens 8000 tekens, zonder BSN).",
    "addressee": "Kies aan wie het advies gaat.",
    "addressee_organisation": "Kies de organisatie als het advies naar een bestuur gaat, en anders geen.",
    "signal_ids": "Kies alleen signalen uit de lijst.",
    "themes": "Kies onderwerpen uit de lijst.",
    "life_domains": "Kies leefgebieden uit de lijst.",
    "decision": "Kies wat er met het advies gebeurde.",
    "decided_on": "Vul de datum van het besluit in: niet voor het advies en niet in de toekomst.",
    "responded_on": "Vul de datum van de reactie in: niet voor het advies en niet in de toekomst.",
    "response": "Schrijf de reactie (hoogstens 8000 tekens, zonder BSN).",
}


def field_errors(exc: ValidationError) -> dict[str, str]:
    found: dict[str, str] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "text"
        found.setdefault(name, MESSAGES.get(name, "Kijk dit veld nog na."))
    return found


def advice_values(values: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    return {
        "subject": first(values, "subject"),
        "given_on": first(values, "given_on") or None,
        "text": first(values, "text"),
        "addressee": first(values, "addressee") or None,
        "addressee_organisation": first(values, "addressee_organisation") or None,
        "signal_ids": list(values.get("signal_ids", []))[: domain.MAX_SIGNALS + 1],
        "themes": list(values.get("themes", []))[:7],
        "life_domains": list(values.get("life_domains", []))[:9],
    }


def answer_values(values: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    return {
        "decision": first(values, "decision") or None,
        "decided_on": first(values, "decided_on") or None,
        "response": first(values, "response"),
        "responded_on": first(values, "responded_on") or None,
    }


def install(pages: CouncilPages) -> None:
    """Add the register to the council's overview (its context) and its two forms' routes."""
    rt = pages.rt

    async def section(principal: Principal) -> dict[str, Any]:
        rows = await store.of_council(rt.db, principal.organisation, principal.municipality)
        on = today()
        return {
            "advices": [(r, domain.is_late(r["response_due"], r["responded_on"], on)) for r in rows],
            "theme_choices": THEME_CHOICES,
            "domain_choices": DOMAIN_CHOICES,
            "decision_choices": DECISION_CHOICES,
            "decision_labels": ADVICE_DECISION_LABELS,
            "addressee_choices": ADDRESSEE_CHOICES,
            "organisation_choices": tuple((k, v, "") for k, v in sorted(pages.organisation_names.items())),
            "today": on.isoformat(),
            "advice_weeks": pages.settings.advice_response_weeks,
        }

    pages.sections.append(section)


def routes(web: APIRouter, pages: CouncilPages) -> None:
    rt = pages.rt
    weeks = pages.settings.advice_response_weeks

    async def admitted(request: Request) -> tuple[Principal, dict[str, list[str]]] | Response:
        principal = await pages.principal(request)
        if principal is None:
            return pages.login(request, 401, "U bent niet (meer) ingelogd. Log in en probeer het opnieuw.")
        values = await pages.admit(request)
        if isinstance(values, Response):
            return values
        return principal, dict(values)

    @web.post(PATH + "/adviezen", response_class=HTMLResponse)
    async def give(request: Request) -> Response:
        got = await admitted(request)
        if isinstance(got, Response):
            return got
        principal, values = got
        typed = advice_values(values)
        try:
            body = AdviceBody.model_validate(typed)
            domain.check_advice(body, today())
            async with rt.db.acquire() as conn, conn.transaction():
                await handlers.give(conn, rt.source, principal, body, weeks)
        except ValidationError as exc:
            return await overview_with(request, principal, {"advice": field_errors(exc)}, {"advice": typed})
        except AdviceRefused as exc:
            problem = {exc.field: MESSAGES.get(exc.field, exc.message)}
            return await overview_with(request, principal, {"advice": problem}, {"advice": typed})
        return redirect(f"{PATH}?klaar=advies#adviezen")

    @web.post(PATH + "/adviezen/{advice_id}/reactie", response_class=HTMLResponse)
    async def respond(request: Request, advice_id: str) -> Response:
        got = await admitted(request)
        if isinstance(got, Response):
            return got
        principal, values = got
        try:
            aid = uuid.UUID(advice_id)
        except ValueError:
            return pages.refuse(request, 404, "Dit advies is niet bekend.", principal)
        typed = answer_values(values)
        try:
            body = AnswerBody.model_validate(typed)
            async with rt.db.acquire() as conn, conn.transaction():
                row = await store.one(conn, aid, lock=True)
                if row is None or not domain.may_see(principal, row["council"], row["municipality"]):
                    return pages.refuse(request, 404, "Dit advies is niet bekend.", principal)
                await handlers.answer(conn, rt.source, row, body, principal.organisation, today())
        except ValidationError as exc:
            return await overview_with(request, principal, {advice_id: field_errors(exc)}, {advice_id: typed})
        except AdviceRefused as exc:
            problem = {exc.field: MESSAGES.get(exc.field, exc.message)}
            return await overview_with(request, principal, {advice_id: problem}, {advice_id: typed})
        return redirect(f"{PATH}?klaar=reactie#advies-{advice_id}")

    async def overview_with(
        request: Request, principal: Principal, problems: dict[str, dict[str, str]], typed: dict[str, dict[str, Any]]
    ) -> HTMLResponse:
        return await pages.overview(
            request, principal, pages.current_period(), status_code=422, problems=problems, typed=typed
        )
