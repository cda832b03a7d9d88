"""The audit log: who read or erased a resident's personal data, when and why (AVG accountability).

Every endpoint that returns personal data calls :func:`record` in the same connection before it
answers. The resident is logged by a one-way digest of their ``resident_ref``
(:func:`services.kit.crypto.digest`), so the log itself names no one, survives the resident's
erasure, and still answers a privacy officer who asks about a ref they know.
"""

from __future__ import annotations

import uuid
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
) -> None:
    """Write one audit row (``action`` e.g. ``contact.read``; ``purpose`` e.g. ``notification``)."""
    await conn.execute(
        "INSERT INTO audit_log (actor, actor_kind, action, resident_ref, question_id, purpose)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        actor,
        actor_kind,
        action,
        ref_digest(resident_ref) if resident_ref else None,
        uuid.UUID(str(question_id)) if question_id else None,
        purpose,
    )


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


async def entries(conn: Conn | asyncpg.Pool, resident_ref: str | None, limit: int = 500) -> list[Entry]:
    """The log, newest first; only one resident's rows when ``resident_ref`` is given."""
    rows = await conn.fetch(
        "SELECT id, at, actor, actor_kind, action, resident_ref, question_id, purpose FROM audit_log"
        " WHERE $1::text IS NULL OR resident_ref = $1 ORDER BY id DESC LIMIT $2",
        ref_digest(resident_ref) if resident_ref else None,
        limit,
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
        )
        for r in rows
    ]
