"""Privacy by design in intake: audited reads of personal data, erasure, and the audit log API.

Erasure (AVG art. 17): ``DELETE /api/v1/residents/{resident_ref}`` (scope ``privacy-officer``), in
one transaction:
- the resident row goes, and with it the wrapped data key: whatever it sealed is unreadable, in
  this database and in its backups once the master key that wrapped it is rotated out (docs/privacy.md);
- the resident's open questions are withdrawn (reason code ``erased``; the referrer hears it, and every
  service through ``QuestionWithdrawn`` with ``withdrawn_by`` ``erasure``), then
  kept only as pseudonymous facts for the figures (municipality, life domains, status, history):
  description, resident_ref, the partner's own reference, withdrawal notes and Idempotency-Key
  records (a keyed digest of the submitted body) are removed, and so are the private links to the
  resident's own page ("Mijn vraag"), links to the experience form
  and the texts of experiences the resident shared (their scores stay, tied to no one);
- the audit log records the request (by a digest of the ref, like every row);
- ``ResidentErasureRequested`` (ref and question ids) tells every other service to erase what it
  holds, and ``ResidentErased(service="intake")`` says intake is done.
The old ``QuestionReceived`` events still carry the ref, but nothing resolves it to a person any more.

The SQL lives here rather than in ``store.py`` to keep the privacy rules in one place.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel

from contracts.events import PreferredChannel, Reason, ResidentErasureRequested
from services.intake import audit, deadletters, lifecycle, store
from services.intake.audit import ActorKind
from services.intake.closedloop import handlers as closed_loop
from services.intake.domain import TERMINAL, Identifiers, QuestionStatus
from services.intake.experiences import store as experiences
from services.intake.mine.domain import withdrawal_reason
from services.intake.panel import store as panel
from services.intake.privacy_officer import scope
from services.intake.vault import OpenContact, Vault
from services.kit import erasure
from services.kit.access import Principal, require
from services.kit.crypto import DecryptionError
from services.kit.db import Conn
from services.kit.outbox import publish
from services.kit.runtime import Runtime

log = logging.getLogger(__name__)

UNKNOWN_RESIDENT = "Deze inwoner is niet bekend. / This resident is not known."
UNREADABLE = "Deze gegevens zijn niet te openen. / Stored data failed its integrity check (changed or moved)."
#: The history reason of a question withdrawn because its resident was erased (no personal data).
ERASED = Reason(code="erased", text="De vraag is ingetrokken: de gegevens zijn op verzoek verwijderd.")
#: Stands in for the causing event in the history (one erasure per question).
ERASURE_EVENT_ID = "erasure"
SERVICE = "intake"


# --- audited reads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FoundContact:
    resident_ref: str
    contact: OpenContact
    share_with_supporter: bool
    preferred_channel: PreferredChannel | None = None
    status: QuestionStatus | None = None
    reference: str | None = None


async def read_contact(
    conn: Conn, vault: Vault, question_id: uuid.UUID, *, caller: str, purpose: str
) -> FoundContact | None:
    """The contact details behind a question, opened with the resident's data key, and audited.

    None when the question is unknown or its resident was erased (nothing is logged then: nothing
    personal was read). A stored value that does not open (changed or moved) is a 500, never data.
    """
    row = await store.contact(conn, question_id)
    if row is None or row["data_key"] is None:
        return None
    ref = str(row["resident_ref"])
    try:
        key = vault.resident_key(ref, row["data_key"])
        contact = vault.open_contact(key, ref, row["name"], row["email"], row["phone"])
    except DecryptionError as exc:
        log.error("stored contact does not open", extra={"question_id": str(question_id), "error": str(exc)})
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, UNREADABLE) from None
    await audit.record(
        conn,
        actor=caller,
        actor_kind="internal",
        action="contact.read",
        purpose=purpose,
        resident_ref=ref,
        question_id=question_id,
    )
    return FoundContact(
        ref, contact, row["share_with_supporter"], row["preferred_channel"], row["status"], row["reference"]
    )


# --- erasure --------------------------------------------------------------------------------------


async def _lock_resident(conn: Conn, ref: uuid.UUID) -> bool:
    """Lock the resident against a submission of the same person running at the same time.

    Submissions hold the identifiers' advisory locks before they touch the row, so the same order is
    kept here: identifiers first, then the row.
    """
    row = await conn.fetchrow("SELECT email_index, phone_index FROM residents WHERE resident_ref = $1", ref)
    if row is None:
        return False
    await store.lock_identifiers(conn, Identifiers(row["email_index"], row["phone_index"]))
    locked = await conn.fetchval("SELECT 1 FROM residents WHERE resident_ref = $1 FOR UPDATE", ref)
    return bool(locked)


async def _withdraw_open_questions(conn: Conn, source: str, ref: uuid.UUID, at: datetime) -> None:
    """An erased resident can no longer be reached or helped: their open questions are withdrawn.

    The referrer hears it like any other status change (closed loop), before the partner's
    reference is removed.
    """
    rows = await conn.fetch(
        "SELECT question_id, status, municipality FROM questions WHERE resident_ref = $1"
        " ORDER BY question_id FOR UPDATE",
        ref,
    )
    for row in rows:
        previous = row["status"]
        if previous in TERMINAL:
            continue
        question_id = str(row["question_id"])
        if await store.change_status(
            conn, question_id, "withdrawn", ERASED.text, at, ERASURE_EVENT_ID, reason_code=ERASED.code
        ):
            await closed_loop.announce_change(conn, source, question_id, previous, "withdrawn", ERASED, at)
            await lifecycle.announce_withdrawn(
                conn, source, question_id, row["municipality"], "erasure", withdrawal_reason("erased"), previous, at
            )


async def erase_resident(
    conn: Conn,
    source: str,
    resident_ref: str,
    *,
    actor: str,
    actor_kind: ActorKind,
    municipality: str | None = None,
    purpose: str = "erasure",
) -> list[str] | None:
    """Erase a resident (see the module docstring); their question ids, or None when unknown.

    With ``municipality`` (a privacy officer's key limited to one), a resident without a question
    there is unknown too. ``purpose`` is the audit log's (``retention`` for the scheduled erasure).
    """
    try:
        ref = uuid.UUID(resident_ref)
    except ValueError:
        return None
    if not await _lock_resident(conn, ref):
        return None
    if municipality is not None and not await scope.resident_in(conn, ref, municipality):
        return None
    municipalities = await conn.fetchval(
        "SELECT coalesce(array_agg(DISTINCT municipality), '{}') FROM questions WHERE resident_ref = $1", ref
    )
    indexes = await conn.fetchrow("SELECT email_index, phone_index FROM residents WHERE resident_ref = $1", ref)
    identifiers = Identifiers(indexes["email_index"], indexes["phone_index"]) if indexes else Identifiers(None, None)
    now = datetime.now(UTC)
    await _withdraw_open_questions(conn, source, ref, now)
    rows = await conn.fetch(
        "UPDATE questions SET description = NULL, resident_ref = NULL, partner_reference = NULL, erased_at = $2"
        " WHERE resident_ref = $1 RETURNING question_id",
        ref,
        now,
    )
    question_ids = sorted(str(r["question_id"]) for r in rows)
    erased_ids = [r["question_id"] for r in rows]
    # Notes typed when a question was withdrawn are free text about the resident.
    await conn.execute(
        "UPDATE question_history SET note = NULL WHERE question_id = ANY($1::uuid[]) AND note IS NOT NULL", erased_ids
    )
    # A partner's replay record holds a keyed digest of the whole body (name, description): forget it.
    await conn.execute("DELETE FROM idempotency_keys WHERE question_id = ANY($1::uuid[])", erased_ids)
    # The personal links to the experience form stop working; texts of shared experiences go.
    await experiences.forget(conn, erased_ids)
    # The resident leaves the councils' panel ("Ik wil meedenken"), with their invitations.
    await panel.forget(conn, erased_ids)
    # The private links to the resident's own page stop working.
    await conn.execute("DELETE FROM question_links WHERE question_id = ANY($1::uuid[])", erased_ids)
    await conn.execute("DELETE FROM residents WHERE resident_ref = $1", ref)
    # Sealed dead letters of referrals naming this resident can no longer be opened.
    await deadletters.forget(conn, identifiers)
    await audit.record(
        conn,
        actor=actor,
        actor_kind=actor_kind,
        action="resident.erase",
        purpose=purpose,
        resident_ref=str(ref),
        municipalities=municipalities,
    )
    await publish(
        conn, ResidentErasureRequested(resident_ref=str(ref), question_ids=question_ids, requested_at=now), source
    )
    await erasure.confirm(conn, str(ref), SERVICE, source)
    log.info("resident erased", extra={"questions": len(question_ids)})
    return question_ids


# --- HTTP -----------------------------------------------------------------------------------------


class ErasureAccepted(BaseModel):
    resident_ref: str
    status: str = "erasure_requested"


class AuditEntryView(BaseModel):
    id: int
    at: datetime
    actor: str
    actor_kind: ActorKind
    action: str
    resident_digest: str | None
    question_id: str | None
    purpose: str
    municipalities: list[str] = []


class AuditLogView(BaseModel):
    resident_ref: str | None
    entries: list[AuditEntryView]


#: Module level, so the endpoints' annotations resolve (this module uses postponed annotations).
OFFICER = require("privacy-officer")


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["privacy"])

    @api.delete("/residents/{resident_ref}", status_code=status.HTTP_202_ACCEPTED, response_model=ErasureAccepted)
    async def erase(
        resident_ref: Annotated[str, Path(max_length=100)],
        principal: Annotated[Principal, Depends(OFFICER)],
    ) -> ErasureAccepted:
        """Erase a resident's personal data here and, through ResidentErasureRequested, everywhere.

        A key limited to a municipality erases only residents with a question there (else 404).
        """
        actor, kind = audit.actor_of(principal)
        async with rt.db.acquire() as conn, conn.transaction():
            erased = await erase_resident(
                conn, rt.source, resident_ref, actor=actor, actor_kind=kind, municipality=principal.municipality
            )
        if erased is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, UNKNOWN_RESIDENT)
        return ErasureAccepted(resident_ref=resident_ref)

    @api.get("/audit", response_model=AuditLogView)
    async def audit_log(
        principal: Annotated[Principal, Depends(OFFICER)],
        resident_ref: Annotated[str | None, Query(max_length=100)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> AuditLogView:
        """Who read or erased personal data, when and why; one resident's rows when ``resident_ref`` is given.

        A key limited to a municipality reads the rows of residents with a question there only; any
        other ``resident_ref`` is unknown (404).
        """
        if resident_ref is not None and not await scope.may_read_audit(rt.db, principal, resident_ref):
            raise HTTPException(status.HTTP_404_NOT_FOUND, UNKNOWN_RESIDENT)
        found = await audit.entries(rt.db, resident_ref, limit, municipality=principal.municipality)
        return AuditLogView(resident_ref=resident_ref, entries=[AuditEntryView(**vars(e)) for e in found])

    return api


async def resident_exists(conn: Conn | asyncpg.Pool, resident_ref: str) -> bool:
    """Whether intake can still tie ``resident_ref`` to anyone (False after erasure)."""
    try:
        ref = uuid.UUID(resident_ref)
    except ValueError:
        return False
    return bool(await conn.fetchval("SELECT 1 FROM residents WHERE resident_ref = $1", ref))
