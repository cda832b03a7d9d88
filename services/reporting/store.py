"""PostgreSQL access for reporting: the event store, and applying projection changes to the read models.

Every read model row is a fact from :mod:`services.reporting.domain`; its columns are the fact's
fields plus what the fact derives (a status). A change is applied by locking the row (creating it
when new), merging in Python with the domain's rule, and writing back only what changed. The report
queries live in :mod:`services.reporting.report`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, Generic, TypeVar, cast

import asyncpg

from contracts.envelope import CloudEvent
from services.kit.db import Conn
from services.reporting import domain
from services.reporting.domain import (
    AssignmentFact,
    Change,
    ExperienceFact,
    MeetingFact,
    ParticipantFact,
    QuestionChange,
    QuestionFact,
    SignalFact,
    SupporterFact,
)

F = TypeVar("F")
C = TypeVar("C")

#: Columns held as PostgreSQL arrays (tuples in the facts).
_ARRAY_COLUMNS = frozenset({"life_domains", "municipalities"})


@dataclass(frozen=True)
class Projection(Generic[F, C]):
    """One read model: its table, the fact type of its rows and the domain's merge rule."""

    table: str
    fact_type: type[F]
    merge: Callable[[F | None, C], F]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self.fact_type))  # type: ignore[arg-type]

    @property
    def key(self) -> str:
        return self.columns[0]


QUESTIONS = Projection("question_facts", QuestionFact, domain.merge_question)
ASSIGNMENTS = Projection("assignment_facts", AssignmentFact, domain.merge_assignment)
SUPPORTERS = Projection("supporter_facts", SupporterFact, domain.merge_supporter)
SIGNALS = Projection("signal_facts", SignalFact, domain.merge_signal)
EXPERIENCES = Projection("experience_facts", ExperienceFact, domain.merge_experience)
MEETINGS = Projection("meeting_facts", MeetingFact, domain.merge_meeting)

#: Every read model, in the order a rebuild empties them.
PROJECTIONS: tuple[Projection[Any, Any], ...] = (QUESTIONS, ASSIGNMENTS, SUPPORTERS, SIGNALS, EXPERIENCES, MEETINGS)

_BY_CHANGE: dict[type, Projection[Any, Any]] = {
    QuestionChange: QUESTIONS,
    AssignmentFact: ASSIGNMENTS,
    SupporterFact: SUPPORTERS,
    SignalFact: SIGNALS,
    ExperienceFact: EXPERIENCES,
    MeetingFact: MEETINGS,
}


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


async def apply(conn: Conn, change: Change) -> object:
    """Merge one change into its read model; return the fact as it is now."""
    return await merge_into(conn, _BY_CHANGE[type(change)], change)


async def apply_question(conn: Conn, change: QuestionChange) -> QuestionFact:
    fact = await merge_into(conn, QUESTIONS, change)
    assert isinstance(fact, QuestionFact)
    return fact


async def merge_into(conn: Conn, projection: Projection[F, C], change: C) -> F:
    """Merge ``change`` into its row under a row lock, creating the row when new.

    The insert either creates the row from the change alone or, on conflict, locks the existing row
    (a no-op update) and returns it; the domain's merge then decides the new values. The merge is
    idempotent, so a freshly inserted row needs no second write.
    """
    fresh = projection.merge(None, change)
    values = row_values(fresh)
    names = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
    row = await conn.fetchrow(
        f"INSERT INTO {projection.table} ({', '.join(names)}) VALUES ({placeholders})"
        f" ON CONFLICT ({projection.key}) DO UPDATE SET {projection.key} = EXCLUDED.{projection.key}"
        f" RETURNING {', '.join(projection.columns)}",
        *values.values(),
    )
    assert row is not None
    current = fact_from_row(projection, row)
    merged = projection.merge(current, change)
    if merged != current:
        new_values = row_values(merged)
        updated = [name for name in new_values if name != projection.key]
        assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(updated, start=2))
        await conn.execute(
            f"UPDATE {projection.table} SET {assignments} WHERE {projection.key} = $1",
            new_values[projection.key],
            *(new_values[name] for name in updated),
        )
    return merged


def row_values(fact: Any) -> dict[str, Any]:
    """The fact as column values: tuples become arrays, participants JSON, plus derived columns."""
    values: dict[str, Any] = {}
    for f in fields(fact):
        value = getattr(fact, f.name)
        if f.name == "participants":
            value = json.dumps([asdict(p) for p in value])
        elif isinstance(value, tuple):
            value = list(value)
        values[f.name] = value
    return values | fact.derived()


def fact_from_row(projection: Projection[F, Any], row: asyncpg.Record) -> F:
    data = {name: row[name] for name in projection.columns}
    for name in _ARRAY_COLUMNS & data.keys():
        if data[name] is not None:
            data[name] = tuple(data[name])
    if "participants" in data:
        data["participants"] = participants_from_json(data["participants"])
    return projection.fact_type(**data)


def participants_from_json(raw: str | Sequence[Any]) -> tuple[ParticipantFact, ...]:
    items = cast(Sequence[dict[str, Any]], json.loads(raw) if isinstance(raw, str) else raw)
    return tuple(ParticipantFact(**(item | {"life_domains": tuple(item["life_domains"])})) for item in items)


async def question_fact(conn: Conn, question_id: str) -> QuestionFact | None:
    return await fact(conn, QUESTIONS, question_id)


async def fact(conn: Conn, projection: Projection[F, Any], key: str) -> F | None:
    row = await conn.fetchrow(
        f"SELECT {', '.join(projection.columns)} FROM {projection.table} WHERE {projection.key} = $1", key
    )
    return fact_from_row(projection, row) if row else None


async def truncate_projections(conn: Conn) -> None:
    """Empty every read model (the event store stays): the start of a rebuild."""
    await conn.execute(f"TRUNCATE {', '.join(p.table for p in PROJECTIONS)}")


async def dump_projections(conn: Conn) -> dict[str, list[dict[str, Any]]]:
    """Every read model's rows, in key order: to compare a rebuild with the incremental state."""
    dumps = {}
    for projection in PROJECTIONS:
        rows = await conn.fetch(f"SELECT * FROM {projection.table} ORDER BY {projection.key}")
        dumps[projection.table] = [dict(row) for row in rows]
    return dumps
