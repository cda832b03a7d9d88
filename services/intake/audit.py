"""The audit log: who read or erased a resident's personal data, when and why (AVG accountability).

Every endpoint that returns personal data calls :func:`record` in the same connection before it
answers. The resident is logged by a one-way digest of their ``resident_ref``
(:func:`services.kit.crypto.digest`), so the log itself names no one, survives the resident's
erasure, and still answers a privacy officer who asks about a ref they know.

Each row also keeps the municipalities of the resident's (or the question's) questions when it was
written: a privacy officer whose key is limited to a municipality reads only the rows of residents
with a question there (:func:`entries`), also after the resident was erased.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

import asyncpg

from services.kit.access import Principal
from services.kit.crypto import digest
from services.kit.db import Conn

ActorKind = Literal["api_key", "internal", "staff", "supporter", "coordinator"]
DIGEST_KIND: Final = "resident-ref"
#: Purposes and callers are short machine words, e.g. ``notification``.
WORD_PATTERN: Final = r"^[a-z][a-z0-9_.-]{0,49}$"


def ref_digest(resident_ref: str) -> str:
    return digest(DIGEST_KIND, resident_ref)


def actor_of(principal: Principal) -> tuple[str, ActorKind]:
    """How an API key appears in the log: ``organisation/key id``, as staff when it has that scope."""
    return f"{principal.organisation}/{principal.key_id}", "staff" if principal.has("staff") else "api_key"


async def record(
    conn: Conn | asyncpg.Pool,
    *,
    actor: str,
    actor_kind: ActorKind,
    action: str,
    purpose: str,
    resident_ref: str | None = None,
    question_id: str | uuid.UUID | None = None,
    municipalities: Sequence[str] | None = None,
) -> None:
    """Write one audit row (``action`` e.g. ``contact.read``; ``purpose`` e.g. ``notification``).

    ``municipalities`` defaults to those of the resident's questions and the question's own; give
    them when they can no longer be read (an erasure) or when the row is about no one.
    """
    await conn.execute(
        "INSERT INTO audit_log (actor, actor_kind, action, resident_ref, question_id, purpose, municipalities)"
        " VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7::text[], ARRAY("
        "  SELECT municipality FROM questions WHERE resident_ref = $8"
        "  UNION SELECT municipality FROM questions WHERE question_id = $5 ORDER BY 1)))",
        actor,
        actor_kind,
        action,
        ref_digest(resident_ref) if resident_ref else None,
        uuid.UUID(str(question_id)) if question_id else None,
        purpose,
        sorted(set(municipalities)) if municipalities is not None else None,
        _as_uuid(resident_ref),
    )


def _as_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor: str
    actor_kind: ActorKind
    action: str
    resident_digest: str | None
    question_id: str | None
    purpose: str
    municipalities: list[str]


async def entries(
    conn: Conn | asyncpg.Pool, resident_ref: str | None, limit: int = 500, municipality: str | None = None
) -> list[Entry]:
    """The log, newest first; only one resident's rows when ``resident_ref`` is given.

    With ``municipality``: only rows written about that municipality, and every row of a resident
    who has a question there now.
    """
    rows = await conn.fetch(
        "SELECT id, at, actor, actor_kind, action, resident_ref, question_id, purpose, municipalities FROM audit_log"
        " WHERE ($1::text IS NULL OR resident_ref = $1)"
        " AND ($3::text IS NULL OR $3 = ANY(municipalities) OR resident_ref IN"
        "  (SELECT resident_ref_digest(q.resident_ref) FROM questions q"
        "   WHERE q.municipality = $3 AND q.resident_ref IS NOT NULL))"
        " ORDER BY id DESC LIMIT $2",
        ref_digest(resident_ref) if resident_ref else None,
        limit,
        municipality,
    )
    return [
        Entry(
            r["id"],
            r["at"],
            r["actor"],
            r["actor_kind"],
            r["action"],
            r["resident_ref"],
            str(r["question_id"]) if r["question_id"] else None,
            r["purpose"],
            list(r["municipalities"]),
        )
        for r in rows
    ]
