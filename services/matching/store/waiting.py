"""The waiting list: questions someone fits, waiting for a place to free."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.kit.db import Conn


async def insert_waiting(conn: Conn, question_id: str, question: dict[str, Any], since: datetime) -> None:
    await conn.execute(
        "INSERT INTO waiting (question_id, question, since) VALUES ($1, $2::jsonb, $3)",
        question_id,
        json.dumps(question),
        since,
    )


@dataclass(frozen=True)
class WaitingQuestion:
    question_id: str
    question: dict[str, Any]
    since: datetime


async def load_waiting(conn: Conn, municipalities: Iterable[str], limit: int) -> list[WaitingQuestion]:
    """The oldest ``limit`` waiting questions in ``municipalities``, locked for this transaction.

    Rows another transaction holds (an erasure deleting them) are skipped, not waited for: the pass
    itself runs alone (advisory lock), and waiting on rows while holding others could deadlock.
    """
    rows = await conn.fetch(
        "SELECT question_id, question, since FROM waiting WHERE question->>'municipality' = ANY($1::text[])"
        " ORDER BY since, question_id LIMIT $2 FOR UPDATE SKIP LOCKED",
        list(municipalities),
        limit,
    )
    return [WaitingQuestion(r["question_id"], json.loads(r["question"]), r["since"]) for r in rows]


async def delete_waiting(conn: Conn, question_id: str) -> bool:
    deleted = await conn.fetchval("DELETE FROM waiting WHERE question_id = $1 RETURNING 1", question_id)
    return deleted is not None
