"""What a supporter, or a coordinator of the joint consultation, may see of a question: for matching's
pages ("Mijn vragen" and ``/overleg``). One reading, one audit, two kinds of caller.

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

``GET /internal/v1/questions/{question_id}/for-coordinator?coordinator=…[&municipality=…]`` is the same
reading for a coordinator preparing the conversation of the joint consultation with the resident (to
call them for the appointment, and to choose together): only while intake knows the question is in the
consultation (status ``consultation``), only of the coordinator's municipality when their key has one
(another municipality's question answers ``unknown``, like one that does not exist), and the text and
the contact only with the resident's consent (without it: the reference only, and nothing is read or
audited). Audited with kind ``coordinator`` and the coordinator's ``<organisation>/<key id>``.

Refusals name a ``code`` in ``detail`` for matching's page: ``unknown`` (404), ``withdrawn`` (409),
``not_supporting`` (409: no such open support, or intake has not seen it yet), ``not_in_consultation``
(409), ``erased`` (410). The SQL is here, next to the rule it serves, like the privacy module's.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Final

import asyncpg
from fastapi import APIRouter, Depends, Header, HTTPException, Query, status
from pydantic import BaseModel

from services.intake import audit
from services.intake.mine.domain import format_reference
from services.intake.vault import Vault
from services.kit.crypto import DecryptionError
from services.kit.db import Conn
from services.kit.http import internal_auth
from services.kit.runtime import Runtime

log = logging.getLogger(__name__)

IDENTIFIER: Final = r"^[A-Za-z0-9._:\-]{1,100}$"
#: A coordinator as the audit log names them: ``<organisation>/<key id>``.
ACTOR: Final = r"^[A-Za-z0-9._:\-]{1,100}/[A-Za-z0-9._:\-]{1,100}$"
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


class QuestionForCoordinator(BaseModel):
    """The question as the joint consultation sees it: the reference always; the text and the contact
    only with the resident's consent (``share_with_supporter``)."""

    question_id: str
    reference: str
    status: str
    share_with_supporter: bool
    description: str | None = None
    contact: SupporterContact | None = None


@dataclass(frozen=True)
class Viewer:
    """Who asks to see a question, as the audit log names them, and what must hold for them to see it:
    ``allowed`` answers a refusal, or None."""

    actor: str
    kind: audit.ActorKind
    allowed: Callable[[Conn, asyncpg.Record], Awaitable[HTTPException | None]]


@dataclass(frozen=True)
class Opened:
    """What a viewer was shown: the text, and the contact when the resident consented (else None)."""

    row: asyncpg.Record
    description: str
    contact: SupporterContact | None


def refused(status_code: int, code: str, message: str) -> HTTPException:
    return HTTPException(status_code, {"code": code, "message": message})


async def _question(conn: Conn, question_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT q.question_id, q.resident_ref, q.status, q.description, q.share_with_supporter,"
        " q.municipality, q.reference, r.name, r.email, r.phone, r.data_key"
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


async def read_question(
    conn: Conn, vault: Vault, question_id: uuid.UUID, viewer: Viewer, *, purpose: str, consented_only: bool = False
) -> Opened | None:
    """Open the question for ``viewer``, audited; raises the refusals (see the module docstring).

    With ``consented_only`` nothing is opened (None) unless the resident consented to share.
    """
    row = await _question(conn, question_id)
    if row is None:
        raise refused(status.HTTP_404_NOT_FOUND, "unknown", "Deze vraag is niet bekend.")
    if row["status"] == "withdrawn":
        raise refused(status.HTTP_409_CONFLICT, "withdrawn", "De inwoner heeft deze vraag ingetrokken.")
    if row["data_key"] is None or row["description"] is None:
        raise refused(status.HTTP_410_GONE, "erased", "De gegevens van deze inwoner zijn gewist.")
    refusal = await viewer.allowed(conn, row)
    if refusal is not None:
        raise refusal
    ref = str(row["resident_ref"])
    shared = bool(row["share_with_supporter"])
    if consented_only and not shared:
        return None
    try:
        key = vault.resident_key(ref, row["data_key"])
        description = vault.open_description(key, str(question_id), row["description"])
        opened = vault.open_contact(key, ref, row["name"], row["email"], row["phone"]) if shared else None
    except DecryptionError as exc:
        log.error("stored question does not open", extra={"question_id": str(question_id), "error": str(exc)})
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, UNREADABLE) from None
    await audit.record(
        conn,
        actor=viewer.actor,
        actor_kind=viewer.kind,
        action="question_and_contact.read" if opened else "question.read",
        purpose=purpose,
        resident_ref=ref,
        question_id=question_id,
    )
    contact = SupporterContact(name=opened.name, email=opened.email, phone=opened.phone) if opened else None
    return Opened(row, description, contact)


