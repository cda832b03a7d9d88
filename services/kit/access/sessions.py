"""Server-side sessions of people signed in to pages: who, for which pages, until when. All their SQL.

The browser holds only a random session id (256 bits) in a cookie; the ``access.web_sessions`` table
keeps its SHA-256, so a copy of the table opens no session. A session names its subject and what the
subject may do: an API key today (kind ``api_key``, the key id), later a supporter signed in by an
e-mail link (``supporter``) or a person signed in by their organisation's OpenID Connect provider
(``oidc``). Whoever signs someone in calls :func:`open_session` with a :class:`Subject`; the pages only
ever see the session's :class:`~services.kit.access.Principal`, so a new way of signing in changes no page.

A session ends at logout (:func:`end_session`), after ``idle`` without a request, at its absolute end,
and when its API key is revoked: :func:`services.kit.access.revoke_key` deletes the key's sessions, and
a lookup refuses the session of a revoked key besides (say a key revoked in the database by hand).
Times come from the caller, so tests need no sleeps.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

import asyncpg

from services.kit.access.principal import Principal
from services.kit.db import Conn

SubjectKind = Literal["api_key", "supporter", "oidc"]
#: What a session id looks like: 32 random bytes, URL-safe base64 without padding.
SESSION_ID: Final = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class Subject:
    """Who is signed in, for which organisation, with which scopes and (optionally) municipality."""

    kind: SubjectKind
    id: str
    organisation: str
    scopes: frozenset[str]
    municipality: str | None = None

    @classmethod
    def of_key(cls, principal: Principal) -> Subject:
        """The subject of a sign-in with an API key: the key id, never the key."""
        return cls("api_key", principal.key_id, principal.organisation, principal.scopes, principal.municipality)


@dataclass(frozen=True)
class Lifetimes:
    """How long a session lasts: ``idle`` since its last request, ``absolute`` since sign-in."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class Session:
    subject: Subject
    audience: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime

    def principal(self) -> Principal:
        """The caller as pages see it (``key_id`` is the subject's id)."""
        s = self.subject
        return Principal(s.id, s.organisation, s.scopes, s.municipality)


def id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


async def open_session(
    conn: Conn | asyncpg.Pool, subject: Subject, audience: str, lifetimes: Lifetimes, now: datetime
) -> str:
    """Store a new session of ``subject`` for the pages ``audience``; return its id (shown to no one but the cookie).

    Sessions that ended are cleared out on the way, so the table holds only live ones (and those not yet noticed).
    """
    await conn.execute(
        "DELETE FROM access.web_sessions WHERE expires_at <= $1 OR last_seen_at <= $1 - $2::interval",
        now,
        lifetimes.idle,
    )
    session_id = secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO access.web_sessions (id_sha256, subject_kind, subject_id, organisation, scopes, municipality,"
        " audience, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)",
        id_hash(session_id),
        subject.kind,
        subject.id,
        subject.organisation,
        sorted(subject.scopes),
        subject.municipality,
        audience,
        now,
        now + lifetimes.absolute,
    )
    return session_id


async def find_session(
    conn: Conn | asyncpg.Pool, session_id: str, audience: str, lifetimes: Lifetimes, now: datetime
) -> Session | None:
    """The live session of this id for these pages, its last request moved to ``now``; None when it ended."""
    if not SESSION_ID.match(session_id):
        return None
    row = await conn.fetchrow(
        "UPDATE access.web_sessions s SET last_seen_at = $3"
        " WHERE s.id_sha256 = $1 AND s.audience = $2 AND s.expires_at > $3 AND s.last_seen_at > $3 - $4::interval"
        " AND (s.subject_kind <> 'api_key' OR EXISTS (SELECT 1 FROM access.api_keys k"
        "      WHERE k.key_id = s.subject_id AND k.revoked_at IS NULL))"
        " RETURNING subject_kind, subject_id, organisation, scopes, municipality, audience,"
        " created_at, last_seen_at, expires_at",
        id_hash(session_id),
        audience,
        now,
        lifetimes.idle,
    )
    if row is None:
        return None
    subject = Subject(
        row["subject_kind"], row["subject_id"], row["organisation"], frozenset(row["scopes"]), row["municipality"]
    )
    return Session(subject, row["audience"], row["created_at"], row["last_seen_at"], row["expires_at"])


async def end_session(conn: Conn | asyncpg.Pool, session_id: str) -> bool:
    """Logout: the session is gone. False when there was none."""
    result: str = await conn.execute("DELETE FROM access.web_sessions WHERE id_sha256 = $1", id_hash(session_id))
    return result != "DELETE 0"


async def end_sessions_of(conn: Conn | asyncpg.Pool, kind: SubjectKind, subject_id: str) -> int:
    """End every session of one subject (a revoked key, a supporter who left); return how many."""
    result: str = await conn.execute(
        "DELETE FROM access.web_sessions WHERE subject_kind = $1 AND subject_id = $2", kind, subject_id
    )
    return int(result.rsplit(" ", 1)[-1])
