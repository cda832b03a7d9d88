"""Intake's HTTP entry points: the question API and the internal contact lookup (signals: ``signals/``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Response, status
from pydantic import BaseModel, Field

from contracts.codes import LifeDomain
from contracts.events import PreferredChannel, QuestionSubmission
from services.intake import audit, privacy, store
from services.intake.closedloop import http as closed_loop_http
from services.intake.domain import QuestionStatus
from services.intake.handlers import Intake, NotServed
from services.intake.mine.domain import format_reference
from services.intake.tenancy import domain as tenancy
from services.intake.tenancy import handlers as tenancy_handlers
from services.intake.tenancy import http as tenancy_http
from services.kit import crypto
from services.kit.access import Principal, require
from services.kit.http import internal_auth
from services.kit.runtime import Runtime

NOT_FOUND = "Deze vraag is niet bekend. / This question is not known."


class QuestionAccepted(BaseModel):
    question_id: str
    status: QuestionStatus
    status_url: str


class HistoryEntry(BaseModel):
    status: QuestionStatus
    reason: str | None
    reason_code: str | None = None
    at: datetime


class QuestionStatusView(BaseModel):
    """What a resident or referrer may see of a question: no personal data."""

    question_id: str
    reference: str | None = Field(default=None, description="the short reference the resident reads out")
    status: QuestionStatus
    municipality: str
    life_domains: list[LifeDomain]
    received_at: datetime
    updated_at: datetime
    history: list[HistoryEntry]


class ContactView(BaseModel):
    question_id: str
    resident_ref: str
    name: str
    email: str | None
    phone: str | None
    share_with_supporter: bool
    preferred_channel: PreferredChannel | None = Field(
        default=None, description="how the resident wants to hear from us; null: e-mail when known, else SMS"
    )
    status: QuestionStatus | None = Field(
        default=None, description="where the question stands: no message about a withdrawn or closed question"
    )
    reference: str | None = Field(default=None, description="the short reference the resident and staff use")


def status_url(question_id: str) -> str:
    return f"/api/v1/questions/{question_id}"


def routers(rt: Runtime, intake: Intake, ring: crypto.KeyRing) -> list[APIRouter]:
    return [
        public_router(rt, intake),
        tenancy_http.router(rt),
        internal_router(rt, intake),
        *closed_loop_http.routers(rt, ring),
    ]


def public_router(rt: Runtime, intake: Intake) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["questions"])

    def accepted_body(question_id: str) -> dict[str, str]:
        return QuestionAccepted(
            question_id=question_id, status="received", status_url=status_url(question_id)
        ).model_dump(mode="json")

    @router.post("/questions", status_code=status.HTTP_202_ACCEPTED, response_model=QuestionAccepted)
    async def submit_question(
        submission: QuestionSubmission,
        principal: Annotated[Principal, Depends(require("submit", "staff"))],
        response: Response,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias=tenancy.IDEMPOTENCY_HEADER,
                pattern=tenancy.IDEMPOTENCY_KEY_PATTERN,
                description="Send a request again with the same key and body: one question, the same answer."
                " The same key with another body is refused (422). Keys are per organisation.",
            ),
        ] = None,
    ) -> QuestionAccepted:
        """Submit a question: a partner system (scope ``submit``) or staff entry (scope ``staff``).

        - Partner key: the question is recorded with channel ``partner`` and referrer = the key's
          organisation; the body's ``channel`` is ignored and overridden.
        - Staff key: for questions taken by phone or at the desk; ``channel`` must be ``phone`` or
          ``walk_in`` (422 otherwise), and there is no referrer. A key with both scopes is staff for
          ``phone``/``walk_in`` and a partner for any other channel.
        - A key limited to a municipality submits for that municipality only (403 otherwise).
        """
        try:
            async with rt.db.acquire() as conn, conn.transaction():
                answer = await tenancy_handlers.submit(
                    conn, intake, principal, submission, idempotency_key, accepted_body
                )
        except tenancy.EntryRefused as exc:
            tenancy_http.refuse(exc)
        except NotServed as exc:
            tenancy_http.not_served(exc)
        except tenancy_handlers.KeyReused:
            tenancy_http.key_reused()
        response.status_code = answer.status_code
        return QuestionAccepted.model_validate(answer.body)

    @router.get("/questions/{question_id}", response_model=QuestionStatusView)
    async def question_status(
        question_id: uuid.UUID, principal: Annotated[Principal, Depends(require(*tenancy_http.READERS))]
    ) -> QuestionStatusView:
        """The status of a question and how it got there (closed loop for referrers).

        ``read-own``: only questions your organisation referred; ``staff``: any question of the
        key's municipality. Any other question is answered as unknown (404).
        """
        if not await tenancy_http.readable(rt, principal, question_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
        async with rt.db.acquire() as conn:
            row = await store.question_view(conn, question_id)
            if row is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
            rows = await store.history(conn, question_id)
        return QuestionStatusView(
            question_id=str(row["question_id"]),
            reference=format_reference(row["reference"]),
            status=row["status"],
            municipality=row["municipality"],
            life_domains=row["life_domains"],
            received_at=row["received_at"],
            updated_at=row["updated_at"],
            history=[
                HistoryEntry(status=h["status"], reason=h["reason"], reason_code=h["reason_code"], at=h["at"])
                for h in rows
            ],
        )

    return router


def internal_router(rt: Runtime, intake: Intake) -> APIRouter:
    """Calls from other services only (notifications needs an address), guarded by the internal token.

    Each read of personal data states its purpose (``X-Purpose``) and caller (``X-Caller``) and is
    written to the audit log before the answer leaves.
    """
    token = rt.settings.internal_token.get_secret_value()
    router = APIRouter(prefix="/internal/v1", tags=["internal"], dependencies=[Depends(internal_auth(token))])

    @router.get("/questions/{question_id}/contact", response_model=ContactView)
    async def question_contact(
        question_id: uuid.UUID,
        x_purpose: Annotated[str, Header(pattern=audit.WORD_PATTERN, description="why, e.g. notification")],
        x_caller: Annotated[str, Header(pattern=audit.WORD_PATTERN, description="calling service")] = "unknown",
    ) -> ContactView:
        async with rt.db.acquire() as conn, conn.transaction():
            found = await privacy.read_contact(conn, intake.vault, question_id, caller=x_caller, purpose=x_purpose)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
        return ContactView(
            question_id=str(question_id),
            resident_ref=found.resident_ref,
            name=found.contact.name,
            email=found.contact.email,
            phone=found.contact.phone,
            share_with_supporter=found.share_with_supporter,
            preferred_channel=found.preferred_channel,
            status=found.status,
            reference=format_reference(found.reference) if found.reference else None,
        )

    return router
