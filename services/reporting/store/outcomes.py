"""How assignments went, read from ``assignment_facts``: first contact, declines and ends, per organisation and
per supporter kind.

Every statement takes ``$1`` the area (a CBS code; NULL: the region) and the period as the moments ``$2``
(from) and ``$3`` (until, not included). First contact is about the assignments *made* in the period (those
declined before any contact left out) and takes ``$4`` today (Dutch date): a term whose last day is before
today is over. Declines count by the moment of declining, ends by the moment support ended.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from services.kit.db import Conn
from services.reporting.figures.categories import UNKNOWN
from services.reporting.store.counting import pair_counts

#: How soon first contact came, as a column code of ``FIRST_CONTACT``.
_CONTACT_CLASS = """
CASE WHEN a.first_contact_on IS NOT NULL AND a.first_contact_on <= a.first_contact_due_on THEN 'within'
     WHEN a.first_contact_on IS NOT NULL THEN 'later'
     WHEN a.ended_at IS NOT NULL OR a.first_contact_due_on < $4 THEN 'missing'
     ELSE 'pending' END
"""

_CONTACTED_IN = """
  FROM assignment_facts a
 WHERE ($1::text IS NULL OR a.municipality = $1) AND a.assigned_at >= $2 AND a.assigned_at < $3
   AND NOT (a.declined_at IS NOT NULL AND a.first_contact_on IS NULL)
"""

_FIRST_CONTACT_BY_ORGANISATION = (
    f"SELECT a.organisation AS r, {_CONTACT_CLASS} AS c, count(*) AS n {_CONTACTED_IN} GROUP BY 1, 2"
)

#: By supporter kind; $5 stands for "not known".
_FIRST_CONTACT_BY_KIND = (
    f"SELECT coalesce(a.supporter_kind, $5) AS r, {_CONTACT_CLASS} AS c, count(*) AS n {_CONTACTED_IN} GROUP BY 1, 2"
)

_FIRST_CONTACT = f"""
SELECT count(*) FILTER (WHERE a.first_contact_on IS NOT NULL) AS contacted,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY a.first_contact_working_days)
           FILTER (WHERE a.first_contact_on IS NOT NULL) AS median,
       count(*) FILTER (WHERE {_CONTACT_CLASS} = 'within') AS within,
       count(*) FILTER (WHERE {_CONTACT_CLASS} IN ('later', 'missing')) AS late
{_CONTACTED_IN}
"""

_DECLINED_IN = """
  FROM assignment_facts a
 WHERE ($1::text IS NULL OR a.municipality = $1) AND a.declined_at >= $2 AND a.declined_at < $3
"""

_DECLINES_BY_ORGANISATION = (
    f"SELECT a.organisation AS r, a.decline_code AS c, count(*) AS n {_DECLINED_IN} GROUP BY 1, 2"
)
#: $4 stands for "not known".
_DECLINES_BY_KIND = (
    f"SELECT coalesce(a.supporter_kind, $4) AS r, a.decline_code AS c, count(*) AS n {_DECLINED_IN} GROUP BY 1, 2"
)
_DECLINE_TEXTS = f"SELECT a.decline_code AS code, min(a.decline_text) AS text {_DECLINED_IN} GROUP BY 1"

#: Ends in the period; $4 stands for "not known" (a kind, or an end without a reason).
_ENDED_IN = """
  FROM assignment_facts a
 WHERE ($1::text IS NULL OR a.municipality = $1) AND a.ended_at >= $2 AND a.ended_at < $3
"""
_OUTCOMES_BY_ORGANISATION = (
    f"SELECT a.organisation AS r, coalesce(a.end_code, $4) AS c, count(*) AS n {_ENDED_IN} GROUP BY 1, 2"
)
_OUTCOMES_BY_KIND = f"""
SELECT coalesce(a.supporter_kind, $4) AS r, coalesce(a.end_code, $4) AS c, count(*) AS n {_ENDED_IN} GROUP BY 1, 2
"""

Counts = dict[tuple[str, str], int]


class FirstContact(NamedTuple):
    """Of the assignments made in the period: how many had first contact and their median working days, and
    how many were reached within 3 working days against how many later or not at all (term over)."""

    contacted: int
    median_days: float | None
    within: int
    late: int


async def first_contact_by_organisation(
    conn: Conn, area: str | None, start: datetime, end: datetime, today: date
) -> Counts:
    return pair_counts(await conn.fetch(_FIRST_CONTACT_BY_ORGANISATION, area, start, end, today))


async def first_contact_by_kind(conn: Conn, area: str | None, start: datetime, end: datetime, today: date) -> Counts:
    return pair_counts(await conn.fetch(_FIRST_CONTACT_BY_KIND, area, start, end, today, UNKNOWN))


async def first_contact(conn: Conn, area: str | None, start: datetime, end: datetime, today: date) -> FirstContact:
    row = await conn.fetchrow(_FIRST_CONTACT, area, start, end, today)
    assert row is not None
    return FirstContact(row["contacted"], row["median"], row["within"], row["late"])


async def declines_by_organisation(conn: Conn, area: str | None, start: datetime, end: datetime) -> Counts:
    return pair_counts(await conn.fetch(_DECLINES_BY_ORGANISATION, area, start, end))


async def declines_by_kind(conn: Conn, area: str | None, start: datetime, end: datetime) -> Counts:
    return pair_counts(await conn.fetch(_DECLINES_BY_KIND, area, start, end, UNKNOWN))


async def decline_texts(conn: Conn, area: str | None, start: datetime, end: datetime) -> dict[str, str]:
    """The standard sentence of each decline reason code given in the period (names codes without a label)."""
    return {row["code"]: row["text"] for row in await conn.fetch(_DECLINE_TEXTS, area, start, end) if row["code"]}


async def outcomes_by_organisation(conn: Conn, area: str | None, start: datetime, end: datetime) -> Counts:
    return pair_counts(await conn.fetch(_OUTCOMES_BY_ORGANISATION, area, start, end, UNKNOWN))


async def outcomes_by_kind(conn: Conn, area: str | None, start: datetime, end: datetime) -> Counts:
    return pair_counts(await conn.fetch(_OUTCOMES_BY_KIND, area, start, end, UNKNOWN))
