"""A table as suppression sees it: its figures, the lines (relations) between them, and the table as
published once some figures are hidden. Pure rules, no I/O; see :mod:`services.reporting.suppression`."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from services.reporting.tables import (
    SINGLE,
    TOTAL,
    CountTable,
    PublishedTable,
    Report,
    Shown,
    Statistic,
)

#: A figure of a table: ``(row, column)``; totals use :data:`TOTAL` (``(TOTAL, TOTAL)`` is the grand
#: total). A one-dimensional table has cells ``(row, SINGLE)`` and its total ``(TOTAL, SINGLE)``.
#: In linked suppression a figure is ``(area, row, column)``, the region's area :data:`REGION`.
Key = tuple[str, ...]

#: The area code of the region in linked figures.
REGION = "region"


@dataclass(frozen=True)
class PublishedReport:
    """A :class:`Report` after suppression: what every audience may see."""

    report: Report
    tables: tuple[PublishedTable, ...]  # same order as report.tables
    threshold: int

    def table(self, key: str) -> PublishedTable:
        return next(t for t in self.tables if t.table.key == key)

    @property
    def statistics(self) -> tuple[Statistic, ...]:
        return self.report.statistics

    def statistic_display(self, key: str) -> str:
        """The statistic as shown: its value, or ``<threshold>`` when it would reveal a small count."""
        return self.report.statistic(key).display(self.threshold)


def check_threshold(threshold: int) -> None:
    if threshold < 1:
        raise ValueError(f"the suppression threshold must be at least 1, got {threshold}")


@dataclass(frozen=True)
class Line:
    """``parts`` and the ``total`` they make up. ``exact``: the parts add up to the total.

    An inexact line (non-additive table) only tells that each part is at most the total and the
    total at most the sum of the parts.
    """

    total: Key
    parts: tuple[Key, ...]
    exact: bool

    @property
    def members(self) -> tuple[Key, ...]:
        return (*self.parts, self.total)


def one_dimensional(table: CountTable) -> bool:
    return table.columns == (SINGLE,)


def figures(table: CountTable) -> dict[Key, int]:
    """Every figure the table shows, in a fixed order: cells row by row, row totals, column totals, grand total."""
    values: dict[Key, int]
    if one_dimensional(table):
        values = {(r, SINGLE): table.count(r) for r in table.rows}
        values[(TOTAL, SINGLE)] = table.total()
        return values
    values = {(r, c): table.count(r, c) for r in table.rows for c in table.columns}
    values.update({(r, TOTAL): table.row_total(r) for r in table.rows})
    values.update({(TOTAL, c): table.column_total(c) for c in table.columns})
    values[(TOTAL, TOTAL)] = table.total()
    return values


def lines(table: CountTable, values: Mapping[Key, int]) -> list[Line]:
    """The relations between the figures an attacker may use."""
    if one_dimensional(table):
        candidates = [((TOTAL, SINGLE), tuple((r, SINGLE) for r in table.rows))]
    else:
        candidates = [((r, TOTAL), tuple((r, c) for c in table.columns)) for r in table.rows]
        candidates += [((TOTAL, c), tuple((r, c) for r in table.rows)) for c in table.columns]
        candidates.append(((TOTAL, TOTAL), tuple((r, TOTAL) for r in table.rows)))
        candidates.append(((TOTAL, TOTAL), tuple((TOTAL, c) for c in table.columns)))
    result = []
    for total, parts in candidates:
        adds_up = values[total] == sum(values[p] for p in parts)
        result.append(Line(total, parts, exact=table.additive or adds_up))
    return result


def small(value: int, threshold: int) -> bool:
    """Whether ``value`` is a count primary suppression hides: 1 up to the threshold."""
    return 0 < value < threshold


def zeros_hidden(values: Mapping[Key, int], hidden: Collection[Key]) -> bool:
    """Whether a zero had to be hidden (as ``<threshold``): then no ``<threshold`` figure is known to be non-zero.

    Only when nothing else is left: a small total over as many small parts as it can hold (a total ``<5``
    over four parts ``<5``) pins every part to 1 while zeros are shown.
    """
    return any(values[key] == 0 for key in hidden)


def with_hidden(table: CountTable, hidden: set[Key], threshold: int) -> PublishedTable:
    """``table`` with the figures ``hidden`` shown as ``<threshold>`` (small) or ``×`` (secondary, not small)
    and every other one as it is."""
    values = figures(table)
    shown = {
        key: Shown(None, suppressed=True, threshold=threshold, secondary=value >= threshold)
        if key in hidden
        else Shown(value)
        for key, value in values.items()
    }
    return _published(table, shown)


def _published(table: CountTable, shown: Mapping[Key, Shown]) -> PublishedTable:
    if one_dimensional(table):
        cells = {(r, SINGLE): shown[(r, SINGLE)] for r in table.rows}
        total = shown[(TOTAL, SINGLE)]
        return PublishedTable(
            table=table,
            cells=cells,
            row_totals={r: cells[(r, SINGLE)] for r in table.rows},
            column_totals={SINGLE: total},
            total=total,
        )
    return PublishedTable(
        table=table,
        cells={(r, c): shown[(r, c)] for r in table.rows for c in table.columns},
        row_totals={r: shown[(r, TOTAL)] for r in table.rows},
        column_totals={c: shown[(TOTAL, c)] for c in table.columns},
        total=shown[(TOTAL, TOTAL)],
    )
