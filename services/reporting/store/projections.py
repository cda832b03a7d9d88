"""The read models: applying projection changes, reading a fact back, emptying and dumping them all.

Every read model row is a fact from :mod:`services.reporting.domain`; its columns are the fact's
fields plus what the fact derives (a status). A change is applied by locking the row (creating it
when new), merging in Python with the domain's rule, and writing back what changed.

Each read model's statements are fixed when its :class:`Projection` is made: its table, and columns
named after the fact's fields. Values are always parameters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from functools import cached_property
from typing import Any, Generic, TypeVar, cast

import asyncpg

from services.kit.db import Conn
from services.reporting import domain
from services.reporting.domain import (
    AdviceFact,
    AssignmentFact,
    Change,
    ExperienceFact,
    MeetingFact,
    ParticipantFact,
    QuestionChange,
    QuestionFact,
    SignalFact,
    SupporterFact,
    WithdrawalFact,
)

F = TypeVar("F")
C = TypeVar("C")

#: Columns held as PostgreSQL arrays (tuples in the facts).
_ARRAY_COLUMNS = frozenset({"life_domains", "municipalities", "themes"})


@dataclass(frozen=True)
class Projection(Generic[F, C]):
    """One read model: its table, the fact type of its rows, the domain's merge rule and the columns the
    fact derives (``fact.derived()``), stored beside its fields so that reports can filter on them."""

    table: str
    fact_type: type[F]
    merge: Callable[[F | None, C], F]
    derived: tuple[str, ...] = ()

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """The fact's fields, in order: what a row reads back as."""
        return tuple(f.name for f in fields(self.fact_type))  # type: ignore[arg-type]

    @property
    def key(self) -> str:
        return self.columns[0]

    @cached_property
    def written(self) -> tuple[str, ...]:
        """Every column a change writes: the fact's fields, then the derived ones."""
        return (*self.columns, *self.derived)

    @cached_property
    def insert_or_lock(self) -> str:
        """Create the row from ``$1…`` (the :attr:`written` values), or lock the existing one; both return it."""
        placeholders = ", ".join(f"${i}" for i in range(1, len(self.written) + 1))
        return (
            f"INSERT INTO {self.table} ({', '.join(self.written)}) VALUES ({placeholders})"
            f" ON CONFLICT ({self.key}) DO UPDATE SET {self.key} = EXCLUDED.{self.key}"
            f" RETURNING {', '.join(self.columns)}"
        )

    @cached_property
    def update(self) -> str:
        """Write every column of the row ``$1`` (the key) from ``$2…`` (the other :attr:`written` values)."""
        assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(self.written[1:], start=2))
        return f"UPDATE {self.table} SET {assignments} WHERE {self.key} = $1"

    @cached_property
    def select(self) -> str:
        """The row whose key is ``$1``."""
        return f"SELECT {', '.join(self.columns)} FROM {self.table} WHERE {self.key} = $1"

    @cached_property
    def select_many(self) -> str:
        """The rows whose keys are in the array ``$1``."""
        return f"SELECT {', '.join(self.columns)} FROM {self.table} WHERE {self.key} = ANY($1)"

    @cached_property
    def delete_many(self) -> str:
        return f"DELETE FROM {self.table} WHERE {self.key} = ANY($1)"

    @cached_property
    def dump(self) -> str:
        """Every row, in key order."""
        return f"SELECT * FROM {self.table} ORDER BY {self.key}"


QUESTIONS = Projection("question_facts", QuestionFact, domain.merge_question, derived=("status",))
ASSIGNMENTS = Projection(
    "assignment_facts",
    AssignmentFact,
    domain.merge_assignment,
    derived=("state", "first_contact_working_days", "first_contact_due_on"),
)
SUPPORTERS = Projection("supporter_facts", SupporterFact, domain.merge_supporter)
SIGNALS = Projection("signal_facts", SignalFact, domain.merge_signal, derived=("status",))
EXPERIENCES = Projection("experience_facts", ExperienceFact, domain.merge_experience)
MEETINGS = Projection("meeting_facts", MeetingFact, domain.merge_meeting)
WITHDRAWALS = Projection("withdrawal_facts", WithdrawalFact, domain.merge_withdrawal)
ADVICES = Projection("advice_facts", AdviceFact, domain.merge_advice)

