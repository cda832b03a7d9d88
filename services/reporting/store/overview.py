"""The all-time overview's figures of one area ($1, a CBS code; NULL: the region), from the read models."""

from __future__ import annotations

from typing import Any

from services.kit.db import Conn

_QUESTIONS = """
SELECT count(*) AS total,
       count(*) FILTER (WHERE life_domains IS NOT NULL) AS with_life_domains,
       count(*) FILTER (WHERE status IN ('assigned', 'accepted', 'closed')) AS assigned,
       count(*) FILTER (WHERE status = 'waiting') AS waiting,
       count(*) FILTER (WHERE status = 'consultation') AS consultation,
       count(*) FILTER (WHERE assigned_at IS NOT NULL AND received_at IS NOT NULL) AS measured,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM assigned_at - received_at) / 60)
           FILTER (WHERE assigned_at IS NOT NULL AND received_at IS NOT NULL) AS median_minutes
  FROM question_facts
 WHERE $1::text IS NULL OR municipality = $1
"""

_DOMAINS = """
SELECT domain, count(*) AS n
  FROM question_facts, unnest(life_domains) AS domain
 WHERE $1::text IS NULL OR municipality = $1
 GROUP BY domain
"""

#: The same figures for every municipality at once (one scan instead of one per municipality).
_QUESTIONS_BY_AREA = _QUESTIONS.replace("SELECT count(*) AS total", "SELECT municipality, count(*) AS total").replace(
    " WHERE $1::text IS NULL OR municipality = $1", " GROUP BY municipality"
)
_DOMAINS_BY_AREA = """
SELECT municipality, domain, count(*) AS n
  FROM question_facts, unnest(life_domains) AS domain
 GROUP BY municipality, domain
"""
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
    return dict(row)


async def by_life_domain(conn: Conn, area: str | None) -> dict[str, int]:
    return {row["domain"]: row["n"] for row in await conn.fetch(_DOMAINS, area)}


async def signals(conn: Conn, area: str | None) -> int:
    return int(await conn.fetchval(_SIGNALS, area))


async def questions_by_area(conn: Conn) -> dict[str, dict[str, Any]]:
    """:func:`questions` of every municipality that has questions, keyed by its code."""
    return {
        row["municipality"]: {k: v for k, v in row.items() if k != "municipality"}
        for row in await conn.fetch(_QUESTIONS_BY_AREA)
    }


async def by_life_domain_by_area(conn: Conn) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for row in await conn.fetch(_DOMAINS_BY_AREA):
        found.setdefault(row["municipality"], {})[row["domain"]] = row["n"]
    return found


async def signals_by_area(conn: Conn) -> dict[str, int]:
    return {row["municipality"]: int(row["n"]) for row in await conn.fetch(_SIGNALS_BY_AREA)}
