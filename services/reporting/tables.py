"""The shape of every figure reporting shows, exports or publishes: pure data, no I/O.

Reports are made of two kinds of figure:

- :class:`CountTable` — people (questions, signals, experiences, participants) counted by a row
  category and, optionally, a column category. Row totals, column totals and the grand total are
  part of what is shown, so suppression (``services/reporting/suppression/``) works on the table
  as a whole: a hidden cell must not be derivable from the totals beside it.
- :class:`Statistic` — a figure computed over ``n`` people (a median, a p90, an average score). It is
  shown only when ``n`` reaches the threshold.

The dashboard, the CSV export, the quarterly report and ``StatisticsPublished`` all render
:class:`PublishedTable` / :class:`Statistic` after suppression, never a raw :class:`CountTable`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Final, Literal

#: The column code of a one-dimensional table (one count per row).
SINGLE = "n"
#: The row / column code of totals in exports and published cells.
TOTAL = "total"
#: The suppression threshold when none is configured (``SAMENLOKET_SUPPRESSION_THRESHOLD``).
DEFAULT_THRESHOLD = 10


def suppressed_text(threshold: int) -> str:
    """What a figure hidden because it is small shows: ``<10`` at the default threshold, ``<5`` at threshold 5."""
    return f"<{threshold}"


#: What a small figure shows at the default threshold.
SUPPRESSED = suppressed_text(DEFAULT_THRESHOLD)
#: What a figure hidden only so that a small one cannot be worked out shows (CBS's sign for "geheim").
#: It may be large: it says nothing about its size.
SECONDARY = "×"
#: Why a figure is hidden, as in ``StatisticCell.suppression``.
Suppression = Literal["small", "secondary"]
SMALL_REASON: Suppression = "small"
SECONDARY_REASON: Suppression = "secondary"


def legend(threshold: int) -> str:
    """The Dutch explanation of both markers, for every page, report and export that may show them."""
    return (
        f"{suppressed_text(threshold)}: minder dan {threshold} mensen. "
        f"{SECONDARY}: verborgen, zodat u een klein aantal niet kunt uitrekenen."
    )


#: Units that read differently after exactly 1 ("1 werkdag", "1 dag"); "uur" and "%" stay as they are.
SINGULAR_UNITS: Final[dict[str, str]] = {"dagen": "dag", "werkdagen": "werkdag"}


@dataclass(frozen=True)
class Period:
    """A reporting period: ``start`` up to and including ``end``."""

    start: date
    end: date


@dataclass(frozen=True)
class CountTable:
    """Counts by ``rows`` × ``columns``; a one-dimensional table has ``columns == (SINGLE,)``.

    ``counts`` may leave cells out (they are zero). ``labels`` maps codes to Dutch labels.
    ``additive`` says whether the row totals are the sum of the cells (false when one person may
    be counted in several columns, e.g. a question with two life domains): totals of a
    non-additive table come from ``row_totals`` / ``column_totals`` / ``grand_total``.
    ``people`` is false for counts that are not people (capacity slots, signals as reports): those
    are shown as they are.
    """

    key: str
    title: str
    row_label: str
    rows: tuple[str, ...]
    columns: tuple[str, ...] = (SINGLE,)
    column_label: str | None = None
    counts: Mapping[tuple[str, str], int] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    additive: bool = True
    row_totals: Mapping[str, int] | None = None
    column_totals: Mapping[str, int] | None = None
    grand_total: int | None = None
    people: bool = True

    def count(self, row: str, column: str = SINGLE) -> int:
        return self.counts.get((row, column), 0)

    def row_total(self, row: str) -> int:
        if self.row_totals is not None:
            return self.row_totals.get(row, 0)
        return sum(self.count(row, c) for c in self.columns)

    def column_total(self, column: str) -> int:
        if self.column_totals is not None:
            return self.column_totals.get(column, 0)
        return sum(self.count(r, column) for r in self.rows)

    def total(self) -> int:
        if self.grand_total is not None:
            return self.grand_total
        return sum(self.count(r, c) for r in self.rows for c in self.columns)

    def label(self, code: str) -> str:
        return self.labels.get(code, code)


@dataclass(frozen=True)
class Shown:
    """One figure as the audience sees it: its value, ``<threshold>`` (e.g. ``<10``) when hidden because it is
    small, or ``×`` when hidden only so that a small figure cannot be worked out (``secondary``)."""

    value: int | None
    suppressed: bool = False
    #: The threshold it was suppressed with: what a small hidden figure says (``<10``, ``<5``).
    threshold: int = DEFAULT_THRESHOLD
    #: Hidden although it is not small (it may be any size from the threshold up).
    secondary: bool = False

    @property
    def suppression(self) -> Suppression | None:
        """``"small"``, ``"secondary"`` or ``None`` (shown)."""
        if not (self.suppressed or self.value is None):
            return None
        return SECONDARY_REASON if self.secondary else SMALL_REASON

    @property
    def display(self) -> str:
        reason = self.suppression
        if reason is None:
            return str(self.value)
        return SECONDARY if reason == SECONDARY_REASON else suppressed_text(self.threshold)


@dataclass(frozen=True)
class PublishedTable:
    """A :class:`CountTable` after suppression: every cell and total as it may be shown."""

    table: CountTable
    cells: Mapping[tuple[str, str], Shown]
    row_totals: Mapping[str, Shown]
    column_totals: Mapping[str, Shown]
    total: Shown

    def cell(self, row: str, column: str = SINGLE) -> Shown:
        return self.cells[(row, column)]


@dataclass(frozen=True)
class Statistic:
    """A figure derived from counts of people: a median, a p90, an average score, a rate.

    ``counts`` are the people counts the figure reveals something about: ``(n,)`` for a median over
    n people; ``(part, rest)`` for a rate (a rate of 3 in 50 reveals the 3). The figure is hidden
    when any of them is between 1 and the threshold. ``value`` is ``None`` when nothing was measured.
    """

    key: str
    title: str
    value: float | None
    counts: tuple[int, ...]
    unit: str = ""
    #: Hidden whatever its counts: set by linked suppression when the figure would reveal a count
    #: hidden elsewhere (see ``suppression.publish_linked``).
    withheld: bool = False

    def hidden(self, threshold: int) -> bool:
        return self.withheld or self.small(threshold)

    def small(self, threshold: int) -> bool:
        """Hidden because it is about a small count (shown as ``<threshold>``)."""
        return any(0 < c < threshold for c in self.counts)

    def suppression(self, threshold: int) -> Suppression | None:
        """``"small"``, ``"secondary"`` (withheld only so that a hidden count elsewhere cannot be worked out)
        or ``None`` (shown)."""
        if self.small(threshold):
            return SMALL_REASON
        return SECONDARY_REASON if self.withheld else None

    def display(self, threshold: int) -> str:
        reason = self.suppression(threshold)
        if reason is not None:
            return suppressed_text(threshold) if reason == SMALL_REASON else SECONDARY
        if self.value is None:
            return "–"
        text = f"{self.value:.1f}".replace(".", ",") if self.value % 1 else str(int(self.value))
        unit = SINGULAR_UNITS.get(self.unit, self.unit) if self.value == 1 else self.unit
        return f"{text} {unit}".rstrip()


@dataclass(frozen=True)
class Report:
    """Every figure for one area (a municipality's CBS code, or ``None`` for the region) and period.

    ``trends`` holds series for charts, e.g. ``trends["days_to_assigned_median"]``: one
    :class:`Statistic` per month, its ``key`` the month (``2026-03``).
    """

    area: str | None
    period: Period
    tables: tuple[CountTable, ...]
    statistics: tuple[Statistic, ...] = ()
    trends: Mapping[str, tuple[Statistic, ...]] = field(default_factory=dict)

    def table(self, key: str) -> CountTable:
        return next(t for t in self.tables if t.key == key)

    def statistic(self, key: str) -> Statistic:
        return next(s for s in self.statistics if s.key == key)