#: Every read model, in the order a rebuild empties them.
PROJECTIONS: tuple[Projection[Any, Any], ...] = (
    QUESTIONS,
    ASSIGNMENTS,
    SUPPORTERS,
    SIGNALS,
    EXPERIENCES,
    MEETINGS,
    WITHDRAWALS,
    ADVICES,
)

#: Counts kept beside the read models (by triggers, migration 013): emptied with them.
COUNTS = ("question_counts", "question_domain_counts", "question_hour_counts")

_TRUNCATE = f"TRUNCATE {', '.join((*(p.table for p in PROJECTIONS), *COUNTS))}"

_BY_CHANGE: dict[type, Projection[Any, Any]] = {
    QuestionChange: QUESTIONS,
    AssignmentFact: ASSIGNMENTS,
    SupporterFact: SUPPORTERS,
    SignalFact: SIGNALS,
    ExperienceFact: EXPERIENCES,
    MeetingFact: MEETINGS,
    WithdrawalFact: WITHDRAWALS,
    AdviceFact: ADVICES,
}


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
    row = await conn.fetchrow(projection.insert_or_lock, *row_values(projection, fresh))
    assert row is not None
    current = fact_from_row(projection, row)
    merged = projection.merge(current, change)
    if merged != current:
        await conn.execute(projection.update, *row_values(projection, merged))
    return merged


async def apply_many(conn: Conn, changes: Sequence[Change]) -> None:
    """Merge many changes into their read models, as applying them one by one would: every touched row
    is read once, the changes merged into it in memory in their order, and the row written once (its
    old version deleted, the new ones copied in). For bulk work (a rebuild) under a lock that keeps
    concurrent writers out; the live handler uses :func:`apply`."""
    grouped: dict[Projection[Any, Any], dict[Any, list[Any]]] = {}
    for change in changes:
        projection = _BY_CHANGE[type(change)]
        # The row's key: a question change holds a partial fact, every other change is one.
        key = getattr(change.fact if type(change) is QuestionChange else change, projection.key)
        grouped.setdefault(projection, {}).setdefault(key, []).append(change)
    for projection, by_key in grouped.items():
        rows = await conn.fetch(projection.select_many, list(by_key))
        current = {row[projection.key]: fact_from_row(projection, row) for row in rows}
        merged = []
        merge = projection.merge
        for key, pending in by_key.items():
            fact = current.get(key)
            for change in pending:
                fact = merge(fact, change)
            merged.append(tuple(row_values(projection, fact)))
        if current:
            await conn.execute(projection.delete_many, list(current))
        await conn.copy_records_to_table(projection.table, records=merged, columns=list(projection.written))


def row_values(projection: Projection[Any, Any], fact: Any) -> list[Any]:
    """The fact as the values of :attr:`Projection.written`: tuples become arrays, participants JSON."""
    values = [column_value(name, getattr(fact, name)) for name in projection.columns]
    derived = fact.derived()
    return values + [derived[name] for name in projection.derived]


def column_value(name: str, value: Any) -> Any:
    if name == "participants":
        return json.dumps([asdict(p) for p in value])
    if isinstance(value, tuple):
        return list(value)
    return value


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
    row = await conn.fetchrow(projection.select, key)
    return fact_from_row(projection, row) if row else None


async def truncate_projections(conn: Conn) -> None:
    """Empty every read model (the event store stays): the start of a rebuild."""
    await conn.execute(_TRUNCATE)


async def dump_projections(conn: Conn) -> dict[str, list[dict[str, Any]]]:
    """Every read model's rows, in key order: to compare a rebuild with the incremental state."""
    dumps = {}
    for projection in PROJECTIONS:
        rows = await conn.fetch(projection.dump)
        dumps[projection.table] = [dict(row) for row in rows]
    return dumps
