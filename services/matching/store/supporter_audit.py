"""The audit of the supporter registry: who registered or changed which supporter, when, and which
fields (their names only: an e-mail address or a name is never written here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.kit.db import Conn


@dataclass(frozen=True)
class AuditEntry:
    supporter_id: str
    action: str  #: ``registered`` or ``changed``
    fields: list[str]
    actor: str  #: ``<organisation>/<key id>`` of the API key, or ``samenloket/internal``
    at: datetime


async def record(conn: Conn, supporter_id: str, action: str, fields: list[str], actor: str) -> None:
    await conn.execute(
        "INSERT INTO supporter_audit (supporter_id, action, fields, actor) VALUES ($1, $2, $3, $4)",
        supporter_id,
        action,
        fields,
        actor,
    )


async def history(conn: Conn, supporter_id: str, limit: int = 200) -> list[AuditEntry]:
    """The supporter's audit entries, newest first."""
    rows = await conn.fetch(
        "SELECT supporter_id, action, fields, actor, at FROM supporter_audit WHERE supporter_id = $1"
        " ORDER BY at DESC, id DESC LIMIT $2",
        supporter_id,
        limit,
    )
    return [AuditEntry(r["supporter_id"], r["action"], list(r["fields"]), r["actor"], r["at"]) for r in rows]
