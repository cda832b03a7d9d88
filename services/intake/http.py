"""Intake's HTTP entry points: the question API, signals and the internal contact lookup."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel

from contracts.codes import LifeDomain
from contracts.events import QuestionSubmission
from services.intake import store
from services.intake.domain import QuestionStatus, SignalSubmission
from services.intake.handlers import Intake
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
    at: datetime


class QuestionStatusView(BaseModel):
    """What a resident or referrer may see of a question: no personal data."""

    question_id: str
    status: QuestionStatus
    municipality: str
    life_domains: list[LifeDomain]
    received_at: datetime
    updated_at: datetime
    history: list[HistoryEntry]


class SignalAccepted(BaseModel):
    signal_id: str


class ContactView(BaseModel):
    question_id: str
    resident_ref: str
    name: str
    email: str | None
    phone: str | None
    share_with_supporter: bool


def status_url(question_id: str) -> str:
    return f"/api/v1/questions/{question_id}"


def routers(rt: Runtime, intake: Intake) -> list[APIRouter]:
    return [public_router(rt, intake), internal_router(rt)]


def public_router(rt: Runtime, intake: Intake) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["questions"])

    @router.post("/questions", status_code=status.HTTP_202_ACCEPTED, response_model=QuestionAccepted)
    async def submit_question(submission: QuestionSubmission) -> QuestionAccepted:
        """Receive a resident's question (web form, staff entry or partner API)."""
        async with rt.db.acquire() as conn, conn.transaction():
            accepted = await intake.submit_question(conn, submission)
        return QuestionAccepted(
            question_id=accepted.question_id, status="received", status_url=status_url(accepted.question_id)
        )

    @router.get("/questions/{question_id}", response_model=QuestionStatusView)
    async def question_status(question_id: uuid.UUID) -> QuestionStatusView:
        """The status of a question and how it got there (closed loop for referrers)."""
        async with rt.db.acquire() as conn:
            row = await store.question_view(conn, question_id)
            if row is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
            rows = await store.history(conn, question_id)
        return QuestionStatusView(
            question_id=str(row["question_id"]),
            status=row["status"],
            municipality=row["municipality"],
            life_domains=row["life_domains"],
            received_at=row["received_at"],
            updated_at=row["updated_at"],
            history=[HistoryEntry(status=h["status"], reason=h["reason"], at=h["at"]) for h in rows],
        )

    @router.post("/signals", status_code=status.HTTP_202_ACCEPTED, response_model=SignalAccepted, tags=["signals"])
    async def raise_signal(body: SignalSubmission) -> SignalAccepted:
        """Signal a systemic problem to the municipality (signaleren)."""
        async with rt.db.acquire() as conn, conn.transaction():
            signal_id = await intake.raise_signal(conn, body)
        return SignalAccepted(signal_id=signal_id)

    return router


def internal_router(rt: Runtime) -> APIRouter:
    """Calls from other services only (notifications needs an address), guarded by the internal token."""
    token = rt.settings.internal_token.get_secret_value()
    router = APIRouter(prefix="/internal/v1", tags=["internal"], dependencies=[Depends(internal_auth(token))])

    @router.get("/questions/{question_id}/contact", response_model=ContactView)
    async def question_contact(question_id: uuid.UUID) -> ContactView:
        row = await store.contact(rt.db, question_id)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
        return ContactView(
            question_id=str(row["question_id"]),
            resident_ref=str(row["resident_ref"]),
            name=row["name"],
            email=row["email"],
            phone=row["phone"],
            share_with_supporter=row["share_with_supporter"],
        )

    return router
