"""The panel and polls on the council's page (``/adviesraad#meedenken``): how large the panel is per
theme next to the residents supported (suppressed), the council's polls with their results
(suppressed), and a form to invite the panel to one of its meetings or panel polls. The council
sees how many were invited, never who (:mod:`services.intake.panel.http`)."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from services.intake.panel import domain as panel_domain
from services.intake.panel import store as panel_store
from services.intake.panel.http import InvitationBody, invite_members, subject_of
from services.intake.polls import domain as poll_domain
from services.intake.polls import store as poll_store
from services.intake.staffpages.council import PATH, CouncilPages
from services.kit.access import Principal
from services.kit.web.forms import first
from services.kit.web.headers import redirect


def install(pages: CouncilPages) -> None:
    rt = pages.rt
    threshold = pages.settings.suppression_threshold

    async def section(principal: Principal) -> dict[str, Any]:
        members = await panel_store.members_in(rt.db, principal.municipality)
        on_panel = Counter(d for m in members for d in m["life_domains"])
        supported = {r["d"]: r["n"] for r in await panel_store.supported_by_domain(rt.db, principal.municipality)}
        polls = []
        for row in await poll_store.of_council(rt.db, principal.organisation, principal.municipality):
            answers = await poll_store.answers(rt.db, uuid.UUID(row["poll_id"]))
            polls.append((row, poll_domain.results(poll_store.questions_of(row), answers, threshold)))
        return {
            "panel_sizes": [
                (
                    d,
                    panel_domain.shown_size(on_panel[d], threshold),
                    panel_domain.shown_size(supported.get(d, 0), threshold),
                )
                for d in sorted(set(on_panel) | set(supported))
            ],
            "polls": polls,
        }

    pages.sections.append(section)


def routes(web: APIRouter, pages: CouncilPages) -> None:
    rt = pages.rt

    @web.post(PATH + "/meedenken/uitnodigen", response_class=HTMLResponse)
    async def invite(request: Request) -> Response:
        principal = await pages.principal(request)
        if principal is None:
            return pages.login(request, 401, "U bent niet (meer) ingelogd. Log in en probeer het opnieuw.")
        values = await pages.admit(request)
        if isinstance(values, Response):
            return values
        kind, _, subject = first(values, "onderwerp").partition(":")
        try:
            body = InvitationBody.model_validate({"meeting_id" if kind == "meeting" else "poll_id": uuid.UUID(subject)})
        except ValueError:
            return pages.refuse(request, 422, "Kies een bijeenkomst of een peiling uit de lijst.", principal)
        async with rt.db.acquire() as conn, conn.transaction():
            found = await subject_of(conn, principal, body)
            if found is None:
                return pages.refuse(request, 404, "Deze bijeenkomst of peiling is niet bekend.", principal)
            await invite_members(conn, rt.source, principal, found)
        return redirect(f"{PATH}?klaar=uitgenodigd#meedenken")
