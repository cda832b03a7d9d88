"""The question figures of a report, read from ``question_facts`` (in the caller's snapshot).

Every statement takes ``$1`` the area (a CBS code; NULL: the region), and most the period as the
moments ``$2`` (from) and ``$3`` (until, not included) of receipt.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.kit.db import Conn
from services.reporting.figures.categories import SELF, UNKNOWN
from services.reporting.figures.participation import Person
from services.reporting.figures.questions import Percentiles, QuestionCounts
from services.reporting.store.counting import counts

_BY_MONTH = """
SELECT to_char(q.received_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM') AS k, count(*) AS n
  FROM question_facts q
 WHERE ($1::text IS NULL OR q.municipality = $1) AND q.received_at >= $2 AND q.received_at < $3
 GROUP BY 1
"""

_BY_LIFE_DOMAIN = """
SELECT d AS k, count(*) AS n
  FROM question_facts q, unnest(q.life_domains) d
 WHERE ($1::text IS NULL OR q.municipality = $1) AND q.received_at >= $2 AND q.received_at < $3
 GROUP BY 1
"""

_WITH_LIFE_DOMAINS = """
SELECT count(*)
  FROM question_facts q
 WHERE ($1::text IS NULL OR q.municipality = $1) AND q.received_at >= $2 AND q.received_at < $3
   AND q.life_domains IS NOT NULL
"""

_BY_CHANNEL = """
SELECT q.channel AS k, count(*) AS n
  FROM question_facts q
 WHERE ($1::text IS NULL OR q.municipality = $1) AND q.received_at >= $2 AND q.received_at < $3 AND q.complete
 GROUP BY 1
"""

#: Complete questions by referrer; $4 stands for "no referrer" (the resident came on their own).
_BY_REFERRER = """
SELECT coalesce(q.referrer, $4) AS k, count(*) AS n
  FROM question_facts q
 WHERE ($1::text IS NULL OR q.municipality = $1) AND q.received_at >= $2 AND q.received_at < $3 AND q.complete
 GROUP BY 1
"""

#: Complete questions by how the resident found us; $4 stands for "not given".
_BY_FOUND_VIA = """
SELECT coalesce(q.found_via, $4) AS k, count(*) AS n
  FROM question_facts q
 WHERE ($1::text IS NULL OR q.municipality = $1) AND q.received_at >= $2 AND q.received_at < $3 AND q.complete
 GROUP BY 1
"""

_BY_MUNICIPALITY = """
SELECT q.municipality AS k, count(*) AS n
  FROM question_facts q
 WHERE ($1::text IS NULL OR q.municipality = $1) AND q.received_at >= $2 AND q.received_at < $3
 GROUP BY 1
"""

_BY_STATUS = """
SELECT q.status AS k, count(*) AS n
  FROM question_facts q
 WHERE ($1::text IS NULL OR q.municipality = $1) AND q.received_at >= $2 AND q.received_at < $3
 GROUP BY 1
"""

#: Questions on the waiting list at $2 (now), by how long they have waited: waiting and not taken
#: further. A question whose assignments were all declined is waiting again, whatever its earliest
#: milestones say.
_WAITING_BY_AGE = """
SELECT CASE WHEN $2::timestamptz - coalesce(q.waiting_since, q.received_at) < interval '7 days' THEN 'lt_1w'
            WHEN $2::timestamptz - coalesce(q.waiting_since, q.received_at) < interval '14 days' THEN '1_2w'
            WHEN $2::timestamptz - coalesce(q.waiting_since, q.received_at) < interval '28 days' THEN '2_4w'
            ELSE 'ge_4w' END AS k,
       count(*) AS n
  FROM question_facts q
 WHERE ($1::text IS NULL OR q.municipality = $1)
   AND q.waiting_since IS NOT NULL AND q.ended_at IS NULL
   AND (q.consultation_at IS NULL OR q.consultation_at < q.waiting_since)
   AND NOT EXISTS (SELECT 1 FROM assignment_facts a
                    WHERE a.question_id = q.question_id AND a.state IN ('assigned', 'accepted', 'ended'))
 GROUP BY 1
"""

#: The same waiting list at $2 (now): its size and the median days waited so far.
_WAITING_NOW = """
SELECT count(*) AS n,
       percentile_cont(0.5) WITHIN GROUP
           (ORDER BY extract(epoch FROM $2::timestamptz - coalesce(q.waiting_since, q.received_at)) / 86400) AS median
  FROM question_facts q
 WHERE ($1::text IS NULL OR q.municipality = $1)
   AND q.waiting_since IS NOT NULL AND q.ended_at IS NULL
   AND (q.consultation_at IS NULL OR q.consultation_at < q.waiting_since)
   AND NOT EXISTS (SELECT 1 FROM assignment_facts a
                    WHERE a.question_id = q.question_id AND a.state IN ('assigned', 'accepted', 'ended'))
"""

_HOURS_TO_ASSIGNED = """
SELECT count(*) AS n,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP
           (ORDER BY extract(epoch FROM q.assigned_at - q.received_at) / 3600) AS p
  FROM question_facts q
 WHERE ($1::text IS NULL OR q.municipality = $1) AND q.received_at >= $2 AND q.received_at < $3
   AND q.assigned_at IS NOT NULL
"""

_HOURS_TO_ACCEPTED = """
SELECT count(*) AS n,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP
           (ORDER BY extract(epoch FROM q.accepted_at - q.received_at) / 3600) AS p
  FROM question_facts q
 WHERE ($1::text IS NULL OR q.municipality = $1) AND q.received_at >= $2 AND q.received_at < $3
   AND q.accepted_at IS NOT NULL
"""

_MONTHLY_HOURS_TO_ASSIGNED = """
SELECT to_char(q.received_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM') AS month, count(*) AS n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM q.assigned_at - q.received_at) / 3600) AS m
  FROM question_facts q
 WHERE ($1::text IS NULL OR q.municipality = $1) AND q.received_at >= $2 AND q.received_at < $3
   AND q.assigned_at IS NOT NULL
 GROUP BY 1
"""

_CONSULTATION = """
SELECT count(*) FILTER (WHERE q.consultation_at IS NOT NULL) AS with_c,
       count(*) FILTER (WHERE q.consultation_at IS NULL) AS without_c
  FROM question_facts q
 WHERE ($1::text IS NULL OR q.municipality = $1) AND q.received_at >= $2 AND q.received_at < $3
"""

#: The residents of complete questions, coarsely (representativeness).
_SUPPORTED = """
SELECT q.age_band, q.life_domains, q.municipality
  FROM question_facts q
 WHERE ($1::text IS NULL OR q.municipality = $1) AND q.received_at >= $2 AND q.received_at < $3 AND q.complete
"""


async def question_counts(conn: Conn, area: str | None, start: datetime, end: datetime) -> QuestionCounts:
    return QuestionCounts(
        by_month=counts(await conn.fetch(_BY_MONTH, area, start, end)),
        by_life_domain=counts(await conn.fetch(_BY_LIFE_DOMAIN, area, start, end)),
        with_life_domains=await conn.fetchval(_WITH_LIFE_DOMAINS, area, start, end),
        by_channel=counts(await conn.fetch(_BY_CHANNEL, area, start, end)),
        by_referrer=counts(await conn.fetch(_BY_REFERRER, area, start, end, SELF)),
        by_found_via=counts(await conn.fetch(_BY_FOUND_VIA, area, start, end, UNKNOWN)),
        by_municipality=counts(await conn.fetch(_BY_MUNICIPALITY, area, start, end)),
        by_status=counts(await conn.fetch(_BY_STATUS, area, start, end)),
    )


async def waiting_by_age(conn: Conn, area: str | None, now: datetime) -> dict[str, int]:
    return counts(await conn.fetch(_WAITING_BY_AGE, area, now))


async def waiting_now(conn: Conn, area: str | None, now: datetime) -> tuple[int, float | None]:
    """The waiting list's size and the median days waited so far."""
    row = await conn.fetchrow(_WAITING_NOW, area, now)
    assert row is not None
    return row["n"], row["median"]


async def hours_to_assigned(conn: Conn, area: str | None, start: datetime, end: datetime) -> Percentiles:
    return _percentiles(await conn.fetchrow(_HOURS_TO_ASSIGNED, area, start, end))


async def hours_to_accepted(conn: Conn, area: str | None, start: datetime, end: datetime) -> Percentiles:
    return _percentiles(await conn.fetchrow(_HOURS_TO_ACCEPTED, area, start, end))


def _percentiles(row: asyncpg.Record | None) -> Percentiles:
    assert row is not None
    median, p90 = row["p"] or (None, None)
    return Percentiles(row["n"], median, p90)


async def monthly_hours_to_assigned(
    conn: Conn, area: str | None, start: datetime, end: datetime
) -> dict[str, tuple[int, float | None]]:
    """Per month (``YYYY-MM``) of receipt: the questions that got a supporter, and their median hours."""
    rows = await conn.fetch(_MONTHLY_HOURS_TO_ASSIGNED, area, start, end)
    return {row["month"]: (row["n"], row["m"]) for row in rows}


async def consultations(conn: Conn, area: str | None, start: datetime, end: datetime) -> tuple[int, int]:
    """Questions that went to a joint consultation, and those that did not."""
    row = await conn.fetchrow(_CONSULTATION, area, start, end)
    assert row is not None
    return row["with_c"], row["without_c"]


async def supported_people(conn: Conn, area: str | None, start: datetime, end: datetime) -> list[Person]:
    rows = await conn.fetch(_SUPPORTED, area, start, end)
    return [Person(r["age_band"], tuple(r["life_domains"] or ()), r["municipality"]) for r in rows]
