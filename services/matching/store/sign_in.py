"""Supporters' sign-in links and the sign-in audit (all their SQL).

Only the SHA-256 of a link's token is stored; using a link marks it used in the same statement that
checks it, so a link opens at most one session however often it is clicked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.kit.db import Conn


@dataclass(frozen=True)
class SignInSupporter:
    """Who a sign-in is for: the supporter, their organisation and their name (for the page header)."""

    id: str
    organisation: str
    name: str


async def supporters_with_email(conn: Conn, email: str) -> list[SignInSupporter]:
    """The supporters whose e-mail address is ``email`` (case-insensitive); usually one."""
    rows = await conn.fetch(
        "SELECT id, organisation, name FROM supporters WHERE lower(email) = lower($1) ORDER BY id LIMIT 5", email
    )
    return [SignInSupporter(r["id"], r["organisation"], r["name"]) for r in rows]


async def supporter(conn: Conn, supporter_id: str) -> SignInSupporter | None:
    row = await conn.fetchrow("SELECT id, organisation, name FROM supporters WHERE id = $1", supporter_id)
    return SignInSupporter(row["id"], row["organisation"], row["name"]) if row else None


async def insert_link(
    conn: Conn, token_sha256: str, supporter_id: str, return_to: str, created_at: datetime, expires_at: datetime
) -> None:
    """Store a new link (its hash); links that expired a day ago are cleared on the way."""
    await conn.execute("DELETE FROM sign_in_links WHERE expires_at < $1::timestamptz - interval '1 day'", created_at)
    await conn.execute(
        "INSERT INTO sign_in_links (token_sha256, supporter_id, return_to, created_at, expires_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        token_sha256,
        supporter_id,
        return_to,
        created_at,
        expires_at,
    )


@dataclass(frozen=True)
class LinkState:
    """A stored link as found: whose, where to, and whether it can still be used at ``now``."""

    supporter_id: str
    return_to: str
    expired: bool
    used: bool


async def find_link(conn: Conn, token_sha256: str, now: datetime) -> LinkState | None:
    row = await conn.fetchrow(
        "SELECT supporter_id, return_to, expires_at <= $2 AS expired, used_at IS NOT NULL AS used"
        " FROM sign_in_links WHERE token_sha256 = $1",
        token_sha256,
        now,
    )
    return LinkState(row["supporter_id"], row["return_to"], row["expired"], row["used"]) if row else None


async def use_link(conn: Conn, token_sha256: str, now: datetime) -> tuple[SignInSupporter, str] | None:
    """Mark a good link used and return its supporter and page; None for an unknown, used or expired link."""
    row = await conn.fetchrow(
        "UPDATE sign_in_links l SET used_at = $2 FROM supporters s"
        " WHERE l.token_sha256 = $1 AND l.used_at IS NULL AND l.expires_at > $2 AND s.id = l.supporter_id"
        " RETURNING s.id, s.organisation, s.name, l.return_to",
        token_sha256,
        now,
    )
    if row is None:
        return None
    return SignInSupporter(row["id"], row["organisation"], row["name"]), row["return_to"]


async def audit(
    conn: Conn,
    event: str,
    client: str,
    *,
    supporter_id: str | None = None,
    organisation: str | None = None,
    detail: str | None = None,
    at: datetime | None = None,
) -> None:
    """One row of the sign-in audit (``event`` one of the migration's list; ``client`` a keyed hash)."""
    await conn.execute(
        "INSERT INTO sign_in_audit (at, event, supporter_id, organisation, client, detail)"
        " VALUES (coalesce($1, now()), $2, $3, $4, $5, $6)",
        at,
        event,
        supporter_id,
        organisation,
        client,
        detail,
    )


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    event: str
    supporter_id: str | None
    organisation: str | None
    client: str
    detail: str | None


async def audit_rows(conn: Conn, supporter_id: str | None = None, limit: int = 500) -> list[AuditRow]:
    """The sign-in audit, newest first (one supporter's rows when ``supporter_id`` is given)."""
    rows = await conn.fetch(
        "SELECT at, event, supporter_id, organisation, client, detail FROM sign_in_audit"
        " WHERE $1::text IS NULL OR supporter_id = $1 ORDER BY id DESC LIMIT $2",
        supporter_id,
        limit,
    )
    return [AuditRow(**dict(r)) for r in rows]