def supporter_viewer(supporter_id: str, organisation: str, assignment_id: str) -> Viewer:
    """A supporter, who may see the question of their own open support."""

    async def supports(conn: Conn, row: asyncpg.Record) -> HTTPException | None:
        if await _supports(conn, row["question_id"], assignment_id, organisation):
            return None
        return refused(
            status.HTTP_409_CONFLICT, "not_supporting", "Deze ondersteuning is niet (meer) bekend bij intake."
        )

    return Viewer(f"{organisation}/{supporter_id}", "supporter", supports)


def coordinator_viewer(actor: str, municipality: str | None) -> Viewer:
    """A coordinator of the joint consultation (of ``municipality`` only, when their key has one), who
    may see a question while it is in the consultation."""

    async def consulting(conn: Conn, row: asyncpg.Record) -> HTTPException | None:
        if municipality is not None and row["municipality"] != municipality:
            return refused(status.HTTP_404_NOT_FOUND, "unknown", "Deze vraag is niet bekend.")
        if row["status"] != "consultation":
            return refused(
                status.HTTP_409_CONFLICT, "not_in_consultation", "Deze vraag staat niet (meer) in het overleg."
            )
        return None

    return Viewer(actor, "coordinator", consulting)


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
    viewer = supporter_viewer(supporter_id, organisation, assignment_id)
    opened = await read_question(conn, vault, question_id, viewer, purpose=purpose)
    assert opened is not None
    return QuestionForSupporter(
        question_id=str(question_id),
        status=opened.row["status"],
        description=opened.description,
        share_with_supporter=bool(opened.row["share_with_supporter"]),
        contact=opened.contact,
    )


async def read_for_coordinator(
    conn: Conn, vault: Vault, question_id: uuid.UUID, *, actor: str, municipality: str | None, purpose: str
) -> QuestionForCoordinator:
    """The question for a coordinator of the joint consultation (see the module docstring)."""
    viewer = coordinator_viewer(actor, municipality)
    opened = await read_question(conn, vault, question_id, viewer, purpose=purpose, consented_only=True)
    row = opened.row if opened else await _question(conn, question_id)
    assert row is not None
    return QuestionForCoordinator(
        question_id=str(question_id),
        reference=format_reference(row["reference"]),
        status=row["status"],
        share_with_supporter=bool(row["share_with_supporter"]),
        description=opened.description if opened else None,
        contact=opened.contact if opened else None,
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

    @routes.get("/questions/{question_id}/for-coordinator", response_model=QuestionForCoordinator)
    async def question_for_coordinator(
        question_id: uuid.UUID,
        coordinator: Annotated[str, Query(pattern=ACTOR, description="the coordinator's <organisation>/<key id>")],
        x_purpose: Annotated[str, Header(pattern=audit.WORD_PATTERN, description="why, e.g. consultation_appointment")],
        municipality: Annotated[
            str | None, Query(description="the coordinator key's municipality, if it has one")
        ] = None,
    ) -> QuestionForCoordinator:
        """The question in the joint consultation for a coordinator: the reference, and with the resident's
        consent the text and the contact (to call them for the conversation). Audited."""
        if municipality is not None and not rt.region.serves(municipality):
            raise refused(status.HTTP_422_UNPROCESSABLE_ENTITY, "municipality", "Onbekende gemeentecode.")
        async with rt.db.acquire() as conn, conn.transaction():
            return await read_for_coordinator(
                conn, vault, question_id, actor=coordinator, municipality=municipality, purpose=x_purpose
            )

    return routes
