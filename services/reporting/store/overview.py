"""The all-time overview's figures of one area ($1, a CBS code; NULL: the region), from kept counts.

The counts per municipality (``question_counts``, ``question_domain_counts``, ``question_hour_counts``)
are kept by triggers as question facts change (migration 013), so reading them costs the same at any
number of questions. The median minutes from receipt to the first assignment is PostgreSQL's
``percentile_cont(0.5)`` over ``minutes_to_assigned``, found without sorting every question: the
hour counts say which hour holds the middle, an index gives the one or two middle values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from services.kit.db import Conn

_COUNTS = """
SELECT {area} AS area,
       coalesce(sum(n), 0)::bigint AS total,
       coalesce(sum(n) FILTER (WHERE with_life_domains), 0)::bigint AS with_life_domains,
       coalesce(sum(n) FILTER (WHERE status IN ('assigned', 'accepted', 'closed')), 0)::bigint AS assigned,
       coalesce(sum(n) FILTER (WHERE status = 'waiting'), 0)::bigint AS waiting,
       coalesce(sum(n) FILTER (WHERE status = 'consultation'), 0)::bigint AS consultation,
       coalesce(sum(n) FILTER (WHERE measured), 0)::bigint AS measured
  FROM question_counts
"""
_QUESTIONS = _COUNTS.format(area="$1::text") + " WHERE $1::text IS NULL OR municipality = $1"
_QUESTIONS_BY_AREA = _COUNTS.format(area="municipality") + " WHERE municipality IS NOT NULL GROUP BY municipality"

_HOURS = "SELECT hour, n FROM question_hour_counts WHERE n <> 0 AND ($1::text IS NULL OR municipality = $1)"
_HOURS_BY_AREA = "SELECT municipality, hour, n FROM question_hour_counts WHERE n <> 0 AND municipality IS NOT NULL"

#: The values of rank $1 and $1 + 1 (from 0) among those of at least $2 minutes, in the region.
_MIDDLE = """
SELECT minutes_to_assigned AS v FROM question_facts
 WHERE minutes_to_assigned >= $2 ORDER BY minutes_to_assigned OFFSET $1 LIMIT 2
"""
#: The same in the municipality $1, from rank $2 among those of at least $3 minutes.
_MIDDLE_IN_AREA = """
SELECT minutes_to_assigned AS v FROM question_facts
 WHERE municipality = $1 AND minutes_to_assigned >= $3 AND minutes_to_assigned IS NOT NULL
 ORDER BY minutes_to_assigned OFFSET $2 LIMIT 2
"""

_DOMAINS = """
SELECT domain, sum(n)::bigint AS n FROM question_domain_counts
 WHERE $1::text IS NULL OR municipality = $1 GROUP BY domain HAVING sum(n) > 0
"""
_DOMAINS_BY_AREA = "SELECT municipality, domain, n FROM question_domain_counts WHERE n > 0 AND municipality IS NOT NULL"

_SIGNALS_BY_AREA = (
    "SELECT municipality, count(*) AS n FROM signal_facts WHERE raised_at IS NOT NULL GROUP BY municipality"
)
#: What :func:`questions` answers for an area without questions.
NO_QUESTIONS: dict[str, Any] = {
    "total": 0,
    "with_life_domains": 0,
    "assigned": 0,
    "waiting": 0,
    "consultation": 0,
    "measured": 0,
    "median_minutes": None,
}

_SIGNALS = "SELECT count(*) FROM signal_facts WHERE raised_at IS NOT NULL AND ($1::text IS NULL OR municipality = $1)"


async def questions(conn: Conn, area: str | None) -> dict[str, Any]:
    """``total``, ``with_life_domains``, ``assigned``, ``waiting``, ``consultation``, ``measured`` (questions
    with both moments) and ``median_minutes`` from receipt to the first assignment (unrounded)."""
    row = await conn.fetchrow(_QUESTIONS, area)
    assert row is not None
    found = {k: v for k, v in row.items() if k != "area"}
    hours = [(r["hour"], r["n"]) for r in await conn.fetch(_HOURS, area)]
    return found | {"median_minutes": await median(conn, area, found["measured"], hours)}


async def questions_by_area(conn: Conn) -> dict[str, dict[str, Any]]:
    """:func:`questions` of every municipality that has questions, keyed by its code."""
    hours: dict[str, list[tuple[int, int]]] = {}
    for row in await conn.fetch(_HOURS_BY_AREA):
        hours.setdefault(row["municipality"], []).append((row["hour"], row["n"]))
    found = {}
    for row in await conn.fetch(_QUESTIONS_BY_AREA):
        if row["total"]:
            counts = {k: v for k, v in row.items() if k != "area"}
            area_hours = hours.get(row["area"], [])
            found[row["area"]] = counts | {
                "median_minutes": await median(conn, row["area"], counts["measured"], area_hours)
            }
    return found


async def median(conn: Conn, area: str | None, measured: int, hours: Iterable[tuple[int, int]]) -> float | None:
    """``percentile_cont(0.5)`` of the ``measured`` values of ``minutes_to_assigned`` in ``area``, whose
    counts per hour are ``hours``; None when there are none."""
    if not measured:
        return None
    position = 0.5 * (measured - 1)
    low_rank = math.floor(position)
    per_hour: dict[int, int] = {}
    for hour, n in hours:  # the region's: several municipalities' counts of the same hour
        per_hour[hour] = per_hour.get(hour, 0) + n
    before, start = 0, None
    for hour, n in sorted(per_hour.items()):
        if before + n > low_rank:
            start = 60 * hour  # the hour's first whole minute: its values are at least that
            break
        before += n
    if start is None:  # the counts do not hold the rank: cannot happen while the triggers keep them
        raise AssertionError(f"hour counts of {area!r} do not add up to {measured}")
    rank = low_rank - before
    rows = await (
        conn.fetch(_MIDDLE, rank, float(start))
        if area is None
        else conn.fetch(_MIDDLE_IN_AREA, area, rank, float(start))
    )
    values = [row["v"] for row in rows]
    low = values[0]
    if position == low_rank:
        return float(low)
    # As PostgreSQL interpolates between the two middle values (float8_lerp).
    return float(low + (values[1] - low) * (position - low_rank))


async def by_life_domain(conn: Conn, area: str | None) -> dict[str, int]:
    return {row["domain"]: int(row["n"]) for row in await conn.fetch(_DOMAINS, area)}


async def signals(conn: Conn, area: str | None) -> int:
    return int(await conn.fetchval(_SIGNALS, area))


async def by_life_domain_by_area(conn: Conn) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for row in await conn.fetch(_DOMAINS_BY_AREA):
        found.setdefault(row["municipality"], {})[row["domain"]] = int(row["n"])
    return found


async def signals_by_area(conn: Conn) -> dict[str, int]:
    return {row["municipality"]: int(row["n"]) for row in await conn.fetch(_SIGNALS_BY_AREA)}
