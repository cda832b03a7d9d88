"""SQL of experiences, support and invitations. Every function runs on the caller's connection."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from services.intake.experiences.domain import (
    ExperienceAnswers,
    Invitation,
    QuestionFacts,
    Support,
)
from services.kit.db import Conn

Step = Literal["accepted_at", "declined_at", "ended_at"]


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# --- support ----------------------------------------------------------------------------------------


async def remember_assignment(
    conn: Conn, question_id: str, assignment_id: str, organisation: str, supporter_kind: str, assigned_at: datetime
) -> None:
    """Keep who supports a question (organisation and kind only); nothing for an unknown question."""
    qid = parse_uuid(question_id)
    if qid is None:
        return
    await conn.execute(
        "INSERT INTO question_supports (assignment_id, question_id, organisation, supporter_kind, assigned_at)"
        " SELECT $1, question_id, $3, $4, $5 FROM questions WHERE question_id = $2"
        " ON CONFLICT (assignment_id) DO UPDATE SET supporter_kind = EXCLUDED.supporter_kind,"
        "  assigned_at = EXCLUDED.assigned_at",
        assignment_id,
        qid,
        organisation,
        supporter_kind,
        assigned_at,
    )


async def remember_step(
    conn: Conn, question_id: str, assignment_id: str, organisation: str, step: Step, at: datetime
) -> None:
    """Record that an assignment was accepted, declined or ended (also when its assignment came unseen)."""
    qid = parse_uuid(question_id)
    if qid is None:
        return
    await conn.execute(
        f"INSERT INTO question_supports (assignment_id, question_id, organisation, {step})"
        " SELECT $1, question_id, $3, $4 FROM questions WHERE question_id = $2"
        f" ON CONFLICT (assignment_id) DO UPDATE SET {step} = COALESCE(question_supports.{step}, EXCLUDED.{step})",
        assignment_id,
        qid,
        organisation,
        at,
    )


async def supports_of(conn: Conn, question_id: uuid.UUID) -> list[Support]:
    rows = await conn.fetch(
        "SELECT assignment_id, organisation, supporter_kind, assigned_at, accepted_at, declined_at, ended_at"
        " FROM question_supports WHERE question_id = $1 ORDER BY assigned_at NULLS LAST, assignment_id",
        question_id,
    )
    return [Support(**dict(r)) for r in rows]


# --- the question behind an invitation ----------------------------------------------------------------


@dataclass(frozen=True)
class QuestionRow:
    question_id: uuid.UUID
    erased: bool
    already_shared: bool
    facts: QuestionFacts


async def lock_question(conn: Conn, question_id: uuid.UUID) -> QuestionRow | None:
    """The question's facts, locked against a concurrent invitation or experience; None when unknown."""
    row = await conn.fetchrow(
        "SELECT q.question_id, q.resident_ref IS NULL AS erased, q.municipality, q.life_domains, q.age_band,"
        " EXISTS (SELECT 1 FROM question_experiences e WHERE e.question_id = q.question_id) AS already_shared"
        " FROM questions q WHERE q.question_id = $1 FOR UPDATE OF q",
        question_id,
    )
    if row is None:
        return None
    return QuestionRow(
        question_id=row["question_id"],
        erased=row["erased"],
        already_shared=row["already_shared"],
        facts=QuestionFacts(row["municipality"], list(row["life_domains"]), row["age_band"]),
    )


# --- invitations ---------------------------------------------------------------------------------------


async def replace_invitation(
    conn: Conn, question_id: uuid.UUID, digest: str, issued_at: datetime, expires_at: datetime
) -> None:
    """The question's one link: a new one replaces any earlier one, which then stops working."""
    await conn.execute(
        "INSERT INTO experience_invitations (question_id, token_digest, issued_at, expires_at)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (question_id) DO UPDATE SET token_digest = EXCLUDED.token_digest,"
        "  issued_at = EXCLUDED.issued_at, expires_at = EXCLUDED.expires_at, used_at = NULL",
        question_id,
        digest,
        issued_at,
        expires_at,
    )


async def find_invitation(
    conn: Conn | asyncpg.Pool, digest: str, *, lock: bool = False
) -> tuple[uuid.UUID, Invitation] | None:
    """The question and invitation behind a token's digest (locked for a submission when ``lock``)."""
    row = await conn.fetchrow(
        "SELECT question_id, issued_at, expires_at, used_at FROM experience_invitations WHERE token_digest = $1"
        + (" FOR UPDATE" if lock else ""),
        digest,
    )
    if row is None:
        return None
    return row["question_id"], Invitation(row["issued_at"], row["expires_at"], row["used_at"])


# --- experiences ---------------------------------------------------------------------------------------


async def insert_experience(
    conn: Conn,
    experience_id: uuid.UUID,
    question_id: uuid.UUID,
    facts: QuestionFacts,
    support: Support | None,
    answers: ExperienceAnswers,
    sealed_text: str | None,
    shared_at: datetime,
) -> None:
    """Store the experience, link it to its question and spend the question's link, in one go."""
    s = answers.statements
    await conn.execute(
        "INSERT INTO experiences (experience_id, municipality, life_domains, age_band, organisation, supporter_kind,"
        " knew_where_to_go, helped_quickly, supporter_on_my_side, score, text, shared_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        experience_id,
        facts.municipality,
        list(facts.life_domains),
        facts.age_band,
        support.organisation if support else None,
        support.supporter_kind if support else None,
        s.knew_where_to_go,
        s.helped_quickly,
        s.supporter_on_my_side,
        answers.score,
        sealed_text,
        shared_at,
    )
    await conn.execute(
        "INSERT INTO question_experiences (question_id, experience_id) VALUES ($1, $2)", question_id, experience_id
    )
    await conn.execute("UPDATE experience_invitations SET used_at = $2 WHERE question_id = $1", question_id, shared_at)


async def sealed_texts(
    conn: Conn | asyncpg.Pool, municipality: str | None, since: datetime, until: datetime
) -> list[asyncpg.Record]:
    """The (sealed) texts shared in [since, until), of one municipality or (None) the whole region."""
    return await conn.fetch(
        "SELECT experience_id::text AS experience_id, life_domains, shared_at, text FROM experiences"
        " WHERE text IS NOT NULL AND shared_at >= $2 AND shared_at < $3 AND ($1::text IS NULL OR municipality = $1)",
        municipality,
        since,
        until,
    )


# --- erasure -------------------------------------------------------------------------------------------


async def forget(conn: Conn, question_ids: list[uuid.UUID]) -> None:
    """An erased resident's links stop working, and the texts of their experiences go.

    The experiences' codes and scores stay: without a question's resident they are no one's.
    """
    await conn.execute("DELETE FROM experience_invitations WHERE question_id = ANY($1::uuid[])", question_ids)
    await conn.execute(
        "UPDATE experiences SET text = NULL WHERE text IS NOT NULL AND experience_id IN"
        " (SELECT experience_id FROM question_experiences WHERE question_id = ANY($1::uuid[]))",
        question_ids,
    )
