"""The small shapes the figure modules share: a one-column table, a rate, a rounded value."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.reporting.tables import SINGLE, CountTable, Statistic


def one_dimensional(
    key: str, title: str, row_label: str, rows: Iterable[str], counts: Mapping[str, int], labels: Mapping[str, str]
) -> CountTable:
    return CountTable(
        key=key,
        title=title,
        row_label=row_label,
        rows=tuple(rows),
        counts={(row, SINGLE): n for row, n in counts.items()},
        labels=dict(labels),
    )


def rate(key: str, title: str, part: int, rest: int) -> Statistic:
    """``part`` as a percentage of ``part + rest``; both counts are what the rate reveals."""
    total = part + rest
    value = rounded(100 * part / total) if total else None
    return Statistic(key, title, value, (part, rest), "%")


def rounded(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)
