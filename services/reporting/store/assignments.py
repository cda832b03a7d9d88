"""The supporters' figures of a report, read from ``assignment_facts`` and ``supporter_facts``.

Every statement takes ``$1`` the area (a CBS code; NULL: the region). Support under way and capacity
are the moment of the snapshot; declines take the period as the moments ``$2`` (from) and ``$3``
(until, not included).
"""

from __future__ import annotations

from datetime import date, datetime

from services.kit.db import Conn
from services.reporting.store.counting import pair_counts

#: Assignments under way (assigned or accepted) by organisation and supporter kind.
_ACTIVE_BY_ORGANISATION = """
SELECT a.organisation AS r, a.supporter_kind AS c, count(*) AS n
  FROM assignment_facts a
 WHERE ($1::text IS NULL OR a.municipality = $1)
   AND a.state IN ('assigned', 'accepted') AND a.supporter_kind IS NOT NULL
 GROUP BY 1, 2
"""

_ACTIVE = """
SELECT count(*)
  FROM assignment_facts a
 WHERE ($1::text IS NULL OR a.municipality = $1)
   AND a.state IN ('assigned', 'accepted') AND a.supporter_kind IS NOT NULL
"""

#: Places of the supporters available on $2 (today) who serve the area, by organisation and kind.
_CAPACITY_BY_ORGANISATION = """
SELECT s.organisation AS r, s.kind AS c, sum(s.capacity) AS n
  FROM supporter_facts s
 WHERE ($1::text IS NULL OR $1 = ANY(s.municipalities))
   AND (s.availability = 'active' OR s.paused_until <= $2)
 GROUP BY 1, 2
"""

_CAPACITY = """
SELECT coalesce(sum(s.capacity), 0)
  FROM supporter_facts s
 WHERE ($1::text IS NULL OR $1 = ANY(s.municipalities))
   AND (s.availability = 'active' OR s.paused_until <= $2)
"""

_DECLINES_BY_REASON = """
SELECT a.decline_code AS code, min(a.decline_text) AS text, count(*) AS n
  FROM assignment_facts a
 WHERE ($1::text IS NULL OR a.municipality = $1) AND a.declined_at >= $2 AND a.declined_at < $3
 GROUP BY 1
"""

#: Assignments made in the period: declined, and not (yet) declined.
_DECLINE_RATE = """
SELECT count(*) FILTER (WHERE a.declined_at IS NOT NULL) AS declined,
       count(*) FILTER (WHERE a.declined_at IS NULL) AS kept
  FROM assignment_facts a
 WHERE ($1::text IS NULL OR a.municipality = $1) AND a.assigned_at >= $2 AND a.assigned_at < $3
"""


async def active_by_organisation(conn: Conn, area: str | None) -> dict[tuple[str, str], int]:
    return pair_counts(await conn.fetch(_ACTIVE_BY_ORGANISATION, area))


async def active(conn: Conn, area: str | None) -> int:
    return int(await conn.fetchval(_ACTIVE, area))


async def capacity_by_organisation(conn: Conn, area: str | None, today: date) -> dict[tuple[str, str], int]:
    return pair_counts(await conn.fetch(_CAPACITY_BY_ORGANISATION, area, today))


async def capacity(conn: Conn, area: str | None, today: date) -> int:
    return int(await conn.fetchval(_CAPACITY, area, today))


async def declines_by_reason(
    conn: Conn, area: str | None, start: datetime, end: datetime
) -> dict[str, tuple[str, int]]:
    """``{reason code: (its text, declines)}`` of the assignments declined in the period."""
    rows = await conn.fetch(_DECLINES_BY_REASON, area, start, end)
    return {row["code"]: (row["text"], row["n"]) for row in rows}


async def declines(conn: Conn, area: str | None, start: datetime, end: datetime) -> tuple[int, int]:
    """Of the assignments made in the period: how many were declined, and how many not."""
    row = await conn.fetchrow(_DECLINE_RATE, area, start, end)
    assert row is not None
    return row["declined"], row["kept"]


_WITHDRAWALS_BY_REASON = """
SELECT w.reason_code AS code, min(w.reason_text) AS text, count(*) AS n
  FROM withdrawal_facts w
 WHERE ($1::text IS NULL OR w.municipality = $1) AND w.withdrawn_at >= $2 AND w.withdrawn_at < $3
 GROUP BY 1
"""


async def withdrawals_by_reason(
    conn: Conn, area: str | None, start: datetime, end: datetime
) -> dict[str, tuple[str, int]]:
    """``{reason code: (its text, withdrawals)}`` of the questions withdrawn in the period."""
    rows = await conn.fetch(_WITHDRAWALS_BY_REASON, area, start, end)
    return {row["code"]: (row["text"], row["n"]) for row in rows}
