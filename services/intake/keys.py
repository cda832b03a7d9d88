"""Key rotation for intake's sealed data: re-wrap under the current master key, and see what uses which key.

Rotation (docs/privacy.md, "Key rotation"):
1. put a new key first in the ring (``samenloket keys rotate`` for the key file of ``samenloket up``;
   in production prepend ``samenloket keys generate``'s output to ``SAMENLOKET_ENCRYPTION_KEYS``);
2. restart every intake instance: new values are sealed with the new key, old ones still open;
3. ``samenloket keys rewrap``: every value sealed by the ring directly (residents' wrapped data
   keys, signal texts and answers, withdrawal notes, webhook secrets, experience texts and the keys
   of sealed dead letters: :data:`SEALED_COLUMNS`) is sealed again with the new key. The residents'
   data themselves need no work: they are sealed with the residents' data keys, which stay the same
   and are only wrapped anew. A column of intake's schema that holds values under an old key but
   is missing from :data:`SEALED_COLUMNS` is reported as failed (and the command fails), so a new
   kind of sealed value can never make a rotation silently unfinishable;
4. ``samenloket keys status`` shows no value under the old key any more: remove it from the ring
   (``samenloket keys retire KEY_ID``). Backups made before step 3 still need the old key; once they
   have expired, destroying the old key also makes erased residents' data in them unreadable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import asyncpg

from services.kit.crypto import DATA_KEY_ID, DecryptionError, KeyRing, context
from services.kit.db import Conn

log = logging.getLogger(__name__)

SCHEMA = "intake"
BATCH = 500


@dataclass(frozen=True)
class SealedColumn:
    """A column sealed with the master key ring, and how its associated data is built."""

    table: str
    column: str
    #: The column's name in the associated data (``intake/<table>/<place>/<row id>``).
    place: str
    #: SQL giving the row id in the associated data.
    row_id: str
    #: SQL giving a unique, ordered row identity (for paging and the compare-and-set update).
    pk: str
    #: The table's name in the associated data, where it differs from the table's own.
    context_table: str | None = None


SEALED_COLUMNS: tuple[SealedColumn, ...] = (
    SealedColumn("residents", "data_key", "data_key", "resident_ref::text", "resident_ref::text"),
    SealedColumn("signals", "text", "text", "signal_id::text", "signal_id::text"),
    SealedColumn("signals", "answer", "answer", "signal_id::text", "signal_id::text"),
    SealedColumn("partner_webhooks", "secret_sealed", "secret", "organisation", "organisation"),
    SealedColumn("question_history", "note", "note", "question_id::text", "id::text"),
    SealedColumn("experiences", "text", "text", "experience_id::text", "experience_id::text"),
    # Sealed as "intake/dead_letters/data_key/<letter id>" (services/intake/deadletters.py).
    SealedColumn("dead_letter_keys", "data_key", "data_key", "letter_id::text", "letter_id::text", "dead_letters"),
)


async def _exists(conn: Conn, table: str, column: str) -> bool:
    found = await conn.fetchval(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3",
        SCHEMA,
        table,
        column,
    )
    return bool(found)


async def rewrap(conn: Conn, ring: KeyRing) -> dict[str, dict[str, int]]:
    """Seal every master-key value not under the current key again with it; counts per column."""
    result: dict[str, dict[str, int]] = {}
    for sealed in SEALED_COLUMNS:
        if await _exists(conn, sealed.table, sealed.column):
            result[f"{sealed.table}.{sealed.column}"] = await _rewrap_column(conn, ring, sealed)
    for name, left in (await _unknown_columns(conn, ring)).items():
        log.error("a column sealed with an old key is unknown to rewrap", extra={"column": name, "values": left})
        result[name] = {"rewrapped": 0, "failed": left}
    return result


async def _unknown_columns(conn: Conn, ring: KeyRing) -> dict[str, int]:
    """Columns outside :data:`SEALED_COLUMNS` with values under a key other than the current one."""
    known = {(s.table, s.column) for s in SEALED_COLUMNS}
    found: dict[str, int] = {}
    for c in await _text_columns(conn):
        if (c["table_name"], c["column_name"]) in known:
            continue
        left = await conn.fetchval(
            f'SELECT count(*) FROM "{SCHEMA}"."{c["table_name"]}" WHERE "{c["column_name"]}" LIKE $1'
            f" AND split_part(\"{c['column_name']}\", '.', 2) NOT IN ($2, $3)",
            "v1.%",
            ring.current_id,
            DATA_KEY_ID,
        )
        if left:
            found[f"{c['table_name']}.{c['column_name']}"] = int(left)
    return found


async def _text_columns(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = $1 AND data_type = 'text' ORDER BY table_name, column_name",
        SCHEMA,
    )


async def _rewrap_column(conn: Conn, ring: KeyRing, sealed: SealedColumn) -> dict[str, int]:
    counts = {"rewrapped": 0, "failed": 0}
    after = ""
    while True:
        rows = await conn.fetch(
            f'SELECT {sealed.pk} AS pk, {sealed.row_id} AS row_id, "{sealed.column}" AS value'
            f' FROM "{SCHEMA}"."{sealed.table}" WHERE "{sealed.column}" LIKE $1'
            f" AND split_part(\"{sealed.column}\", '.', 2) <> $2 AND {sealed.pk} > $3 ORDER BY {sealed.pk} LIMIT $4",
            "v1.%",
            ring.current_id,
            after,
            BATCH,
        )
        if not rows:
            return counts
        async with conn.transaction():
            for row in rows:
                where = context(SCHEMA, sealed.context_table or sealed.table, sealed.place, row["row_id"])
                try:
                    fresh = ring.seal_bytes(ring.open_bytes(row["value"], where), where)
                except DecryptionError as exc:
                    counts["failed"] += 1
                    log.error("value does not open, left as it is", extra={"column": sealed.column, "error": str(exc)})
                    continue
                changed = await conn.execute(
                    f'UPDATE "{SCHEMA}"."{sealed.table}" SET "{sealed.column}" = $1'
                    f' WHERE {sealed.pk} = $2 AND "{sealed.column}" = $3',
                    fresh,
                    row["pk"],
                    row["value"],
                )
                counts["rewrapped"] += changed.endswith(" 1")
        after = rows[-1]["pk"]


async def status(conn: Conn) -> dict[str, int]:
    """How many sealed values each key id holds, over every text column of intake's schema.

    ``dek`` counts values sealed with residents' own data keys (they follow their wrapped key).
    """
    columns = await _text_columns(conn)
    counts: dict[str, int] = {}
    for c in columns:
        rows = await conn.fetch(
            f"SELECT split_part(\"{c['column_name']}\", '.', 2) AS key_id, count(*) AS n"
            f' FROM "{SCHEMA}"."{c["table_name"]}" WHERE "{c["column_name"]}" LIKE $1 GROUP BY 1',
            "v1.%",
        )
        for row in rows:
            counts[row["key_id"]] = counts.get(row["key_id"], 0) + row["n"]
    return dict(sorted(counts.items(), key=lambda item: (item[0] == DATA_KEY_ID, item[0])))
