"""Notifications' part of an erasure (ResidentErasureRequested on samenloket.privacy).

Notifications stores no addresses or names: residents' contact details are fetched from intake per
delivery and kept in memory only for it (``contacts.py``; never cached), and after the erasure intake
no longer has them. What
is left about the resident's questions is dropped or cleaned here:
- ``questions`` (municipality and life domains the mails mention): deleted for those questions;
- ``deliveries``: the log stays (ids, role, channel, template, status: needed for operations), but
  ``last_error`` is cleared, since a mail server's error text may quote the address it refused;
- queued SMS of those questions are skipped and their text dropped;
- ``opt_outs``: the resident's opt-out is dropped (with no contact details left, nothing is sent anyway).
Mails already sent cannot be called back; they are the resident's own.
"""

from __future__ import annotations

from contracts.events import ResidentErasureRequested
from services.kit.db import Conn
from services.notifications import store
from services.notifications.preferences import resident_ref_hash


async def erase(conn: Conn, request: ResidentErasureRequested) -> None:
    ids = request.question_ids
    await conn.execute(
        "UPDATE deliveries SET last_error = NULL WHERE question_id = ANY($1::text[]) AND last_error IS NOT NULL", ids
    )
    await conn.execute(
        "UPDATE deliveries SET status = 'skipped', body = NULL, last_error = 'erased'"
        " WHERE question_id = ANY($1::text[]) AND status = 'queued'",
        ids,
    )
    await conn.execute("DELETE FROM questions WHERE question_id = ANY($1::text[])", ids)
    await store.forget_opt_out(conn, resident_ref_hash(request.resident_ref))
