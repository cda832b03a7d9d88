"""Questions as matching received them, the residents' earlier supporters, and where a question stands."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from services.kit.db import Conn


async def insert_question(conn: Conn, question_id: str, municipality: str, payload: dict[str, Any]) -> None:
    """Keep the QuestionReceived payload so the question can be matched again (decline, consultation)."""
    await conn.execute(
        "INSERT INTO questions (question_id, municipality, resident_ref, question, received_at)"
        " VALUES ($1, $2, $3, $4::jsonb, $5::timestamptz) ON CONFLICT (question_id) DO NOTHING",
        question_id,
        municipality,
        payload.get("resident_ref"),
        json.dumps(payload),
        datetime.fromisoformat(payload["received_at"]),
    )


async def references_of(conn: Conn, question_ids: Sequence[str]) -> dict[str, str]:
    """The short references intake gave these questions (``QuestionReceived.reference``), where known."""
    rows = await conn.fetch(
        "SELECT question_id, question->>'reference' AS reference FROM questions"
        " WHERE question_id = ANY($1::text[]) AND question ? 'reference'",
        list(question_ids),
    )
    return {r["question_id"]: r["reference"] for r in rows if r["reference"]}


async def previous_supporters(conn: Conn, resident_ref: str, question_id: str) -> list[str]:
    """Who supported this resident on earlier questions (accepted or ended, not declined), latest first."""
    rows = await conn.fetch(
        "SELECT a.supporter_id, max(a.assigned_at) AS last FROM assignments a"
        " JOIN questions q ON q.question_id = a.question_id"
        " WHERE q.resident_ref = $1 AND a.question_id <> $2 AND (a.status = 'ended' OR a.accepted_at IS NOT NULL)"
        " GROUP BY a.supporter_id ORDER BY last DESC LIMIT 5",
        resident_ref,
        question_id,
    )
    return [r["supporter_id"] for r in rows]


async def previous_supporters_of(conn: Conn, question_ids: Sequence[str]) -> dict[str, list[str]]:
    """:func:`previous_supporters` for many questions in one query (questions without any are left out)."""
    rows = await conn.fetch(
        "SELECT w.question_id, array_agg(DISTINCT a.supporter_id) AS supporters FROM questions w"
        " JOIN questions q ON q.resident_ref = w.resident_ref AND q.question_id <> w.question_id"
        " JOIN assignments a ON a.question_id = q.question_id AND (a.status = 'ended' OR a.accepted_at IS NOT NULL)"
        " WHERE w.question_id = ANY($1::text[]) GROUP BY w.question_id",
        list(question_ids),
    )
    return {r["question_id"]: list(r["supporters"]) for r in rows}


async def forget_resident(conn: Conn, resident_ref: str) -> int:
    """Erasure: drop the link from the resident to their questions (continuity is lost with it)."""
    result: str = await conn.execute(
        "UPDATE questions SET resident_ref = NULL, question = question - 'resident_ref' WHERE resident_ref = $1",
        resident_ref,
    )
    return int(result.rsplit(" ", 1)[-1])


async def get_question(conn: Conn, question_id: str) -> dict[str, Any] | None:
    raw = await conn.fetchval("SELECT question FROM questions WHERE question_id = $1", question_id)
    return json.loads(raw) if raw is not None else None


async def question_municipality(conn: Conn, question_id: str) -> str | None:
    """The municipality of a question matching knows (as received, else of its last assignment), or None."""
    place: str | None = await conn.fetchval(
        "SELECT coalesce((SELECT municipality FROM questions WHERE question_id = $1),"
        " (SELECT municipality FROM assignments WHERE question_id = $1 ORDER BY assigned_at DESC LIMIT 1))",
        question_id,
    )
    return place


async def question_outcome(conn: Conn, question_id: str) -> str | None:
    """Where the question stands now (``withdrawn`` or ``closed`` once it ended in intake; else
    ``assigned``, ``accepted``, ``waiting``, ``consultation``, or the status of its last closed
    assignment), or None when matching never decided on it."""
    outcome: str | None = await conn.fetchval(
        "SELECT status FROM (SELECT ended AS status, 0 AS rank, ended_at AS at FROM question_ends"
        "   WHERE question_id = $1"
        " UNION ALL SELECT status, 1 AS rank, assigned_at AS at FROM assignments"
        "   WHERE question_id = $1 AND status IN ('assigned', 'accepted')"
        " UNION ALL SELECT 'waiting', 2, since FROM waiting WHERE question_id = $1"
        " UNION ALL SELECT 'consultation', 3, required_at FROM consultations WHERE question_id = $1"
        " UNION ALL SELECT status, 4, assigned_at FROM assignments WHERE question_id = $1) o"
        " ORDER BY rank, at DESC LIMIT 1",
        question_id,
    )
    return outcome
