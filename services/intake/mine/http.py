"""``/internal/v1``: a new private link to a resident's page, for the message notifications is about to send."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel

from services.intake.mine.handlers import Mine
from services.kit.http import internal_auth
from services.kit.runtime import Runtime

NOT_FOUND = "Deze vraag is niet bekend. / This question is not known."


class StatusLink(BaseModel):
    """A capability: put it into the one message, never log or store it."""

    url: str
    reference: str


def internal_router(rt: Runtime, mine: Mine) -> APIRouter:
    token = rt.settings.internal_token.get_secret_value()
    router = APIRouter(prefix="/internal/v1", tags=["internal"], dependencies=[Depends(internal_auth(token))])

    @router.post("/questions/{question_id}/status-link", response_model=StatusLink)
    async def status_link(question_id: uuid.UUID) -> StatusLink:
        """A new link to the question's page (earlier ones keep working) and its reference; 404 when the
        question is unknown or its resident erased. Called right before a message to the resident goes out."""
        async with rt.db.acquire() as conn, conn.transaction():
            link = await mine.issue(conn, question_id)
        if link is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
        return StatusLink(url=link.url, reference=link.reference)

    return router
