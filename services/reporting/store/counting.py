"""From grouped rows to counts: what every counting query of the figures returns."""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg


def counts(rows: Iterable[asyncpg.Record]) -> dict[str, int]:
    """``{k: n}`` of rows ``(k, n)``; a NULL ``k`` is left out."""
    return {row["k"]: int(row["n"]) for row in rows if row["k"] is not None}


def pair_counts(rows: Iterable[asyncpg.Record]) -> dict[tuple[str, str], int]:
    """``{(r, c): n}`` of rows ``(r, c, n)``; rows with a NULL ``r`` or ``c`` are left out."""
    return {(row["r"], row["c"]): int(row["n"]) for row in rows if row["r"] is not None and row["c"] is not None}
