"""First contact as matching heard of it, and the notices of late first contact already sent.

An open assignment (``assigned`` or ``accepted``) is *unreached* while no first contact was heard for
it, nor for the other member of its duo (one of a duo reaching the resident keeps the promise for
both). The tables are matching's own (migration 041), filled from FirstContactMade events, so the
watch depends on no other table about first contact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from services.kit.db import Conn

#: Open assignments without a first contact heard for them or for their duo partner (alias ``a``).
_UNREACHED = (
    "a.status IN ('assigned', 'accepted')"
    " AND NOT EXISTS (SELECT 1 FROM first_contacts_heard f WHERE f.assignment_id = a.assignment_id)"
    " AND NOT EXISTS (SELECT 1 FROM first_contacts_heard f JOIN assignments b ON b.assignment_id = f.assignment_id"
    "  WHERE b.question_id = a.question_id AND b.supporter_id = a.partner_id AND b.status IN ('assigned', 'accepted'))"
)


async def record_first_contact(
    conn: Conn, assignment_id: str, question_id: str, supporter_id: str, reached_on: date, recorded_at: datetime
) -> bool:
    """Remember a first contact; False when one was already heard for this assignment (the first stays)."""
    done = await conn.fetchval(
        "INSERT INTO first_contacts_heard (assignment_id, question_id, supporter_id, reached_on, recorded_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (assignment_id) DO NOTHING RETURNING 1",
        assignment_id,
        question_id,
        supporter_id,
        reached_on,
        recorded_at,
    )
    return done is not None


@dataclass(frozen=True)
class Unreached:
    """An open assignment without first contact, with the notices already sent about it."""

    assignment_id: str
    question_id: str
    supporter_id: str
    organisation: str
    municipality: str | None
    assigned_at: datetime
    sent: frozenset[str]


async def unreached(conn: Conn, assigned_before: datetime) -> list[Unreached]:
    """Unreached assignments made at or before ``assigned_before`` that still miss a notice, oldest first."""
    rows = await conn.fetch(
        "SELECT a.assignment_id, a.question_id, a.supporter_id, s.organisation,"
        " coalesce(a.municipality, q.municipality) AS municipality, a.assigned_at,"
        " coalesce(array_agg(n.stage) FILTER (WHERE n.stage IS NOT NULL), '{}') AS sent"
        " FROM assignments a JOIN supporters s ON s.id = a.supporter_id"
        " LEFT JOIN questions q ON q.question_id = a.question_id"
        " LEFT JOIN first_contact_notices n ON n.assignment_id = a.assignment_id"
        f" WHERE a.assigned_at <= $1 AND {_UNREACHED}"
        " GROUP BY a.assignment_id, s.organisation, q.municipality"
        " HAVING count(n.stage) < 2 ORDER BY a.assigned_at",
        assigned_before,
    )
    return [
        Unreached(
            assignment_id=r["assignment_id"],
            question_id=r["question_id"],
            supporter_id=r["supporter_id"],
            organisation=r["organisation"],
            municipality=r["municipality"],
            assigned_at=r["assigned_at"],
            sent=frozenset(r["sent"]),
        )
        for r in rows
    ]


async def record_notice(conn: Conn, assignment_id: str, stage: str, working_days: int, noticed_at: datetime) -> bool:
    """Claim the notice of ``stage`` for an assignment that is still open and unreached.

    True: this transaction sends it (publish in the same transaction). False: it was sent already
    (by this or another instance), or the assignment closed or was reached meanwhile.
    """
    done = await conn.fetchval(
        "INSERT INTO first_contact_notices (assignment_id, stage, question_id, working_days, noticed_at)"
        " SELECT a.assignment_id, $2, a.question_id, $3, $4 FROM assignments a"
        f" WHERE a.assignment_id = $1 AND {_UNREACHED}"
        " ON CONFLICT (assignment_id, stage) DO NOTHING RETURNING 1",
        assignment_id,
        stage,
        working_days,
        noticed_at,
    )
    return done is not None


@dataclass(frozen=True)
class LateAssignment:
    """An unreached assignment as the coordinators' page shows it (names, not ids)."""

    assignment_id: str
    question_id: str
    supporter_id: str
    supporter_name: str
    organisation: str
    organisation_name: str
    municipality: str | None
    assigned_at: datetime
    status: str


async def late_candidates(conn: Conn, assigned_before: datetime, municipality: str | None) -> list[LateAssignment]:
    """Unreached assignments made at or before ``assigned_before`` (in ``municipality`` when given), oldest first.

    The caller decides by working days which of them are late; ``assigned_before`` only bounds the scan.
    """
    rows = await conn.fetch(
        "SELECT a.assignment_id, a.question_id, a.supporter_id, s.name AS supporter_name, s.organisation,"
        " o.name AS organisation_name, coalesce(a.municipality, q.municipality) AS municipality,"
        " a.assigned_at, a.status"
        " FROM assignments a JOIN supporters s ON s.id = a.supporter_id"
        " JOIN organisations o ON o.id = s.organisation"
        " LEFT JOIN questions q ON q.question_id = a.question_id"
        f" WHERE a.assigned_at <= $1 AND {_UNREACHED}"
        " AND ($2::text IS NULL OR coalesce(a.municipality, q.municipality) = $2)"
        " ORDER BY a.assigned_at, a.assignment_id",
        assigned_before,
        municipality,
    )
    return [LateAssignment(**dict(r)) for r in rows]
