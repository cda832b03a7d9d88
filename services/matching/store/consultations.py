"""The joint-consultation queue: questions no supporter fits, with the candidates at the time."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from contracts.events import CandidateVerdict, Reason
from services.kit.db import Conn


async def insert_consultation(
    conn: Conn, question_id: str, reason: Reason, candidates: list[CandidateVerdict], required_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO consultations (question_id, reason, candidates, required_at)"
        " VALUES ($1, $2::jsonb, $3::jsonb, $4)",
        question_id,
        json.dumps(reason.model_dump()),
        json.dumps([c.model_dump() for c in candidates]),
        required_at,
    )


@dataclass(frozen=True)
class ConsultationRow:
    question_id: str
    municipality: str | None
    question: dict[str, Any] | None
    reason: Reason
    candidates: list[CandidateVerdict]
    required_at: datetime


def _consultation(row: asyncpg.Record) -> ConsultationRow:
    return ConsultationRow(
        question_id=row["question_id"],
        municipality=row["municipality"],
        question=json.loads(row["question"]) if row["question"] is not None else None,
        reason=Reason.model_validate(json.loads(row["reason"])),
        candidates=[CandidateVerdict.model_validate(c) for c in json.loads(row["candidates"])],
        required_at=row["required_at"],
    )


_CONSULTATION_SELECT = (
    "SELECT c.question_id, q.municipality, q.question, c.reason, c.candidates, c.required_at"
    " FROM consultations c LEFT JOIN questions q ON q.question_id = c.question_id"
)


async def list_consultations(conn: Conn, municipality: str | None = None, limit: int = 500) -> list[ConsultationRow]:
    """The joint-consultation queue, oldest first, optionally of one municipality."""
    rows = await conn.fetch(
        f"{_CONSULTATION_SELECT} WHERE $1::text IS NULL OR q.municipality = $1 ORDER BY c.required_at, c.question_id"
        " LIMIT $2",
        municipality,
        limit,
    )
    return [_consultation(r) for r in rows]


async def get_consultation(conn: Conn, question_id: str, *, for_update: bool = False) -> ConsultationRow | None:
    lock = " FOR UPDATE OF c" if for_update else ""
    row = await conn.fetchrow(f"{_CONSULTATION_SELECT} WHERE c.question_id = $1{lock}", question_id)
    return _consultation(row) if row else None


async def delete_consultation(conn: Conn, question_id: str) -> bool:
    deleted = await conn.fetchval("DELETE FROM consultations WHERE question_id = $1 RETURNING 1", question_id)
    return deleted is not None
