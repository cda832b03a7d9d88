"""Everything intake holds about one resident, opened, for their right of access (AVG art. 15).

:func:`gather` reads, in the caller's transaction: the contact details (opened with the resident's
data key), every question with its description, status history (with any withdrawal note),
who supported it (organisation and kind of supporter: intake's own record of matching's events;
supporters' names live in matching), the experience the resident shared and their link to the
experience form, how many sealed dead letters of referrals still name them, and the audit log's
entries about them. The messages notifications sent about their questions are added by the
caller (an internal call, outside the transaction): :mod:`.deliveries`.

Left out on purpose, because they tell nothing about the person or cannot be read by anyone:
Idempotency-Key records (a keyed digest of a submitted body) and the blind indexes (keyed hashes of
their e-mail address and phone number).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import datetime
from typing import Final

import asyncpg
from pydantic import BaseModel

from contracts.references import format_reference
from services.intake import audit
from services.intake.closedloop.http import note_place
from services.intake.domain import Identifiers
from services.intake.privacy_officer.deliveries import SentMessage
from services.intake.vault import Vault
from services.kit.crypto import DataKey, DecryptionError
from services.kit.db import Conn

log = logging.getLogger(__name__)

#: More audit entries than a resident could have in years; bounds one export.
MAX_AUDIT_ENTRIES: Final = 5000


class Unreadable(Exception):
    """A stored value did not open (changed or moved): the export is refused, never partly wrong."""


class ContactDetails(BaseModel):
    name: str | None
    email: str | None
    phone: str | None
    preferred_channel: str | None
    known_since: datetime
    updated_at: datetime


class HistoryItem(BaseModel):
    status: str
    reason: str | None
    reason_code: str | None
    at: datetime
    #: The reason given when the question was withdrawn, in the words of whoever withdrew it.
    note: str | None = None


class SupportItem(BaseModel):
    organisation: str
    supporter_kind: str | None
    assigned_at: datetime | None
    accepted_at: datetime | None
    declined_at: datetime | None
    ended_at: datetime | None


class ExperienceItem(BaseModel):
    shared_at: datetime
    score: int
    knew_where_to_go: str | None
    helped_quickly: str | None
    supporter_on_my_side: str | None
    text: str | None


class InvitationItem(BaseModel):
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None


class QuestionItem(BaseModel):
    question_id: str
    municipality: str
    life_domains: list[str]
    description: str | None
    preferred_supporter_kind: str
    languages: list[str]
    postcode: str
    channel: str
    referrer: str | None
    partner_reference: str | None
    #: The number the resident reads on their mails and page (``K7QM-3XPA``).
    reference: str | None = None
    share_with_supporter: bool
    age_band: str | None
    status: str
    received_at: datetime
    updated_at: datetime
    history: list[HistoryItem]
    supports: list[SupportItem]
    experience: ExperienceItem | None
    experience_invitation: InvitationItem | None


class AuditItem(BaseModel):
    at: datetime
    actor: str
    actor_kind: str
    action: str
    purpose: str
    question_id: str | None


class ResidentExport(BaseModel):
    """``GET /api/v1/residents/{ref}/export``."""

    resident_ref: str
    generated_at: datetime
    contact: ContactDetails
    questions: list[QuestionItem]
    #: Messages sent about the questions (to the resident and to others: a role, never an address);
    #: None when notifications could not answer now (``messages_unavailable`` says so).
    messages: list[SentMessage] | None
    messages_unavailable: str | None = None
    #: Referrals naming this resident that could not be taken, kept sealed for at most 30 days.
    sealed_dead_letters: int
    audit: list[AuditItem]
    #: Years after the last question ended that intake erases the resident (0: no automatic erasure).
    retention_years: int


def _open(key: DataKey | None, vault: Vault, ref: str, row: asyncpg.Record) -> ContactDetails:
    if key is None:  # stored before encryption at rest: the values are as they were given
        name, email, phone = row["name"], row["email"], row["phone"]
    else:
        opened = vault.open_contact(key, ref, row["name"], row["email"], row["phone"])
        name, email, phone = opened.name, opened.email, opened.phone
    return ContactDetails(
        name=name,
        email=email,
        phone=phone,
        preferred_channel=row["preferred_channel"],
        known_since=row["created_at"],
        updated_at=row["updated_at"],
    )


async def gather(
    conn: Conn, vault: Vault, resident_ref: uuid.UUID, now: datetime, retention_years: int
) -> ResidentExport | None:
    """The resident's data, opened (None when unknown or erased); :class:`Unreadable` if a value does not open."""
    ref = str(resident_ref)
    row = await conn.fetchrow(
        "SELECT name, email, phone, data_key, preferred_channel, created_at, updated_at, email_index, phone_index"
        " FROM residents WHERE resident_ref = $1",
        resident_ref,
    )
    if row is None:
        return None
    try:
        key = vault.resident_key(ref, row["data_key"]) if row["data_key"] else None
        contact = _open(key, vault, ref, row)
        questions = await _questions(conn, vault, key, resident_ref)
    except DecryptionError as exc:
        log.error("a stored value of a resident does not open", extra={"error": str(exc)})
        raise Unreadable from None
    ids = Identifiers(row["email_index"], row["phone_index"])
    letters = await conn.fetchval(
        "SELECT count(*) FROM dead_letter_keys WHERE email_index = ANY($1::text[]) OR phone_index = ANY($1::text[])",
        ids.values(),
    )
    entries = await audit.entries(conn, ref, MAX_AUDIT_ENTRIES)
    return ResidentExport(
        resident_ref=ref,
        generated_at=now,
        contact=contact,
        questions=questions,
        messages=None,
        sealed_dead_letters=letters,
        audit=[
            AuditItem(
                at=e.at,
                actor=e.actor,
                actor_kind=e.actor_kind,
                action=e.action,
                purpose=e.purpose,
                question_id=e.question_id,
            )
            for e in entries
        ],
        retention_years=retention_years,
    )


