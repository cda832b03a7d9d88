"""The internal invitation endpoint: notifications asks intake for a resident's personal link.

``POST /internal/v1/questions/{question_id}/experience-invitation`` with the internal token →
200 ``{"url", "expires_at"}``; 404 unknown question; 409 ``{"detail", "code"}`` when no invitation
can be given (``support_not_ended``, ``resident_erased``, ``already_shared``). Every call issues a
new link; earlier unused ones stop working. The link is personal but not personal data (a random
token), so no audit row is written; the answer names no one.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.intake.experiences.domain import Refusal
from services.intake.experiences.handlers import Participation
from services.kit.http import internal_auth
from services.kit.runtime import Runtime

NOT_FOUND = "Deze vraag is niet bekend. / This question is not known."


class InvitationLink(BaseModel):
    url: str
    expires_at: datetime


class InvitationRefused(BaseModel):
    detail: str
    code: str


def router(rt: Runtime, participation: Participation) -> APIRouter:
    token = rt.settings.internal_token.get_secret_value()
    r = APIRouter(prefix="/internal/v1", tags=["internal"], dependencies=[Depends(internal_auth(token))])

    @r.post(
        "/questions/{question_id}/experience-invitation",
        response_model=InvitationLink,
        responses={404: {"description": "unknown question"}, 409: {"model": InvitationRefused}},
    )
    async def experience_invitation(question_id: uuid.UUID) -> InvitationLink | JSONResponse:
        """A new personal link inviting the resident to share their experience (valid 60 days, single use)."""
        async with rt.db.acquire() as conn, conn.transaction():
            outcome = await participation.invite(conn, question_id)
        if outcome is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
        if isinstance(outcome, Refusal):
            body = InvitationRefused(detail=outcome.message, code=outcome.code)
            return JSONResponse(body.model_dump(), status_code=status.HTTP_409_CONFLICT)
        return InvitationLink(url=outcome.url, expires_at=outcome.expires_at)

    return r
