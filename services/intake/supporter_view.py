"""What a supporter may see of the question they support, for matching's supporters' pages ("Mijn vragen").

``GET /internal/v1/questions/{question_id}/for-supporter?supporter_id=…&organisation=…&assignment_id=…``
(internal token only; ``X-Purpose`` says why). Matching owns the
assignments and asks only for a supporter's own open case; intake checks besides that it saw that
assignment, for that organisation, and that it is neither declined nor ended. Then:

- the question's text, opened from its sealed form with the resident's data key
  (:meth:`~services.intake.vault.Vault.open_description`);
- the resident's name, phone and e-mail only when the resident consented to share them with their
  supporter (``consent.share_with_supporter``);
- one row in the audit log per view: the supporter (``<organisation>/<supporter id>``, kind
  ``supporter``), when, which question, which purpose, and whether the contact was shown.

Refusals name a ``code`` in ``detail`` for matching's page: ``unknown`` (404), ``withdrawn`` (409),
``not_supporting`` (409: no such open support, or intake has not seen it yet), ``erased`` (410).
The SQL is here, next to the rule it serves, like the privacy module's.
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Final

import asyncpg
from fastapi import APIRouter, Depends, Header, HTTPException, Query, status
from pydantic import BaseModel

from services.intake import audit
from services.intake.vault import Vault
from services.kit.crypto import DecryptionError
from services.kit.db import Conn
from services.kit.http import internal_auth
from services.kit.runtime import Runtime

log = logging.getLogger(__name__)

IDENTIFIER: Final = r"^[A-Za-z0-9._:\-]{1,100}$"
UNREADABLE: Final = "Deze gegevens zijn niet te openen. / Stored data failed its integrity check."


class SupporterContact(BaseModel):
    name: str
    email: str | None = None
    phone: str | None = None


class QuestionForSupporter(BaseModel):
    """The question as its supporter sees it; ``contact`` only with the resident's consent."""

    question_id: str
    status: str
    description: str
    share_with_supporter: bool
    contact: SupporterContact | None = None


def refused(status_code: int, code: str, message: str) -> HTTPException:
    return HTTPException(status_code, {"code": code, "message": message})


async def _question(conn: Conn, question_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT q.question_id, q.resident_ref, q.status, q.description, q.share_with_supporter,"
        " r.name, r.email, r.phone, r.data_key"
        " FROM questions q LEFT JOIN residents r USING (resident_ref) WHERE q.question_id = $1",
        question_id,
    )


async def _supports(conn: Conn, question_id: uuid.UUID, assignment_id: str, organisation: str) -> bool:
    """Whether intake saw this assignment of the question for this organisation, and it is still open."""
    found = await conn.fetchval(
        "SELECT 1 FROM question_supports WHERE question_id = $1 AND assignment_id = $2 AND organisation = $3"
        " AND declined_at IS NULL AND ended_at IS NULL",
        question_id,
        assignment_id,
        organisation,
    )
    return found is not None


async def read_for_supporter(
    conn: Conn,
    vault: Vault,
    question_id: uuid.UUID,
    *,
    supporter_id: str,
    organisation: str,
    assignment_id: str,
    purpose: str,
) -> QuestionForSupporter:
    """The question for its supporter (see the module docstring), audited; raises the refusals."""
    row = await _question(conn, question_id)
    if row is None:
        raise refused(status.HTTP_404_NOT_FOUND, "unknown", "Deze vraag is niet bekend.")
    if row["status"] == "withdrawn":
        raise refused(status.HTTP_409_CONFLICT, "withdrawn", "De inwoner heeft deze vraag ingetrokken.")
    if row["data_key"] is None or row["description"] is None:
        raise refused(status.HTTP_410_GONE, "erased", "De gegevens van deze inwoner zijn gewist.")
    if not await _supports(conn, question_id, assignment_id, organisation):
        raise refused(
            status.HTTP_409_CONFLICT, "not_supporting", "Deze ondersteuning is niet (meer) bekend bij intake."
        )
    ref = str(row["resident_ref"])
    shared = bool(row["share_with_supporter"])
    try:
        key = vault.resident_key(ref, row["data_key"])
        description = vault.open_description(key, str(question_id), row["description"])
        opened = vault.open_contact(key, ref, row["name"], row["email"], row["phone"]) if shared else None
    except DecryptionError as exc:
        log.error("stored question does not open", extra={"question_id": str(question_id), "error": str(exc)})
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, UNREADABLE) from None
    await audit.record(
        conn,
        actor=f"{organisation}/{supporter_id}",
        actor_kind="supporter",
        action="question_and_contact.read" if opened else "question.read",
        purpose=purpose,
        resident_ref=ref,
        question_id=question_id,
    )
    contact = SupporterContact(name=opened.name, email=opened.email, phone=opened.phone) if opened else None
    return QuestionForSupporter(
        question_id=str(question_id),
        status=row["status"],
        description=description,
        share_with_supporter=shared,
        contact=contact,
    )


def router(rt: Runtime, vault: Vault) -> APIRouter:
    token = rt.settings.internal_token.get_secret_value()
    routes = APIRouter(prefix="/internal/v1", tags=["internal"], dependencies=[Depends(internal_auth(token))])

    @routes.get("/questions/{question_id}/for-supporter", response_model=QuestionForSupporter)
    async def question_for_supporter(
        question_id: uuid.UUID,
        supporter_id: Annotated[str, Query(pattern=IDENTIFIER)],
        organisation: Annotated[str, Query(pattern=IDENTIFIER)],
        assignment_id: Annotated[str, Query(pattern=IDENTIFIER)],
        x_purpose: Annotated[str, Header(pattern=audit.WORD_PATTERN, description="why, e.g. supporter_case_view")],
    ) -> QuestionForSupporter:
        """The question's text for its supporter, and the resident's contact when they consented. Audited."""
        async with rt.db.acquire() as conn, conn.transaction():
            return await read_for_supporter(
                conn,
                vault,
                question_id,
                supporter_id=supporter_id,
                organisation=organisation,
                assignment_id=assignment_id,
                purpose=x_purpose,
            )

    return routes
