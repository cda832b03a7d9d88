"""Signals, experiences and council meetings of a report, read from their facts (in the caller's snapshot).

Every statement takes ``$1`` the area (a CBS code; NULL: the region) and the period: ``$2`` (from)
and ``$3`` (until, not included) as moments, or as the first and last day for meetings.
"""

from __future__ import annotations

from datetime import date, datetime

from services.kit.db import Conn
from services.reporting.figures.categories import UNKNOWN
from services.reporting.figures.participation import Person
from services.reporting.store.counting import counts, pair_counts

_SIGNALS_BY_THEME = """
SELECT s.theme AS r, s.status AS c, count(*) AS n
  FROM signal_facts s
 WHERE ($1::text IS NULL OR s.municipality = $1) AND s.raised_at >= $2 AND s.raised_at < $3
 GROUP BY 1, 2
"""

_DAYS_TO_ANSWER = """
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.answered_at - s.raised_at) / 86400)
  FROM signal_facts s
 WHERE ($1::text IS NULL OR s.municipality = $1) AND s.raised_at >= $2 AND s.raised_at < $3
   AND s.answered_at IS NOT NULL
"""

#: Answers by statement: one row per (experience, statement), the statement named by its field.
_ANSWERS = """
SELECT a.statement AS r, a.answer AS c, count(*) AS n
  FROM experience_facts e
 CROSS JOIN LATERAL (VALUES ('knew_where_to_go', e.knew_where_to_go),
                            ('helped_quickly', e.helped_quickly),
                            ('supporter_on_my_side', e.supporter_on_my_side)) AS a(statement, answer)
 WHERE ($1::text IS NULL OR e.municipality = $1) AND e.shared_at >= $2 AND e.shared_at < $3
 GROUP BY 1, 2
"""

#: Per answer: the experiences that gave it to at least one statement.
_SHARING_ANSWER = """
SELECT a.answer AS k, count(DISTINCT e.experience_id) AS n
  FROM experience_facts e
 CROSS JOIN LATERAL (VALUES (e.knew_where_to_go), (e.helped_quickly), (e.supporter_on_my_side)) AS a(answer)
 WHERE ($1::text IS NULL OR e.municipality = $1) AND e.shared_at >= $2 AND e.shared_at < $3
 GROUP BY 1
"""

#: The experiences that answered any statement.
_ANSWERING = """
SELECT count(*)
  FROM experience_facts e
 WHERE ($1::text IS NULL OR e.municipality = $1) AND e.shared_at >= $2 AND e.shared_at < $3
   AND (e.knew_where_to_go IS NOT NULL OR e.helped_quickly IS NOT NULL OR e.supporter_on_my_side IS NOT NULL)
"""

_SCORE = """
SELECT count(*) AS n, avg(e.score) AS average
  FROM experience_facts e
 WHERE ($1::text IS NULL OR e.municipality = $1) AND e.shared_at >= $2 AND e.shared_at < $3
"""

#: Experiences per supporting organisation by score band ($4: the code of an unknown organisation).
_SCORES_BY_ORGANISATION = """
SELECT coalesce(e.organisation, $4) AS r,
       CASE WHEN e.score <= 5 THEN 'low' WHEN e.score <= 7 THEN 'middle' ELSE 'high' END AS c, count(*) AS n
  FROM experience_facts e
 WHERE ($1::text IS NULL OR e.municipality = $1) AND e.shared_at >= $2 AND e.shared_at < $3
 GROUP BY 1, 2
"""

#: Statement answers per supporting organisation, the column named ``<statement>:<answer>``.
_STATEMENTS_BY_ORGANISATION = """
SELECT coalesce(e.organisation, $4) AS r, a.statement || ':' || a.answer AS c, count(*) AS n
  FROM experience_facts e
 CROSS JOIN LATERAL (VALUES ('knew_where_to_go', e.knew_where_to_go),
                            ('helped_quickly', e.helped_quickly),
                            ('supporter_on_my_side', e.supporter_on_my_side)) AS a(statement, answer)
 WHERE ($1::text IS NULL OR e.municipality = $1) AND e.shared_at >= $2 AND e.shared_at < $3
   AND a.answer IS NOT NULL
 GROUP BY 1, 2
"""

#: The residents who shared an experience, coarsely (representativeness).
_SHARING = """
SELECT e.age_band, e.life_domains, e.municipality
  FROM experience_facts e
 WHERE ($1::text IS NULL OR e.municipality = $1) AND e.shared_at >= $2 AND e.shared_at < $3
"""

#: Residents who took part in council meetings held in the period ($2 first day, $3 last day).
_MEETING_RESIDENTS = """
SELECT p->>'age_band' AS age_band,
       ARRAY(SELECT jsonb_array_elements_text(p->'life_domains')) AS life_domains,
       coalesce(p->>'municipality', m.municipality) AS municipality
  FROM meeting_facts m, jsonb_array_elements(m.participants) p
 WHERE p->>'role' = 'resident' AND m.held_on >= $2 AND m.held_on <= $3
   AND ($1::text IS NULL OR coalesce(p->>'municipality', m.municipality) = $1)
"""


async def signals_by_theme(conn: Conn, area: str | None, start: datetime, end: datetime) -> dict[tuple[str, str], int]:
    return pair_counts(await conn.fetch(_SIGNALS_BY_THEME, area, start, end))


async def days_to_answer(conn: Conn, area: str | None, start: datetime, end: datetime) -> float | None:
    """The median days from raising a signal to its answer."""
    median: float | None = await conn.fetchval(_DAYS_TO_ANSWER, area, start, end)
    return median


async def answers(conn: Conn, area: str | None, start: datetime, end: datetime) -> dict[tuple[str, str], int]:
    """``{(statement, answer): n}`` of the experiences shared in the period."""
    return pair_counts(await conn.fetch(_ANSWERS, area, start, end))


async def sharing_answer(conn: Conn, area: str | None, start: datetime, end: datetime) -> dict[str, int]:
    """``{answer: experiences that gave it at least once}``."""
    return counts(await conn.fetch(_SHARING_ANSWER, area, start, end))


async def answering(conn: Conn, area: str | None, start: datetime, end: datetime) -> int:
    return int(await conn.fetchval(_ANSWERING, area, start, end))


async def score(conn: Conn, area: str | None, start: datetime, end: datetime) -> tuple[int, float | None]:
    """The number of experiences and their average mark."""
    row = await conn.fetchrow(_SCORE, area, start, end)
    assert row is not None
    return row["n"], row["average"]


async def sharing_people(conn: Conn, area: str | None, start: datetime, end: datetime) -> list[Person]:
    rows = await conn.fetch(_SHARING, area, start, end)
    return [Person(r["age_band"], tuple(r["life_domains"]), r["municipality"]) for r in rows]


async def meeting_residents(conn: Conn, area: str | None, first_day: date, last_day: date) -> list[Person]:
    rows = await conn.fetch(_MEETING_RESIDENTS, area, first_day, last_day)
    return [Person(r["age_band"], tuple(r["life_domains"]), r["municipality"]) for r in rows]


async def scores_by_organisation(
    conn: Conn, area: str | None, start: datetime, end: datetime
) -> dict[tuple[str, str], int]:
    return pair_counts(await conn.fetch(_SCORES_BY_ORGANISATION, area, start, end, UNKNOWN))


async def statements_by_organisation(
    conn: Conn, area: str | None, start: datetime, end: datetime
) -> dict[tuple[str, str], int]:
    return pair_counts(await conn.fetch(_STATEMENTS_BY_ORGANISATION, area, start, end, UNKNOWN))
