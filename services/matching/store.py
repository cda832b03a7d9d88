"""PostgreSQL access of matching: organisations, the supporter pool, capacity and outcomes.

Every function takes a connection (plain or from a pool) so callers choose the transaction. The
capacity guards live here, in SQL: :func:`book_capacity` is the one place that raises
``active_cases`` (only while it stays below ``capacity`` and the supporter is available) and
:func:`free_capacity` the one place that lowers it (never below 0); the table's CHECKs back both up.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from contracts.events import CandidateVerdict, Reason
from services.kit.db import Conn
from services.matching.domain import Organisation, SupporterRecord, supporter_problems

#: Whether a supporter takes new questions now: active (not stopped) and not paused until a later
#: day (Dutch calendar), the same rule as :func:`domain.rule_active`.
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
#: First key of the two-key advisory locks that serialise work on one question.
_QUESTION_LOCK_SPACE = zlib.crc32(b"samenloket-matching-question") & 0x7FFFFFFF
#: The one-key advisory lock held by whoever runs the waiting-list pass (or frees capacity).
_WAITING_PASS_LOCK = zlib.crc32(b"samenloket-matching-waiting-pass")
#: Open assignments: offered to the supporter, or accepted by them.
OPEN = ("assigned", "accepted")


# --- organisations --------------------------------------------------------------------------------


async def upsert_organisation(conn: Conn, id: str, name: str, decides_on_provisions: bool) -> None:
    """Create or update an organisation."""
    await conn.execute(
        "INSERT INTO organisations (id, name, decides_on_provisions) VALUES ($1, $2, $3)"
        " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, decides_on_provisions = EXCLUDED.decides_on_provisions",
        id,
        name,
        decides_on_provisions,
    )


async def insert_organisation(conn: Conn, id: str, name: str, decides_on_provisions: bool) -> bool:
    """Create an organisation; False when the id is taken."""
    created = await conn.fetchval(
        "INSERT INTO organisations (id, name, decides_on_provisions) VALUES ($1, $2, $3)"
        " ON CONFLICT (id) DO NOTHING RETURNING 1",
        id,
        name,
        decides_on_provisions,
    )
    return created is not None


async def load_organisations(conn: Conn) -> dict[str, Organisation]:
    """Every organisation by id (a region has tens of them)."""
    rows = await conn.fetch("SELECT id, name, decides_on_provisions FROM organisations ORDER BY id")
    return {r["id"]: Organisation(r["id"], r["name"], r["decides_on_provisions"]) for r in rows}


# --- supporters -----------------------------------------------------------------------------------


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


async def list_supporter_rows(conn: Conn, municipality: str | None = None) -> list[SupporterRow]:
    """All supporters (available or not), or those serving ``municipality``, by id."""
    if municipality is None:
        rows = await conn.fetch(f"SELECT {_ROW_COLUMNS} FROM supporters ORDER BY id")
    else:
        rows = await conn.fetch(
            f"SELECT {_ROW_COLUMNS} FROM supporters WHERE municipalities @> ARRAY[$1]::text[] ORDER BY id",
            municipality,
        )
    return [_row(r) for r in rows]


async def list_supporters(conn: Conn, municipality: str | None = None) -> list[SupporterRecord]:
    """All supporters (active or not), or those serving ``municipality``, by id."""
    return [r.record() for r in await list_supporter_rows(conn, municipality)]


async def get_supporter(conn: Conn, supporter_id: str) -> SupporterRecord | None:
    row = await get_supporter_row(conn, supporter_id)
    return row.record() if row else None


async def load_candidates(conn: Conn, municipality: str) -> list[SupporterRecord]:
    """Available supporters serving ``municipality`` (full ones included: they decide wait or consult)."""
    rows = await conn.fetch(
        f"SELECT {_ROW_COLUMNS} FROM supporters WHERE {AVAILABLE} AND municipalities @> ARRAY[$1]::text[]",
        municipality,
    )
    return [_supporter(r) for r in rows]


async def load_all_candidates(conn: Conn, municipality: str) -> list[SupporterRecord]:
    """Every supporter serving ``municipality``, available or not (for the consultation's view)."""
    return [r.record() for r in await list_supporter_rows(conn, municipality)]


async def load_supporters_with_room(conn: Conn) -> list[SupporterRecord]:
    """Available supporters with at least one free place: the only ones a waiting question can get."""
    rows = await conn.fetch(
        f"SELECT {_ROW_COLUMNS} FROM supporters WHERE {AVAILABLE} AND active_cases < capacity ORDER BY id"
    )
    return [_supporter(r) for r in rows]


# --- capacity -------------------------------------------------------------------------------------


async def book_capacity(conn: Conn, supporter_id: str) -> bool:
    """Take one place of the supporter's capacity; False when none is left (or they are not available).

    The row lock of the UPDATE makes concurrent bookings wait for each other and re-check the
    condition, so several matching instances can never overbook a supporter.
    """
    return await book_place(conn, supporter_id) is not None


async def book_place(conn: Conn, supporter_id: str) -> int | None:
    """:func:`book_capacity` that returns the supporter's booked places afterwards (None: not booked)."""
    booked: int | None = await conn.fetchval(
        "UPDATE supporters SET active_cases = active_cases + 1"
        f" WHERE id = $1 AND {AVAILABLE} AND active_cases < capacity RETURNING active_cases",
        supporter_id,
    )
    return booked


async def pool_version(conn: Conn) -> int:
    """The counter a trigger moves on every change of the pool that matters for matching (not bookings)."""
    version: int = await conn.fetchval("SELECT version FROM pool_version WHERE id = 1")
    return version


async def free_capacity(conn: Conn, supporter_id: str) -> int:
    """Give back one place and return the places still booked; the guard keeps ``active_cases`` at 0
    or more.

    Every open assignment holds exactly one booked place, so finding none to give back means the
    books are wrong: that raises (the transaction rolls back) rather than hiding it.
    """
    freed: int | None = await conn.fetchval(
        "UPDATE supporters SET active_cases = active_cases - 1 WHERE id = $1 AND active_cases > 0"
        " RETURNING active_cases",
        supporter_id,
    )
    if freed is None:
        raise RuntimeError(f"supporter {supporter_id!r} has no booked place to free")
    return freed


# --- locks ----------------------------------------------------------------------------------------


async def lock_question(conn: Conn, question_id: str) -> None:
    """Serialise work on one question across instances until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", _QUESTION_LOCK_SPACE, question_id)


async def lock_waiting_pass(conn: Conn) -> None:
    """Serialise the waiting-list pass (and whatever frees capacity) across instances.

    Blocking, not try-lock: a second pass must wait and then see the places the first one's
    transaction freed, or a freed place could stay unused until the next trigger.
    """
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _WAITING_PASS_LOCK)


# --- questions ------------------------------------------------------------------------------------


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


async def question_outcome(conn: Conn, question_id: str) -> str | None:
    """Where the question stands now (``assigned``, ``accepted``, ``waiting``, ``consultation``, or the
    status of its last closed assignment), or None when matching never decided on it."""
    outcome: str | None = await conn.fetchval(
        "SELECT status FROM (SELECT status, 1 AS rank, assigned_at AS at FROM assignments"
        "   WHERE question_id = $1 AND status IN ('assigned', 'accepted')"
        " UNION ALL SELECT 'waiting', 2, since FROM waiting WHERE question_id = $1"
        " UNION ALL SELECT 'consultation', 3, required_at FROM consultations WHERE question_id = $1"
        " UNION ALL SELECT status, 4, assigned_at FROM assignments WHERE question_id = $1) o"
        " ORDER BY rank, at DESC LIMIT 1",
        question_id,
    )
    return outcome


# --- assignments ----------------------------------------------------------------------------------


async def insert_assignment(
    conn: Conn,
    assignment_id: str,
    question_id: str,
    supporter_id: str,
    score: float,
    reasons: list[Reason],
    assigned_at: datetime,
    *,
    municipality: str | None = None,
    role: str = "lead",
    partner_id: str | None = None,
    override_by: str | None = None,
    override_reason: str | None = None,
) -> None:
    """Record an assignment; ``role`` is ``lead`` (a single supporter, or a duo's professional) or
    ``partner`` (a duo's volunteer or experience expert), ``partner_id`` the duo's other member."""
    await conn.execute(
        "INSERT INTO assignments (assignment_id, question_id, supporter_id, score, reasons, status, assigned_at,"
        " municipality, role, partner_id, override_by, override_reason)"
        " VALUES ($1, $2, $3, $4, $5::jsonb, 'assigned', $6, $7, $8, $9, $10, $11)",
        assignment_id,
        question_id,
        supporter_id,
        score,
        _reasons_json(reasons),
        assigned_at,
        municipality,
        role,
        partner_id,
        override_by,
        override_reason,
    )


@dataclass(frozen=True)
class AssignmentView:
    assignment_id: str
    question_id: str
    supporter_id: str
    organisation: str
    supporter_kind: str
    score: float
    reasons: list[Reason]
    status: str
    assigned_at: datetime
    municipality: str | None = None
    accepted_at: datetime | None = None
    closed_at: datetime | None = None
    override_reason: str | None = None
    role: str = "lead"
    partner_id: str | None = None


_ASSIGNMENT_SELECT = (
    "SELECT a.assignment_id, a.question_id, a.supporter_id, s.organisation, s.kind, a.score, a.reasons,"
    " a.status, a.assigned_at, coalesce(a.municipality, q.municipality) AS municipality, a.accepted_at,"
    " a.closed_at, a.override_reason, a.role, a.partner_id"
    " FROM assignments a JOIN supporters s ON s.id = a.supporter_id"
    " LEFT JOIN questions q ON q.question_id = a.question_id"
)


def _assignment(row: asyncpg.Record) -> AssignmentView:
    return AssignmentView(
        assignment_id=row["assignment_id"],
        question_id=row["question_id"],
        supporter_id=row["supporter_id"],
        organisation=row["organisation"],
        supporter_kind=row["kind"],
        score=row["score"],
        reasons=[Reason.model_validate(r) for r in json.loads(row["reasons"])],
        status=row["status"],
        assigned_at=row["assigned_at"],
        municipality=row["municipality"],
        accepted_at=row["accepted_at"],
        closed_at=row["closed_at"],
        override_reason=row["override_reason"],
        role=row["role"],
        partner_id=row["partner_id"],
    )


async def get_assignment(conn: Conn, question_id: str) -> AssignmentView | None:
    """The question's open assignment (a duo's lead), else its latest closed one."""
    row = await conn.fetchrow(
        f"{_ASSIGNMENT_SELECT} WHERE a.question_id = $1"
        " ORDER BY a.status IN ('assigned', 'accepted') DESC, a.assigned_at DESC, a.role LIMIT 1",
        question_id,
    )
    return _assignment(row) if row else None


async def open_assignments(conn: Conn, question_id: str) -> list[AssignmentView]:
    """The question's open assignments (one, or a duo's two: lead first), locked for this transaction."""
    rows = await conn.fetch(
        f"{_ASSIGNMENT_SELECT} WHERE a.question_id = $1 AND a.status IN ('assigned', 'accepted')"
        " ORDER BY a.role FOR UPDATE OF a",
        question_id,
    )
    return [_assignment(r) for r in rows]


async def accept_assignment(conn: Conn, assignment_id: str, at: datetime) -> None:
    await conn.execute(
        "UPDATE assignments SET status = 'accepted', accepted_at = $2 WHERE assignment_id = $1 AND status = 'assigned'",
        assignment_id,
        at,
    )


async def close_assignment(conn: Conn, assignment_id: str, status: str, at: datetime, reason_code: str) -> None:
    """Mark an open assignment ``declined`` or ``ended``."""
    assert status in ("declined", "ended")
    await conn.execute(
        "UPDATE assignments SET status = $2, closed_at = $3, close_reason = $4"
        " WHERE assignment_id = $1 AND status IN ('assigned', 'accepted')",
        assignment_id,
        status,
        at,
        reason_code,
    )


async def open_cases(conn: Conn, supporter_id: str) -> list[AssignmentView]:
    """The supporter's open assignments, oldest first."""
    rows = await conn.fetch(
        f"{_ASSIGNMENT_SELECT} WHERE a.supporter_id = $1 AND a.status IN ('assigned', 'accepted')"
        " ORDER BY a.assigned_at",
        supporter_id,
    )
    return [_assignment(r) for r in rows]


# --- declines -------------------------------------------------------------------------------------


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


# --- waiting --------------------------------------------------------------------------------------


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


# --- consultations --------------------------------------------------------------------------------


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


def _reasons_json(reasons: list[Reason]) -> str:
    return json.dumps([r.model_dump() for r in reasons], ensure_ascii=False)
