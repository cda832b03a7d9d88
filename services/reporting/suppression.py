"""Small-number suppression: what of a report may be shown without revealing a count below the threshold.

Pure rules, no I/O. Every dashboard, export, quarterly report and ``StatisticsPublished`` goes through
:func:`publish`; nothing renders a raw :class:`~services.reporting.tables.CountTable`.

**Primary suppression.** In a table of people every count with ``0 < n < threshold`` is hidden:
cells, row totals, column totals and the grand total alike. Zero is shown (it reveals nobody).
Tables that do not count people (``people=False``) are shown as they are.

**Secondary suppression.** A hidden count must not be derivable from what is shown. A table is a
set of *lines*: each row with its row total, each column with its column total, and the totals
row / column with the grand total. In an additive line the parts add up to the total, so a line
with exactly one hidden figure gives it away; the first pass hides a second figure in every such
line (the smallest non-zero one, so as little as possible disappears) and repeats until stable.

That rule is not always enough. An attacker also knows that counts are not negative and that a
hidden count is never zero (zero is always shown). Two hidden cells whose sum is 2 are both 1;
a 2×2 block of hidden cells can be pinned by the totals around it. So the second pass asks a
linear program for the range every hidden figure can take given everything shown
(:meth:`AttackerSystem.feasible_range`), and while some figure has only one possible whole value it hides one
more figure in a line of that figure and starts over. This terminates: in the worst case every
non-zero figure is hidden, and then every solution can be scaled up, so nothing is pinned.

**Non-additive tables** (one person counted in several columns, e.g. a question with two life
domains) have row totals and a grand total that are counts of their own, not sums. Those figures
get primary suppression like any other count. For the lines the attacker knows less: every part
is at most the total, and the total is at most the sum of the parts (everyone is counted in at
least one part). When the figures of such a line happen to add up anyway, we treat the line as an
equation: that gives the attacker more than they can know, so it only errs on the safe side. The
range check works with these inequalities too, so "one hidden cell whose line pins it" is caught
there.

**Scope.** Each table is protected on its own. A figure that also appears elsewhere (the same
total in two tables of a report; a municipality's own total and its row in the region's
"per gemeente" table) is only safe if it is hidden in both places or in neither. Primary
suppression is consistent by itself (it depends on the value only), and a total is hidden as
secondary only when its line offers no smaller figure; but a secondarily hidden row of one table
can still be shown in another table or report. Whoever composes overlapping tables must keep
that in mind (see the region report's table per municipality).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linprog

from contracts.events import StatisticCell
from services.reporting.tables import SINGLE, TOTAL, CountTable, PublishedTable, Report, Shown, Statistic

#: A figure of a table: ``(row, column)``; totals use :data:`TOTAL` (``(TOTAL, TOTAL)`` is the grand
#: total). A one-dimensional table has cells ``(row, SINGLE)`` and its total ``(TOTAL, SINGLE)``.
Key = tuple[str, str]

#: The ``table`` of statistics in :func:`cells`, and the ``column`` they use.
STATISTICS_TABLE = "statistics"
STATISTICS_COLUMN = "value"

#: Slack for comparing LP optima with whole numbers.
_EPSILON = 1e-6


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
        """The statistic as shown: its value, or ``<10`` when it would reveal a small count."""
        return self.report.statistic(key).display(self.threshold)


def publish(report: Report, threshold: int) -> PublishedReport:
    """Suppress every table of ``report`` (statistics hide themselves, see ``Statistic.display``)."""
    check_threshold(threshold)
    return PublishedReport(report, tuple(suppress(t, threshold) for t in report.tables), threshold)


def check_threshold(threshold: int) -> None:
    if threshold < 1:
        raise ValueError(f"the suppression threshold must be at least 1, got {threshold}")


# --- the table as figures and lines ---------------------------------------------------------------


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


# --- suppression -----------------------------------------------------------------------------------


def suppress(table: CountTable, threshold: int) -> PublishedTable:
    """``table`` as it may be shown: small counts hidden, and whatever would reveal them."""
    check_threshold(threshold)
    values = figures(table)
    hidden = hidden_figures(table, values, threshold) if table.people else set()
    shown = {key: Shown(None, suppressed=True) if key in hidden else Shown(value) for key, value in values.items()}
    return _published(table, shown)


def hidden_figures(table: CountTable, values: Mapping[Key, int], threshold: int) -> set[Key]:
    """Primary suppression, then secondary until no hidden figure can be worked out."""
    relations = lines(table, values)
    order = {key: index for index, key in enumerate(values)}
    hidden = {key for key, value in values.items() if 0 < value < threshold}
    hide_second_in_lines(relations, values, hidden, order)
    settled: set[Key] = set()
    while (pinned := first_pinned(relations, values, hidden, settled)) is not None:
        hidden.add(extra_for(pinned, relations, values, hidden, order))
        hide_second_in_lines(relations, values, hidden, order)
    return hidden


def hide_second_in_lines(
    relations: Sequence[Line], values: Mapping[Key, int], hidden: set[Key], order: Mapping[Key, int]
) -> None:
    """Every exact line holding one hidden figure gets a second one, until stable (changes ``hidden``)."""
    changed = True
    while changed:
        changed = False
        for line in relations:
            if not line.exact or sum(m in hidden for m in line.members) != 1:
                continue
            hidden.add(_smallest_shown(line.members, values, hidden, order, relations))
            changed = True


def _smallest_shown(
    candidates: Iterable[Key],
    values: Mapping[Key, int],
    hidden: set[Key],
    order: Mapping[Key, int],
    relations: Sequence[Line],
) -> Key:
    """The shown non-zero figure to hide next: the smallest; on a tie, one that also completes another
    line holding a single hidden figure; then the first in table order."""
    options = [k for k in candidates if k not in hidden and values[k] > 0]
    if not options:
        raise ValueError("no figure left to hide")  # impossible: a line with a hidden count has a non-zero total

    def lonely_lines(key: Key) -> int:
        return sum(1 for line in relations if key in line.members and sum(m in hidden for m in line.members) == 1)

    return min(options, key=lambda k: (values[k], -lonely_lines(k), order[k]))


def extra_for(
    pinned: Key, relations: Sequence[Line], values: Mapping[Key, int], hidden: set[Key], order: Mapping[Key, int]
) -> Key:
    """The figure to hide so that ``pinned`` can no longer be worked out: the smallest shown one in a
    line of ``pinned``, or, if those lines are fully hidden, the smallest shown one in the table."""
    near = [m for line in relations if pinned in line.members for m in line.members]
    if any(k not in hidden and values[k] > 0 for k in near):
        return _smallest_shown(near, values, hidden, order, relations)
    return _smallest_shown(values, values, hidden, order, relations)


def first_pinned(
    relations: Sequence[Line], values: Mapping[Key, int], hidden: set[Key], settled: set[Key] | None = None
) -> Key | None:
    """The first hidden figure that has only one possible whole value, or ``None``.

    ``settled`` (updated here) holds figures already found to keep several values. Hiding more
    never narrows a range (every earlier solution stays one, with the true value of the newly
    hidden figure), so those need no second look.
    """
    settled = set() if settled is None else settled
    system = AttackerSystem.build(relations, values, hidden)
    for key in system.variables:
        if key in settled:
            continue
        low, high = system.feasible_range(key)
        if pins(low, high):
            return key
        settled.add(key)
    return None


def pins(low: float, high: float) -> bool:
    """Whether the range ``[low, high]`` (``high`` may be infinite) holds at most one whole number."""
    if math.isinf(high):
        return False
    return math.floor(high + _EPSILON) <= math.ceil(low - _EPSILON)


@dataclass(frozen=True)
class AttackerSystem:
    """What an attacker knows about the hidden figures, as a linear program.

    Variables are the hidden figures, each at least 1 (zero is always shown). Shown figures are
    constants. Exact lines are equations; inexact lines give ``part ≤ total ≤ sum(parts)``.
    """

    variables: tuple[Key, ...]
    a_eq: np.ndarray
    b_eq: np.ndarray
    a_ub: np.ndarray
    b_ub: np.ndarray

    @classmethod
    def build(cls, relations: Sequence[Line], values: Mapping[Key, int], hidden: set[Key]) -> AttackerSystem:
        variables = tuple(k for k in values if k in hidden)
        index = {key: i for i, key in enumerate(variables)}
        eq: list[tuple[np.ndarray, float]] = []
        ub: list[tuple[np.ndarray, float]] = []

        def row(terms: Iterable[tuple[Key, int]]) -> tuple[np.ndarray, float] | None:
            """``sum(sign * figure) (= or ≤) 0`` with shown figures moved to the right-hand side."""
            coefficients = np.zeros(len(variables))
            constant = 0.0
            for key, sign in terms:
                if key in index:
                    coefficients[index[key]] += sign
                else:
                    constant -= sign * values[key]
            return (coefficients, constant) if coefficients.any() else None

        for line in relations:
            if line.exact:
                equations = [[*((p, 1) for p in line.parts), (line.total, -1)]]
                target = eq
            else:
                equations = [[(p, 1), (line.total, -1)] for p in line.parts]
                equations.append([(line.total, 1), *((p, -1) for p in line.parts)])
                # Only what holds for the true counts (someone may be counted in no part at all).
                equations = [terms for terms in equations if sum(sign * values[k] for k, sign in terms) <= 0]
                target = ub
            target.extend(r for terms in equations if (r := row(terms)) is not None)
        return cls(variables, *_matrix(eq, len(variables)), *_matrix(ub, len(variables)))

    def feasible_range(self, key: Key) -> tuple[float, float]:
        """The smallest and largest value ``key`` can take (``inf`` when unbounded)."""
        i = self.variables.index(key)
        objective = np.zeros(len(self.variables))
        objective[i] = 1.0
        low = self._optimum(objective)
        high = self._optimum(-objective)
        assert low is not None, "every hidden figure is at least 1, so never unbounded below"
        return low, (math.inf if high is None else -high)

    def _optimum(self, objective: np.ndarray) -> float | None:
        """The optimum of ``objective`` (minimised), or ``None`` when it is unbounded."""
        result = self._solve(objective)
        if result.status == 3:
            return None
        if result.status == 2 and self._solve(np.zeros_like(objective)).status == 0:
            return None  # HiGHS's presolve may report an unbounded problem as infeasible
        if result.status != 0:
            raise RuntimeError(f"suppression check failed: {result.message}")  # the true counts are feasible
        return float(result.fun)

    def _solve(self, objective: np.ndarray) -> Any:
        return linprog(
            objective,
            A_ub=self.a_ub if len(self.b_ub) else None,
            b_ub=self.b_ub if len(self.b_ub) else None,
            A_eq=self.a_eq if len(self.b_eq) else None,
            b_eq=self.b_eq if len(self.b_eq) else None,
            bounds=(1, None),
            method="highs",
        )


def _matrix(rows: list[tuple[np.ndarray, float]], width: int) -> tuple[np.ndarray, np.ndarray]:
    if not rows:
        return np.zeros((0, width)), np.zeros(0)
    return np.vstack([r for r, _ in rows]), np.array([b for _, b in rows])


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


# --- published cells -------------------------------------------------------------------------------


def cells(published: PublishedReport) -> list[StatisticCell]:
    """Every figure of ``published`` as ``StatisticsPublished`` cells, tables first, then statistics.

    A one-dimensional table gives ``(row, "n")`` per row and ``("total", "n")``; a two-dimensional one
    gives every cell, ``(row, "total")``, ``("total", column)`` and ``("total", "total")``.
    """
    result = [cell for table in published.tables for cell in table_cells(table)]
    result.extend(statistic_cell(s, published.threshold) for s in published.report.statistics)
    return result


def table_cells(published: PublishedTable) -> list[StatisticCell]:
    table = published.table
    figures_shown: list[tuple[Key, Shown]] = [(key, shown) for key, shown in published.cells.items()]
    if one_dimensional(table):
        figures_shown.append(((TOTAL, SINGLE), published.total))
    else:
        figures_shown += [((r, TOTAL), shown) for r, shown in published.row_totals.items()]
        figures_shown += [((TOTAL, c), shown) for c, shown in published.column_totals.items()]
        figures_shown.append(((TOTAL, TOTAL), published.total))
    return [
        StatisticCell(
            table=table.key,
            row=row,
            column=column,
            value=None if shown.suppressed else shown.value,
            display=shown.display,
            suppressed=shown.suppressed,
        )
        for (row, column), shown in figures_shown
    ]


def statistic_cell(statistic: Statistic, threshold: int) -> StatisticCell:
    hidden = statistic.hidden(threshold)
    return StatisticCell(
        table=STATISTICS_TABLE,
        row=statistic.key,
        column=STATISTICS_COLUMN,
        value=None if hidden else statistic.value,
        display=statistic.display(threshold),
        suppressed=hidden,
    )
