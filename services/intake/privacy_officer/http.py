"""The privacy officer's endpoints (scope ``privacy-officer``): look a resident up, export their data.

- ``POST /api/v1/residents/lookup``: the resident_ref(s) behind an e-mail address or phone number
  (in the body, never in the URL), :mod:`.lookup`;
- ``GET /api/v1/residents/{ref}/export``: everything held about the resident as JSON, :mod:`.export`;
- ``GET /api/v1/residents/{ref}/export.html``: the same as a Dutch page to print or save, :mod:`.page`.

A key limited to a municipality handles residents with a question there only (:mod:`.scope`); any
other is unknown (404). Every look-up and every export is in the audit log before the answer leaves.
Erasure is ``DELETE /api/v1/residents/{ref}`` (:mod:`services.intake.privacy`).
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends, HTTPException, Path, status
from fastapi.responses import HTMLResponse

from services.intake import audit
from services.intake.privacy import OFFICER, UNKNOWN_RESIDENT, UNREADABLE
from services.intake.privacy_officer import lookup, page, scope
from services.intake.privacy_officer.deliveries import DeliveriesUnavailable
from services.intake.privacy_officer.export import ResidentExport, Unreadable, gather
from services.intake.privacy_officer.retention import utc_now
from services.intake.privacy_officer.service import PrivacyOfficer
from services.kit.access import Principal

#: Said in the export when notifications could not list the messages now.
MESSAGES_UNAVAILABLE: Final = "notifications did not answer: the messages sent are missing from this export"

Ref = Annotated[str, Path(max_length=100)]
Officer = Annotated[Principal, Depends(OFFICER)]


def router(officer: PrivacyOfficer) -> APIRouter:
    rt = officer.rt
    api = APIRouter(prefix="/api/v1", tags=["privacy"])

    @api.post("/residents/lookup", response_model=lookup.LookupAnswer)
    async def look_up(body: lookup.LookupRequest, principal: Officer) -> lookup.LookupAnswer:
        """The residents recorded under exactly this e-mail address and/or phone number (at most 10).

        With both, only residents whose stored identifiers agree with both. Each answer names what
        matched and tells residents apart without personal data; the look-up is in the audit log
        with ``purpose`` (the right the resident invokes), the identifiers are not.
        """
        actor, kind = audit.actor_of(principal)
        async with rt.db.acquire() as conn, conn.transaction():
            return await lookup.find(conn, officer.index_key, body, principal, actor=actor, actor_kind=kind)

    async def export_of(principal: Principal, resident_ref: str) -> ResidentExport:
        ref = scope.parse_ref(resident_ref)
        actor, kind = audit.actor_of(principal)
        async with rt.db.acquire() as conn, conn.transaction():
            if ref is None or not await scope.may_handle(conn, principal, resident_ref):
                raise HTTPException(status.HTTP_404_NOT_FOUND, UNKNOWN_RESIDENT)
            await audit.record(
                conn, actor=actor, actor_kind=kind, action="resident.export", purpose="access", resident_ref=str(ref)
            )
            try:
                found = await gather(conn, officer.vault, ref, utc_now(), officer.settings.retention_years)
            except Unreadable:
                raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, UNREADABLE) from None
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, UNKNOWN_RESIDENT)
        if not found.questions:
            return found.model_copy(update={"messages": []})
        try:
            messages = await officer.deliveries.of_questions([q.question_id for q in found.questions])
        except DeliveriesUnavailable:
            return found.model_copy(update={"messages_unavailable": MESSAGES_UNAVAILABLE})
        return found.model_copy(update={"messages": messages})

    @api.get("/residents/{resident_ref}/export", response_model=ResidentExport)
    async def export(resident_ref: Ref, principal: Officer) -> ResidentExport:
        """Everything intake holds about the resident (AVG art. 15), opened, and the messages sent.

        Contact details, questions with description, status history and withdrawal notes, who
        supported (organisation and kind), the experience shared, messages sent about the questions
        (from notifications; ``messages`` is null and ``messages_unavailable`` says why when it
        cannot answer), sealed dead letters naming them, and the audit log's entries about them —
        this export's own entry included.
        """
        return await export_of(principal, resident_ref)

    @api.get("/residents/{resident_ref}/export.html", response_class=HTMLResponse)
    async def export_page(resident_ref: Ref, principal: Officer) -> HTMLResponse:
        """The export as a Dutch page (B1) to print or save for the resident."""
        return page.render(await export_of(principal, resident_ref), officer.settings)

    return api
