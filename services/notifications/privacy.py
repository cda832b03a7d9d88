"""What notifications tells intake for a resident's data export (AVG art. 15): the messages sent
about the resident's questions.

``POST /internal/v1/deliveries/by-question`` (internal token only) answers, for at most
:data:`MAX_QUESTIONS` question ids, each delivery's question, recipient role, channel, template,
status and times. No address, message text or error text: the log holds no address, and an error
text of a mail server may quote one. The question ids come in the body, so they stay out of access
logs. The SQL lives here, beside the one use it has, like intake's privacy module.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Final

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from contracts.events import NotificationChannel, RecipientRole
from contracts.text import CleanText
from services.kit.db import Conn
from services.kit.http import internal_auth
from services.kit.runtime import Runtime
from services.notifications.domain import DeliveryStatus

#: A resident has a handful of questions; this bounds one request.
MAX_QUESTIONS: Final = 200
#: And a question a few dozen messages; this bounds one answer.
MAX_DELIVERIES: Final = 5000


class DeliveriesOfQuestions(CleanText):
    model_config = ConfigDict(extra="forbid")

    question_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=MAX_QUESTIONS)]


class SentMessage(BaseModel):
    """One delivery about a question: to whom (the role), how, which message, and what became of it."""

    question_id: str
    recipient_role: RecipientRole
    channel: NotificationChannel
    template: str
    status: DeliveryStatus
    created_at: datetime
    sent_at: datetime | None


class SentMessages(BaseModel):
    deliveries: list[SentMessage]


async def deliveries_of(conn: Conn, question_ids: list[uuid.UUID]) -> list[SentMessage]:
    rows = await conn.fetch(
        "SELECT question_id, recipient_role, channel, template, status, created_at, sent_at FROM deliveries"
        " WHERE question_id = ANY($1::text[]) ORDER BY created_at, delivery_key LIMIT $2",
        sorted({str(q) for q in question_ids}),
        MAX_DELIVERIES,
    )
    return [SentMessage(**dict(r)) for r in rows]


def router(rt: Runtime) -> APIRouter:
    token = rt.settings.internal_token.get_secret_value()
    api = APIRouter(prefix="/internal/v1", tags=["internal"], dependencies=[Depends(internal_auth(token))])

    @api.post("/deliveries/by-question", response_model=SentMessages)
    async def deliveries_by_question(body: DeliveriesOfQuestions) -> SentMessages:
        """The messages sent about these questions, oldest first (for intake's export of a resident's data)."""
        async with rt.db.acquire() as conn:
            return SentMessages(deliveries=await deliveries_of(conn, body.question_ids))

    return api
