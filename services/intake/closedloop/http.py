"""HTTP entry points of the closed loop: withdrawing a question, partner webhooks, and the internal
webhook lookup for notifications."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from services.intake.closedloop import handlers, store
from services.intake.closedloop.domain import WebhookRegistration, Withdrawal, new_secret
from services.intake.domain import QuestionStatus
from services.kit import crypto, netguard
from services.kit.access import Principal, require
from services.kit.http import internal_auth
from services.kit.runtime import Runtime

log = logging.getLogger(__name__)

NOT_FOUND = "Deze vraag is niet bekend. / This question is not known."
NO_WEBHOOK = "Er is geen webhook ingesteld. / No webhook is registered."
CLOSED = "Deze vraag is al afgesloten en kan niet meer worden ingetrokken. / This question is closed."
WITHDRAWN = "Deze vraag is ingetrokken en kan niet worden afgesloten. / This question was withdrawn."


#: A partner's key (submit or read-own): the webhook belongs to the key's organisation.
PartnerKey = Annotated[Principal, Depends(require("submit", "read-own"))]
#: The referrer (submit) or staff.
ReferrerOrStaff = Annotated[Principal, Depends(require("submit", "staff"))]
#: Staff only.
StaffKey = Annotated[Principal, Depends(require("staff"))]


class WithdrawAnswer(BaseModel):
    question_id: str
    status: QuestionStatus
    status_url: str


class WebhookView(BaseModel):
    url: str


class WebhookCreated(BaseModel):
    """The answer to ``PUT /api/v1/webhooks``: the only time the signing secret is shown."""

    url: str
    secret: str


def secret_place(organisation: str) -> str:
    """Associated data of a sealed webhook secret: it opens only in its own row."""
    return crypto.context("intake", "partner_webhooks", "secret", organisation)


def note_place(question_id: uuid.UUID) -> str:
    """Associated data of a sealed withdrawal note."""
    return crypto.context("intake", "question_history", "note", question_id)


def routers(rt: Runtime, ring: crypto.KeyRing) -> list[APIRouter]:
    """The closed-loop API; ``ring`` seals webhook secrets and withdrawal notes at rest."""
    return [questions_router(rt, ring), webhooks_router(rt, ring), internal_router(rt, ring)]


def questions_router(rt: Runtime, ring: crypto.KeyRing) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["questions"])

    @router.post("/questions/{question_id}/withdraw", response_model=WithdrawAnswer)
    async def withdraw_question(
        question_id: uuid.UUID,
        body: Withdrawal,
        principal: ReferrerOrStaff,
    ) -> WithdrawAnswer:
        """Withdraw a question (its referring partner, or staff).

        The reason text is kept in intake only, sealed; the referrer hears the code ``withdrawn``.
        """
        note = ring.seal(body.reason, note_place(question_id))
        try:
            async with rt.db.acquire() as conn, conn.transaction():
                done = await handlers.withdraw(conn, rt.source, question_id, principal, note, body.reason_code)
        except handlers.NotYours:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND) from None
        except handlers.AlreadyClosed:
            raise HTTPException(status.HTTP_409_CONFLICT, CLOSED) from None
        return WithdrawAnswer(
            question_id=done.question_id, status=done.status, status_url=f"/api/v1/questions/{done.question_id}"
        )

    @router.post("/questions/{question_id}/close", response_model=WithdrawAnswer)
    async def close_question(question_id: uuid.UUID, principal: StaffKey) -> WithdrawAnswer:
        """Close a question (staff): support that is still open ends, every service hears QuestionClosed.

        Closing it again changes nothing; a withdrawn question cannot be closed (409).
        """
        try:
            async with rt.db.acquire() as conn, conn.transaction():
                done = await handlers.close(conn, rt.source, question_id, principal)
        except handlers.NotYours:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND) from None
        except handlers.AlreadyClosed:
            raise HTTPException(status.HTTP_409_CONFLICT, WITHDRAWN) from None
        return WithdrawAnswer(
            question_id=done.question_id, status=done.status, status_url=f"/api/v1/questions/{done.question_id}"
        )

    return router


def webhooks_router(rt: Runtime, ring: crypto.KeyRing) -> APIRouter:
    """One webhook per organisation (the API key's), for the status of the questions it referred."""
    router = APIRouter(prefix="/api/v1", tags=["webhooks"])

    @router.put("/webhooks", response_model=WebhookCreated)
    async def register_webhook(body: WebhookRegistration, principal: PartnerKey) -> WebhookCreated:
        """Register or replace the webhook; answers a NEW signing secret, shown this once only.

        The URL must point at a public address (an IP address or a name resolving to one); a name
        that does not resolve yet is accepted, as every delivery checks the address again.
        """
        try:
            await netguard.check_destination(body.url, rt.settings.webhooks_allow_private_addresses)
        except netguard.Refused as exc:
            error = {"type": "value_error", "loc": ("body", "url"), "msg": str(exc), "input": body.url}
            raise RequestValidationError([error]) from None
        secret = new_secret()
        sealed = ring.seal(secret, secret_place(principal.organisation))
        async with rt.db.acquire() as conn:
            await store.save_webhook(conn, principal.organisation, body.url, sealed)
        log.info("webhook registered", extra={"organisation": principal.organisation})
        return WebhookCreated(url=body.url, secret=secret)

    @router.get("/webhooks", response_model=WebhookView)
    async def show_webhook(principal: PartnerKey) -> WebhookView:
        """The registered URL (the secret is never shown again: register anew to get a new one)."""
        found = await store.webhook(rt.db, principal.organisation)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NO_WEBHOOK)
        return WebhookView(url=found[0])

    @router.delete("/webhooks", status_code=status.HTTP_204_NO_CONTENT)
    async def delete_webhook(principal: PartnerKey) -> Response:
        if not await store.delete_webhook(rt.db, principal.organisation):
            raise HTTPException(status.HTTP_404_NOT_FOUND, NO_WEBHOOK)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router


def internal_router(rt: Runtime, ring: crypto.KeyRing) -> APIRouter:
    """For notifications only (the internal token): where to post, and the secret to sign with."""
    token = rt.settings.internal_token.get_secret_value()
    router = APIRouter(prefix="/internal/v1", tags=["internal"], dependencies=[Depends(internal_auth(token))])

    @router.get("/partners/{organisation}/webhook", response_model=WebhookCreated)
    async def partner_webhook(organisation: str) -> WebhookCreated:
        found = await store.webhook(rt.db, organisation)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NO_WEBHOOK)
        url, sealed = found
        return WebhookCreated(url=url, secret=ring.open(sealed, secret_place(organisation)))

    return router
