"""PostgreSQL access for reporting: the event store, applying projection changes, and report queries."""

from __future__ import annotations

import json
from dataclasses import astuple, dataclass, fields
from typing import Any

import asyncpg

from contracts.envelope import CloudEvent
from services.kit.db import Conn
from services.reporting import domain
from services.reporting.domain import Change, QuestionChange, QuestionFact, SignalFact

_QUESTION_COLUMNS = tuple(f.name for f in fields(QuestionFact))
_SIGNAL_COLUMNS = tuple(f.name for f in fields(SignalFact))


async def append_event(conn: Conn, event: CloudEvent, topic: str) -> bool:
    """Keep ``event`` in the event store; return False when it was stored before."""
    stored = await conn.fetchval(
        "INSERT INTO events (event_id, topic, type, subject, municipality, time, data)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) ON CONFLICT (event_id) DO NOTHING RETURNING true",
        event.id,
        topic,
        event.type,
        event.subject,
        event.municipality or event.data.get("municipality"),
        event.time,
        json.dumps(event.data, ensure_ascii=False),
    )
    return bool(stored)


async def apply(conn: Conn, change: Change) -> None:
    if isinstance(change, QuestionChange):
        await apply_question(conn, change)
    else:
        await insert_signal(conn, change)


async def apply_question(conn: Conn, change: QuestionChange) -> QuestionFact:
    """Merge ``change`` into the question's fact under a row lock, creating the fact when new.

    The insert either creates the row from the change alone or, on conflict, locks the existing row
    (a no-op update) and returns it; the domain's merge then decides the new values. The merge is
    idempotent, so a freshly inserted row needs no second write.
    """
    fresh = domain.merge_question(None, change)
    placeholders = ", ".join(f"${i}" for i in range(1, len(_QUESTION_COLUMNS) + 2))
    row = await conn.fetchrow(
        f"INSERT INTO question_facts ({', '.join(_QUESTION_COLUMNS)}, status) VALUES ({placeholders})"
        " ON CONFLICT (question_id) DO UPDATE SET question_id = EXCLUDED.question_id"
        f" RETURNING {', '.join(_QUESTION_COLUMNS)}",
        *_question_values(fresh),
        fresh.status,
    )
    assert row is not None
    current = question_from_row(row)
    merged = domain.merge_question(current, change)
    if merged != current:
        assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(_QUESTION_COLUMNS[1:], start=2))
        await conn.execute(
            f"UPDATE question_facts SET {assignments}, status = ${len(_QUESTION_COLUMNS) + 1} WHERE question_id = $1",
            *_question_values(merged),
            merged.status,
        )
    return merged


async def insert_signal(conn: Conn, fact: SignalFact) -> None:
    """Signals are facts raised once; a repeat of the same signal id changes nothing."""
    placeholders = ", ".join(f"${i}" for i in range(1, len(_SIGNAL_COLUMNS) + 1))
    await conn.execute(
        f"INSERT INTO signal_facts ({', '.join(_SIGNAL_COLUMNS)}) VALUES ({placeholders})"
        " ON CONFLICT (signal_id) DO NOTHING",
        *astuple(fact),
    )


def _question_values(fact: QuestionFact) -> list[Any]:
    values = [getattr(fact, name) for name in _QUESTION_COLUMNS]
    domains_at = _QUESTION_COLUMNS.index("life_domains")
    if values[domains_at] is not None:
        values[domains_at] = list(values[domains_at])
    return values


def question_from_row(row: asyncpg.Record) -> QuestionFact:
    data = dict(row)
    if data["life_domains"] is not None:
        data["life_domains"] = tuple(data["life_domains"])
    return QuestionFact(**{name: data[name] for name in _QUESTION_COLUMNS})


async def question_fact(conn: Conn, question_id: str) -> QuestionFact | None:
    row = await conn.fetchrow(
        f"SELECT {', '.join(_QUESTION_COLUMNS)} FROM question_facts WHERE question_id = $1", question_id
    )
    return question_from_row(row) if row else None


# --- reports ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewFigures:
    total: int
    by_life_domain: dict[str, int]
    assigned: int
    waiting: int
    consultation: int
    signals: int
    median_minutes_received_to_assigned: float | None


_QUESTION_FIGURES = """
SELECT count(*) AS total,
       count(*) FILTER (WHERE status = 'assigned') AS assigned,
       count(*) FILTER (WHERE status = 'waiting') AS waiting,
       count(*) FILTER (WHERE status = 'consultation') AS consultation,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM assigned_at - received_at) / 60)
           FILTER (WHERE assigned_at IS NOT NULL AND received_at IS NOT NULL) AS median_minutes
  FROM question_facts
 WHERE $1::text IS NULL OR municipality = $1
"""

_BY_LIFE_DOMAIN = """
SELECT domain, count(*) AS n
  FROM question_facts, unnest(life_domains) AS domain
 WHERE $1::text IS NULL OR municipality = $1
 GROUP BY domain
"""

_SIGNALS = "SELECT count(*) FROM signal_facts WHERE $1::text IS NULL OR municipality = $1"


async def overview(pool: asyncpg.Pool, municipality: str | None) -> OverviewFigures:
    """Figures for one municipality, or the whole region when ``municipality`` is None.

    The three queries share one read-only snapshot, so the figures agree with each other.
    """
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        questions = await conn.fetchrow(_QUESTION_FIGURES, municipality)
        domains = await conn.fetch(_BY_LIFE_DOMAIN, municipality)
        signals = await conn.fetchval(_SIGNALS, municipality)
    assert questions is not None
    median = questions["median_minutes"]
    return OverviewFigures(
        total=questions["total"],
        by_life_domain={row["domain"]: row["n"] for row in domains},
        assigned=questions["assigned"],
        waiting=questions["waiting"],
        consultation=questions["consultation"],
        signals=signals,
        median_minutes_received_to_assigned=float(median) if median is not None else None,
    )