async def _questions(conn: Conn, vault: Vault, key: DataKey | None, ref: uuid.UUID) -> list[QuestionItem]:
    rows = await conn.fetch("SELECT * FROM questions WHERE resident_ref = $1 ORDER BY received_at, question_id", ref)
    ids = [r["question_id"] for r in rows]
    history: dict[uuid.UUID, list[HistoryItem]] = defaultdict(list)
    for h in await conn.fetch(
        "SELECT question_id, status, reason, reason_code, at, note FROM question_history"
        " WHERE question_id = ANY($1::uuid[]) ORDER BY id",
        ids,
    ):
        note = vault.ring.open(h["note"], note_place(h["question_id"])) if h["note"] else None
        history[h["question_id"]].append(
            HistoryItem(status=h["status"], reason=h["reason"], reason_code=h["reason_code"], at=h["at"], note=note)
        )
    supports: dict[uuid.UUID, list[SupportItem]] = defaultdict(list)
    for s in await conn.fetch(
        "SELECT question_id, organisation, supporter_kind, assigned_at, accepted_at, declined_at, ended_at"
        " FROM question_supports WHERE question_id = ANY($1::uuid[]) ORDER BY assigned_at NULLS LAST, assignment_id",
        ids,
    ):
        supports[s["question_id"]].append(SupportItem(**{k: v for k, v in dict(s).items() if k != "question_id"}))
    experiences: dict[uuid.UUID, ExperienceItem] = {}
    for e in await conn.fetch(
        "SELECT l.question_id, e.experience_id, e.shared_at, e.score, e.knew_where_to_go, e.helped_quickly,"
        " e.supporter_on_my_side, e.text FROM question_experiences l JOIN experiences e USING (experience_id)"
        " WHERE l.question_id = ANY($1::uuid[])",
        ids,
    ):
        text = vault.open_text("experiences", "text", str(e["experience_id"]), e["text"]) if e["text"] else None
        experiences[e["question_id"]] = ExperienceItem(
            shared_at=e["shared_at"],
            score=e["score"],
            knew_where_to_go=e["knew_where_to_go"],
            helped_quickly=e["helped_quickly"],
            supporter_on_my_side=e["supporter_on_my_side"],
            text=text,
        )
    invitations = {
        i["question_id"]: InvitationItem(issued_at=i["issued_at"], expires_at=i["expires_at"], used_at=i["used_at"])
        for i in await conn.fetch(
            "SELECT question_id, issued_at, expires_at, used_at FROM experience_invitations"
            " WHERE question_id = ANY($1::uuid[])",
            ids,
        )
    }
    return [
        QuestionItem(
            question_id=str(q["question_id"]),
            municipality=q["municipality"],
            life_domains=list(q["life_domains"]),
            description=_description(vault, key, q),
            preferred_supporter_kind=q["preferred_supporter_kind"],
            languages=list(q["languages"]),
            postcode=q["postcode"],
            channel=q["channel"],
            referrer=q["referrer"],
            partner_reference=q["partner_reference"],
            reference=format_reference(q["reference"]) if q["reference"] else None,
            share_with_supporter=q["share_with_supporter"],
            age_band=q["age_band"],
            status=q["status"],
            received_at=q["received_at"],
            updated_at=q["updated_at"],
            history=history[q["question_id"]],
            supports=supports[q["question_id"]],
            experience=experiences.get(q["question_id"]),
            experience_invitation=invitations.get(q["question_id"]),
        )
        for q in rows
    ]


def _description(vault: Vault, key: DataKey | None, q: asyncpg.Record) -> str | None:
    sealed: str | None = q["description"]
    if sealed is None or key is None:
        return sealed
    return vault.open_description(key, str(q["question_id"]), sealed)
