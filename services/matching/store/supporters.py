"""The supporter pool: profiles as stored, and the rows the matching decisions load.

``active_cases`` is matching's own count; only :mod:`.capacity` moves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from services.kit.db import Conn
from services.matching.domain.model import SupporterRecord, supporter_problems

#: Whether a supporter takes new questions now: active (not stopped) and not paused until a later
#: day (Dutch calendar), the same rule as :data:`services.matching.domain.rules.AVAILABLE`.
AVAILABLE = "(active AND (paused_until IS NULL OR paused_until <= (now() AT TIME ZONE 'Europe/Amsterdam')::date))"
_SUPPORTER_COLUMNS = (
    "id, name, email, kind, organisation, municipalities, life_domains, languages, specialisms,"
    " capacity, active_cases, postcode, active"
)
_ROW_COLUMNS = (
    f"{_SUPPORTER_COLUMNS}, experience_themes, paused_until, {AVAILABLE} AS available, registered_at, updated_at"
)
#: The fields :class:`SupporterRecord` has (it may grow; rows fill whatever it knows).
_RECORD_FIELDS = frozenset(SupporterRecord.__dataclass_fields__)


@dataclass(frozen=True)
class SupporterRow:
    """A supporter as stored, with what the domain record leaves out (contact, pause, timestamps)."""

    id: str
    name: str
    email: str
    kind: str
    organisation: str
    municipalities: list[str]
    life_domains: list[str]
    languages: list[str]
    specialisms: list[str]
    experience_themes: list[str]
    capacity: int
    active_cases: int
    postcode: str | None
    active: bool
    paused_until: date | None
    available: bool
    registered_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def availability(self) -> str:
        """``active`` or ``paused`` as the API shows it (a pause whose day has come counts as active)."""
        return "active" if self.available else "paused"

    def record(self) -> SupporterRecord:
        return _record(vars(self))


def _record(values: dict[str, Any]) -> SupporterRecord:
    """The domain record of a row (columns the record does not know are left out)."""
    return SupporterRecord(**{k: v for k, v in values.items() if k in _RECORD_FIELDS})


def _row(row: asyncpg.Record) -> SupporterRow:
    return SupporterRow(**dict(row))


def _supporter(row: asyncpg.Record) -> SupporterRecord:
    return _record(dict(row))


async def upsert_supporter(conn: Conn, supporter: SupporterRecord) -> None:
    """Create a supporter, or update their profile (the demo loader and tests use this).

    ``active_cases`` is taken from the record only when the supporter is new: afterwards matching
    itself keeps the count, so reloading a profile never forgets bookings. Raises ``ValueError`` for
    an invalid record; the organisation must exist (foreign key).
    """
    problems = supporter_problems(supporter)
    if problems:
        raise ValueError(f"invalid supporter {supporter.id!r}: {'; '.join(problems)}")
    await conn.execute(
        f"INSERT INTO supporters ({_SUPPORTER_COLUMNS}, experience_themes)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, kind = EXCLUDED.kind,"
        " organisation = EXCLUDED.organisation, municipalities = EXCLUDED.municipalities,"
        " life_domains = EXCLUDED.life_domains, languages = EXCLUDED.languages,"
        " specialisms = EXCLUDED.specialisms, capacity = EXCLUDED.capacity, postcode = EXCLUDED.postcode,"
        " active = EXCLUDED.active, experience_themes = EXCLUDED.experience_themes, updated_at = now()",
        supporter.id,
        supporter.name,
        supporter.email,
        supporter.kind,
        supporter.organisation,
        list(supporter.municipalities),
        list(supporter.life_domains),
        list(supporter.languages),
        list(supporter.specialisms),
        supporter.capacity,
        supporter.active_cases,
        supporter.postcode,
        supporter.active,
        list(getattr(supporter, "experience_themes", ())),
    )


async def insert_supporter(conn: Conn, values: dict[str, Any]) -> SupporterRow | None:
    """Register a new supporter (``active_cases`` starts at 0); None when the id is taken.

    ``values`` holds every column of :data:`EDITABLE` plus ``id``, ``name``, ``email`` and ``organisation``.
    """
    columns = ["id", *EDITABLE]
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    row = await conn.fetchrow(
        f"INSERT INTO supporters ({', '.join(columns)}) VALUES ({placeholders})"
        f" ON CONFLICT (id) DO NOTHING RETURNING {_ROW_COLUMNS}",
        *(values[c] for c in columns),
    )
    return _row(row) if row else None


#: Columns a coordinator may set (``active_cases`` is matching's own count, never set from outside).
EDITABLE = (
    "name",
    "email",
    "kind",
    "organisation",
    "municipalities",
    "life_domains",
    "languages",
    "specialisms",
    "experience_themes",
    "capacity",
    "postcode",
    "active",
    "paused_until",
)


class CapacityBelowCases(Exception):
    """The new capacity is lower than the cases the supporter has now."""

    def __init__(self, active_cases: int) -> None:
        super().__init__(f"capacity cannot be lower than the {active_cases} active case(s)")
        self.active_cases = active_cases


async def update_supporter(conn: Conn, supporter_id: str, changes: dict[str, Any]) -> SupporterRow | None:
    """Apply ``changes`` (columns of :data:`EDITABLE`) in one statement; None for an unknown supporter.

    The capacity guard is in the WHERE clause: a capacity below the live ``active_cases`` changes
    nothing and raises :class:`CapacityBelowCases`.
    """
    unknown = set(changes) - set(EDITABLE)
    assert not unknown, f"not editable: {unknown}"
    names = list(changes)
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
    guard = f" AND active_cases <= ${len(names) + 2}" if "capacity" in changes else ""
    extra = [changes["capacity"]] if "capacity" in changes else []
    row = await conn.fetchrow(
        f"UPDATE supporters SET {assignments}, updated_at = now() WHERE id = $1{guard} RETURNING {_ROW_COLUMNS}",
        supporter_id,
        *(changes[n] for n in names),
        *extra,
    )
    if row is not None:
        return _row(row)
    cases = await conn.fetchval("SELECT active_cases FROM supporters WHERE id = $1", supporter_id)
    if cases is None:
        return None
    raise CapacityBelowCases(cases)


async def get_supporter_row(conn: Conn, supporter_id: str, *, for_update: bool = False) -> SupporterRow | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_ROW_COLUMNS} FROM supporters WHERE id = $1{lock}", supporter_id)
    return _row(row) if row else None


async def list_supporter_rows(
    conn: Conn, municipality: str | None = None, *, organisation: str | None = None
) -> list[SupporterRow]:
    """All supporters (available or not), or those serving ``municipality`` (and of ``organisation``), by id."""
    conditions, values = [], []
    if municipality is not None:
        values.append(municipality)
        conditions.append(f"municipalities @> ARRAY[${len(values)}]::text[]")
    if organisation is not None:
        values.append(organisation)
        conditions.append(f"organisation = ${len(values)}")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = await conn.fetch(f"SELECT {_ROW_COLUMNS} FROM supporters{where} ORDER BY id", *values)
    return [_row(r) for r in rows]


async def list_supporters(conn: Conn, municipality: str | None = None) -> list[SupporterRecord]:
    """All supporters (active or not), or those serving ``municipality``, by id."""
    return [r.record() for r in await list_supporter_rows(conn, municipality)]


async def load_candidates(conn: Conn, municipality: str) -> list[SupporterRecord]:
    """Available supporters serving ``municipality`` (full ones included: they decide wait or consult)."""
    rows = await conn.fetch(
        f"SELECT {_ROW_COLUMNS} FROM supporters WHERE {AVAILABLE} AND municipalities @> ARRAY[$1]::text[]",
        municipality,
    )
    return [_supporter(r) for r in rows]


async def load_supporters_with_room(conn: Conn) -> list[SupporterRecord]:
    """Available supporters with at least one free place: the only ones a waiting question can get."""
    rows = await conn.fetch(
        f"SELECT {_ROW_COLUMNS} FROM supporters WHERE {AVAILABLE} AND active_cases < capacity ORDER BY id"
    )
    return [_supporter(r) for r in rows]


async def pool_version(conn: Conn) -> int:
    """The counter a trigger moves on every change of the pool that matters for matching (not bookings)."""
    version: int = await conn.fetchval("SELECT version FROM pool_version WHERE id = 1")
    return version
