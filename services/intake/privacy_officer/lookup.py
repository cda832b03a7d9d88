"""Finding a resident's ``resident_ref`` from what they tell the privacy officer: an e-mail address or
a phone number ("delete my data, I am a.devries@example.nl").

The look-up goes through the blind indexes intake already keeps (HMAC of the normalised identifier,
services/intake/domain.py), so it matches exactly or not at all: no partial match, no pattern, no
listing. The identifiers come in a POST body, never in a URL, and are neither logged nor stored;
the audit log records that a look-up was made, by whom and why, and which resident it found.

One identifier usually leads to one resident, but not always: a person who changed their phone
number between two questions is two residents (intake never merges on a conflicting identifier),
and two people may share an address. The answer gives every resident recorded under exactly the
identifiers given — with both given, only those whose stored identifiers agree with both, by the
same rule that recognises a returning resident — and for each only what tells them apart (what
matched, how many questions, where, when), never a name or another contact detail. At most
:data:`MAX_MATCHES`; the officer then exports or erases by ref.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal

import asyncpg
from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from contracts.text import CleanText
from services.intake import audit
from services.intake.audit import ActorKind
from services.intake.domain import Candidate, Identifiers, compatible
from services.kit.access import Principal
from services.kit.db import Conn

MAX_MATCHES: Final = 10

#: The data subject's right the request is about (AVG art. 15–21); it is the audit log's purpose.
Right = Literal["access", "rectification", "erasure", "restriction", "portability", "objection"]


class LookupRequest(CleanText):
    """``POST /api/v1/residents/lookup``: an e-mail address and/or a phone number, and why."""

    model_config = ConfigDict(extra="forbid")

    email: EmailStr | None = Field(default=None, description="exactly as the resident gave it (case does not matter)")
    phone: Annotated[str | None, Field(pattern=r"^\+?[0-9 ()\-]{6,20}$")] = Field(
        default=None, description="any usual notation: 06-12345678, +31 6 1234 5678"
    )
    purpose: Right = Field(description="the right the resident invokes: access (art. 15), erasure (art. 17), …")

    @model_validator(mode="after")
    def _one_identifier(self) -> LookupRequest:
        if self.email is None and self.phone is None:
            raise ValueError("give an email or a phone number (or both)")
        return self


class LookupMatch(BaseModel):
    """A resident found: their ref and what tells them apart from another match (nothing personal)."""

    resident_ref: str
    matched_on: list[Literal["email", "phone"]]
    questions: int
    open_questions: int
    municipalities: list[str]
    first_question_at: datetime | None
    last_change_at: datetime


class LookupAnswer(BaseModel):
    matches: list[LookupMatch]
    #: True when more residents matched than are shown (:data:`MAX_MATCHES`): refine with both identifiers.
    more: bool = False


def _matched_on(ids: Identifiers, row: asyncpg.Record) -> list[Literal["email", "phone"]]:
    matched: list[Literal["email", "phone"]] = []
    if ids.email is not None and row["email_index"] == ids.email:
        matched.append("email")
    if ids.phone is not None and row["phone_index"] == ids.phone:
        matched.append("phone")
    return matched


async def find(
    conn: Conn, index_key: bytes, request: LookupRequest, principal: Principal, *, actor: str, actor_kind: ActorKind
) -> LookupAnswer:
    """The residents recorded under the identifiers (in the key's municipality), each look-up audited."""
    ids = Identifiers.of(index_key, request.email, request.phone)
    rows = await conn.fetch(
        "SELECT r.resident_ref, r.email_index, r.phone_index, r.updated_at,"
        " count(q.question_id) AS questions,"
        " count(q.question_id) FILTER (WHERE q.status NOT IN ('closed', 'withdrawn')) AS open_questions,"
        " coalesce(array_agg(DISTINCT q.municipality) FILTER (WHERE q.municipality IS NOT NULL), '{}')"
        "  AS municipalities,"
        " min(q.received_at) AS first_question_at, greatest(r.updated_at, max(q.updated_at)) AS last_change_at"
        " FROM residents r LEFT JOIN questions q USING (resident_ref)"
        " WHERE r.email_index = $1 OR r.phone_index = $2"
        " GROUP BY r.resident_ref"
        " HAVING $3::text IS NULL OR $3 = ANY(array_agg(q.municipality))"
        " ORDER BY last_change_at DESC, r.resident_ref",
        ids.email,
        ids.phone,
        principal.municipality,
    )
    found = [r for r in rows if compatible(ids, Candidate(str(r["resident_ref"]), r["email_index"], r["phone_index"]))]
    matches = [
        LookupMatch(
            resident_ref=str(r["resident_ref"]),
            matched_on=_matched_on(ids, r),
            questions=r["questions"],
            open_questions=r["open_questions"],
            municipalities=sorted(r["municipalities"]),
            first_question_at=r["first_question_at"],
            last_change_at=r["last_change_at"],
        )
        for r in found[:MAX_MATCHES]
    ]
    for match in matches:
        await audit.record(
            conn,
            actor=actor,
            actor_kind=actor_kind,
            action="resident.lookup",
            purpose=request.purpose,
            resident_ref=match.resident_ref,
        )
    if not matches:  # that a look-up was made is recorded too, about no one
        await audit.record(
            conn,
            actor=actor,
            actor_kind=actor_kind,
            action="resident.lookup",
            purpose=request.purpose,
            municipalities=[principal.municipality] if principal.municipality else [],
        )
    return LookupAnswer(matches=matches, more=len(found) > MAX_MATCHES)
