"""SQL of the partner and staff API: idempotency keys and question listings."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.intake.domain import QuestionStatus
from services.intake.tenancy.domain import ReadScope
from services.kit.db import Conn

#: First key of the advisory lock serialising requests that share an Idempotency-Key.
_IDEMPOTENCY_LOCK_CLASS = 0x1DE4


@dataclass(frozen=True)
class Remembered:
    """The first answer given for an (organisation, Idempotency-Key)."""

    request_digest: str
    status_code: int
    response: dict[str, Any]


async def lock_key(conn: Conn, organisation: str, key: str) -> None:
    """Serialise requests with the same key (until the transaction ends), so only one creates."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))", _IDEMPOTENCY_LOCK_CLASS, f"{organisation}\n{key}"
    )


async def remembered(conn: Conn, organisation: str, key: str) -> Remembered | None:
    row = await conn.fetchrow(
        "SELECT request_digest, status_code, response FROM idempotency_keys"
        " WHERE organisation = $1 AND idempotency_key = $2",
        organisation,
        key,
    )
    if row is None:
        return None
    return Remembered(row["request_digest"], row["status_code"], json.loads(row["response"]))


async def remember(
    conn: Conn,
    organisation: str,
    key: str,
    digest: str,
    question_id: str,
    status_code: int,
    response: dict[str, Any],
) -> None:
    await conn.execute(
        "INSERT INTO idempotency_keys"
        " (organisation, idempotency_key, request_digest, question_id, status_code, response)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
        organisation,
        key,
        digest,
        uuid.UUID(question_id),
        status_code,
        json.dumps(response),
    )


async def owner(conn: Conn | asyncpg.Pool, question_id: uuid.UUID) -> asyncpg.Record | None:
    """The referrer and municipality of a question (what the read rules look at)."""
    return await conn.fetchrow("SELECT referrer, municipality FROM questions WHERE question_id = $1", question_id)


async def list_questions(
    conn: Conn | asyncpg.Pool,
    scope: ReadScope,
    status: QuestionStatus | None,
    since: datetime | None,
    limit: int,
    *,
    reference: str | None = None,
) -> list[asyncpg.Record]:
    """The questions ``scope`` may see, most recently changed first; ``since`` bounds ``updated_at``,
    ``reference`` (normalised) picks one."""
    return await conn.fetch(
        "SELECT question_id, reference, status, municipality, life_domains, channel, referrer, received_at,"
        " updated_at FROM questions"
        " WHERE ($1::text IS NULL OR referrer = $1)"
        "   AND ($2::text IS NULL OR municipality = $2)"
        "   AND ($3::text IS NULL OR status = $3)"
        "   AND ($4::timestamptz IS NULL OR updated_at >= $4)"
        "   AND ($6::text IS NULL OR reference = $6)"
        " ORDER BY updated_at DESC, question_id"
        " LIMIT $5",
        scope.referrer,
        scope.municipality,
        status,
        since,
        limit,
        reference,
    )
