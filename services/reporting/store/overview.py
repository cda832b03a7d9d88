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
