"""Declines: who declined which question (never offered it again), with the reason."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.kit.db import Conn


async def insert_decline(
    conn: Conn,
    question_id: str,
    supporter_id: str,
    assignment_id: str,
    declined_by: str,
    reason_code: str,
    reason_text: str | None,
    at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO declines (question_id, supporter_id, assignment_id, declined_by, reason_code, reason_text,"
        " declined_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        question_id,
        supporter_id,
        assignment_id,
        declined_by,
        reason_code,
        reason_text,
        at,
    )


async def declined_supporters(conn: Conn, question_ids: Sequence[str]) -> dict[str, frozenset[str]]:
    """Per question, the supporters who declined it (questions nobody declined are left out)."""
    rows = await conn.fetch(
        "SELECT question_id, array_agg(supporter_id) AS supporters FROM declines"
        " WHERE question_id = ANY($1::text[]) GROUP BY question_id",
        list(question_ids),
    )
    return {r["question_id"]: frozenset(r["supporters"]) for r in rows}
