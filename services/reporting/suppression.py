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
line (the cheapest shown non-zero one, see below) and repeats until stable.

**Two markers, and an attacker who reads them.** A figure hidden because it is small shows
``<threshold>`` (``<10``); a figure hidden only so that a small one cannot be worked out shows ``×``
(CBS's sign for "geheim"), since it may be large and ``<10`` would be untrue. So the attacker knows
a small hidden figure lies in ``[1, threshold − 1]`` and a secondary one in ``[threshold, ∞)`` (zero is
always shown, except in the one case below). Two hidden cells whose sum is 2 are both 1; a secondary
figure in a line whose other hidden figure is small and whose total is ``threshold + 1`` is pinned to
the threshold; a 2×2 block of hidden cells can be pinned by the totals around it. So the second pass
asks a linear program for the range every hidden figure can take given everything shown and those
bounds (:meth:`AttackerSystem.feasible_range`), and while some figure has only one possible whole value
it hides one more figure in a line of that figure and starts over. This terminates: every round hides
one more figure, and it stops when every figure is hidden.

A small total over as many non-zero small parts as it can hold (``<5`` over four ``<5``) pins them all to
1 even when all non-zero figures are hidden: only then a zero is hidden too, shown as ``<threshold``
(true: it is fewer), and the check no longer assumes a ``<threshold`` figure is non-zero
(:func:`zeros_hidden`). With no zero at all (a table of ``threshold − 1`` people, one per row) every
figure is hidden and the markers still tell each row is 1: the one case honest markers cannot protect.

**Cost.** Which figure goes second is chosen by cost (:func:`cost`): a municipality's figure before the
region's, a figure of one table before one other tables show too (``same``: the number of questions is
the total of several tables, hidden in all of them or in none), a cell before a total (a grand total
last), and among those the smallest. The region's report, read most, keeps its totals and most cells;
the municipalities carry the hiding.

**Non-additive tables** (one person counted in several columns, e.g. a question with two life
domains) have row totals and a grand total that are counts of their own, not sums. Those figures
get primary suppression like any other count. For the lines the attacker knows less: every part
is at most the total, and the total is at most the sum of the parts (everyone is counted in at
least one part). When the figures of such a line happen to add up anyway, we treat the line as an
equation: that gives the attacker more than they can know, so it only errs on the safe side. The
range check works with these inequalities too, so "one hidden cell whose line pins it" is caught
there.

**Linked across areas** (:func:`publish_linked`). The same people are in the region's report and
in their municipality's report, so one table key is suppressed for all areas at once: its figures
are keyed ``(area, row, column)`` and the relations are every area's own lines plus one line per
figure across areas (the region's figure is the sum of the municipalities' figures; a row a
municipality's table does not have counts zero there). When the region holds people of no
municipality the figures do not add up and the line gives only what still holds (the region's
figure is at least each municipality's). Primary suppression, the second-in-line pass and the
range check then run on that joint system, so a figure hidden in one report cannot be derived from
any combination of the published reports of that period. Each report gets its area's slice.

Statistics join where they can be differenced. A rate (``counts == (part, rest)``) times its
base (usually shown elsewhere) gives the part, so its part and rest are suppressed across areas
as a table of their own and the rate is withheld wherever one of them is hidden. A statistic that
*is* a count shown in a table (the waiting list size is the waiting list table's total) is
withheld wherever that figure is hidden (``mirrors``). Medians, p90s and averages reveal no count
by differencing (they are not sums), so they keep their own rule: hidden when ``n`` is small.

The same count in two tables (the number of questions is the total of "per maand", "per gemeente"
and "per stand") is declared by the caller (``same``): those tables are suppressed as one system,
with a line ``figure = figure`` per area, so the count is hidden in all of them or in none.

**What remains.** (1) Counts that are the same but not declared so are linked only through
primary suppression (it depends on the value alone): a secondarily hidden figure may still be
shown in another, undeclared table. (2) Periods: only whole months may be asked (see ``report``). Reports of
overlapping month ranges are suppressed each on their own, so differencing them (Q1 − January −
February = March) is consistent with March's own suppressed report but is not checked against
it: linking every range an audience may ask for is not feasible. Category tables of a range can
therefore reveal a month's small count that March's own report hides. Only the quarterly
``StatisticsPublished`` leaves the organisation; dashboards and the API are for named keys.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

import numpy as np
from scipy.optimize import linprog

from contracts.events import StatisticCell
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
        """The statistic as shown: its value, or ``<threshold>`` when it would reveal a small count."""
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


# --- suppression -----------------------------------------------------------------------------------


def suppress(table: CountTable, threshold: int) -> PublishedTable:
    """``table`` as it may be shown: small counts hidden, and whatever would reveal them."""
    check_threshold(threshold)
    values = figures(table)
    return with_hidden(table, hidden_figures(table, values, threshold) if table.people else set(), threshold)


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


def small(value: int, threshold: int) -> bool:
    """Whether ``value`` is a count primary suppression hides: 1 up to the threshold."""
    return 0 < value < threshold


def cost(key: Key, shared: Collection[Key] = ()) -> tuple[int, ...]:
    """The cost tier of hiding ``key`` (its value breaks ties): a municipality's figure before the region's;
    then a figure that is not also shown in another table (``shared``: hiding it hides it there too, e.g. the
    number of questions) before one that is; then a cell before a row or column total, those before a grand
    total.

    ``key`` is ``(row, column)``, or in linked suppression ``(..., area, row, column)``.
    """
    in_region = len(key) >= 3 and key[-3] == REGION
    return (int(in_region), int(key in shared), key[-2:].count(TOTAL))


def hidden_figures(table: CountTable, values: Mapping[Key, int], threshold: int) -> set[Key]:
    """Primary suppression, then secondary until no hidden figure can be worked out."""
    return hidden_in(lines(table, values), values, threshold)


def hidden_in(
    relations: Sequence[Line], values: Mapping[Key, int], threshold: int, shared: Collection[Key] = frozenset()
) -> set[Key]:
    """:func:`hidden_figures` for any set of figures and the relations between them (``shared``: figures
    that other tables show too, see :func:`cost`)."""
    order = {key: index for index, key in enumerate(values)}
    hidden = {key for key, value in values.items() if small(value, threshold)}
    hide_second_in_lines(relations, values, hidden, order, shared)
    settled: set[Key] = set()
    while (pinned := first_pinned(relations, values, hidden, settled, threshold)) is not None:
        if len(hidden) == len(values):
            break  # the markers alone pin it (four parts "<5" of a total "<5", no zero beside them): see above
        hidden.add(extra_for(pinned, relations, values, hidden, order, shared))
        hide_second_in_lines(relations, values, hidden, order, shared)
    return hidden


def zeros_hidden(values: Mapping[Key, int], hidden: Collection[Key]) -> bool:
    """Whether a zero had to be hidden (as ``<threshold``): then no ``<threshold`` figure is known to be non-zero.

    Only when nothing else is left: a small total over as many small parts as it can hold (a total ``<5``
    over four parts ``<5``) pins every part to 1 while zeros are shown.
    """
    return any(values[key] == 0 for key in hidden)


def hide_second_in_lines(
    relations: Sequence[Line],
    values: Mapping[Key, int],
    hidden: set[Key],
    order: Mapping[Key, int],
    shared: Collection[Key] = frozenset(),
) -> None:
    """Every exact line holding one hidden figure gets a second one, until stable (changes ``hidden``)."""
    changed = True
    while changed:
        changed = False
        for line in relations:
            if not line.exact or sum(m in hidden for m in line.members) != 1:
                continue
            hidden.add(_smallest_shown(line.members, values, hidden, order, relations, shared))
            changed = True


def _smallest_shown(
    candidates: Iterable[Key],
    values: Mapping[Key, int],
    hidden: set[Key],
    order: Mapping[Key, int],
    relations: Sequence[Line],
    shared: Collection[Key] = frozenset(),
) -> Key:
    """The shown non-zero figure to hide next: the cheapest tier (:func:`cost`), in it the smallest; on a tie,
    one that also completes another line holding a single hidden figure; then the first in table order."""
    shown = [k for k in candidates if k not in hidden]
    options = [k for k in shown if values[k] > 0] or shown  # a zero only beside a hidden zero
    if not options:
        raise ValueError("no figure left to hide")  # impossible: a line with a hidden count has a non-zero total

    def lonely_lines(key: Key) -> int:
        return sum(1 for line in relations if key in line.members and sum(m in hidden for m in line.members) == 1)

    return min(options, key=lambda k: (*cost(k, shared), values[k], -lonely_lines(k), order[k]))


def extra_for(
    pinned: Key,
    relations: Sequence[Line],
    values: Mapping[Key, int],
    hidden: set[Key],
    order: Mapping[Key, int],
    shared: Collection[Key] = frozenset(),
) -> Key:
    """The figure to hide so that ``pinned`` can no longer be worked out: the cheapest shown one in a
    line of ``pinned``, or, if those lines are fully hidden, the cheapest shown one of all."""
    near = [m for line in relations if pinned in line.members for m in line.members]
    if any(k not in hidden and values[k] > 0 for k in near):
        return _smallest_shown(near, values, hidden, order, relations, shared)
    if any(k not in hidden and values[k] > 0 for k in values):
        return _smallest_shown(values, values, hidden, order, relations, shared)
    zeros = [k for k in (*near, *values) if k not in hidden]
    return min(zeros, key=lambda k: (*cost(k, shared), order[k]))  # the caller stops when all are hidden


def first_pinned(
    relations: Sequence[Line],
    values: Mapping[Key, int],
    hidden: set[Key],
    settled: set[Key] | None = None,
    threshold: int = 10,
) -> Key | None:
    """The first hidden figure that has only one possible whole value, or ``None``.

    ``settled`` (updated here) holds figures already found to keep several values. Hiding more
    never narrows a range (every earlier solution stays one, with the true value of the newly
    hidden figure, which lies within the bounds its marker gives), so those need no second look.
    A figure its marker alone pins (``<2``: it is 1) is settled too: hiding more cannot help it.
    """
    settled = set() if settled is None else settled
    system = AttackerSystem.build(relations, values, hidden, threshold)
    with_zeros = zeros_hidden(values, hidden)
    for key in system.variables:
        if key in settled:
            continue
        if pins(*marker_bounds(values[key], threshold, with_zeros)):
            settled.add(key)
            continue
        low, high = system.feasible_range(key)
        if pins(low, high):
            return key
        settled.add(key)
    return None


def marker_bounds(value: int, threshold: int, with_zeros: bool = False) -> tuple[float, float]:
    """What the marker of a hidden ``value`` tells: ``[1, threshold − 1]`` for ``<threshold`` (``[0, …]`` when
    a zero is hidden among them, see :func:`zeros_hidden`), else ``[threshold, ∞)`` for ``×``."""
    if value >= threshold:
        return (threshold, math.inf)
    return (0 if with_zeros else 1, threshold - 1)


def pins(low: float, high: float) -> bool:
    """Whether the range ``[low, high]`` (``high`` may be infinite) holds at most one whole number."""
    if math.isinf(high):
        return False
    return math.floor(high + _EPSILON) <= math.ceil(low - _EPSILON)


@dataclass(frozen=True)
class AttackerSystem:
    """What an attacker knows about the hidden figures, as a linear program.

    Variables are the hidden figures, each within what its marker tells (:func:`marker_bounds`; zero is
    always shown). Shown figures are constants. Exact lines are equations; inexact lines give
    ``part ≤ total ≤ sum(parts)``.
    """

    variables: tuple[Key, ...]
    a_eq: np.ndarray
    b_eq: np.ndarray
    a_ub: np.ndarray
    b_ub: np.ndarray
    bounds: tuple[tuple[float, float | None], ...]

    @classmethod
    def build(
        cls, relations: Sequence[Line], values: Mapping[Key, int], hidden: set[Key], threshold: int
    ) -> AttackerSystem:
        variables = tuple(k for k in values if k in hidden)
        with_zeros = zeros_hidden(values, hidden)
        bounds = tuple(_lp_bounds(*marker_bounds(values[k], threshold, with_zeros)) for k in variables)
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
        return cls(variables, *_matrix(eq, len(variables)), *_matrix(ub, len(variables)), bounds)

    def feasible_range(self, key: Key) -> tuple[float, float]:
        """The smallest and largest value ``key`` can take (``inf`` when unbounded)."""
        i = self.variables.index(key)
        objective = np.zeros(len(self.variables))
        objective[i] = 1.0
        low = self._optimum(objective)
        high = self._optimum(-objective)
        assert low is not None, "every hidden figure is at least 0, so never unbounded below"
        low = max(low, self.bounds[i][0])  # the solver's optimum may sit a hair outside its bounds
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
            bounds=list(self.bounds),
            method="highs",
        )


def _lp_bounds(low: float, high: float) -> tuple[float, float | None]:
    return (low, None if math.isinf(high) else high)


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


# --- linked across areas ---------------------------------------------------------------------------

#: A statistic that equals a table figure: ``{statistic key: (table key, (row, column))}``.
Mirrors = Mapping[str, tuple[str, Key]]
#: Figures of different tables that count the same people in every area, e.g. the totals of
#: "per maand" and "per stand": ``((table key, (row, column)), ...)``.
Same = Sequence[tuple[str, Key]]


def publish_linked(
    reports: Mapping[str | None, Report],
    threshold: int,
    mirrors: Mirrors | None = None,
    same: Sequence[Same] = (),
) -> dict[str | None, PublishedReport]:
    """Suppress the reports of one period of the region (``None``) and its municipalities together.

    Every report must have the same table and statistic keys. ``mirrors``: statistics that equal a
    table figure, withheld wherever that figure is hidden. ``same``: figures of different tables
    that are one count; their tables are suppressed as one system, so the count is hidden in all
    of them or in none.
    """
    check_threshold(threshold)
    first = next(iter(reports.values()))
    hidden: dict[str | None, dict[str, set[Key]]] = {area: {} for area in reports}
    for group in table_groups([t.key for t in first.tables], same):
        tables = {key: {area: report.table(key) for area, report in reports.items()} for key in group}
        for table_key, by_area in linked_hidden_together(tables, threshold, same).items():
            for area, found in by_area.items():
                hidden[area][table_key] = found
    statistics = linked_statistics(reports, threshold, hidden, mirrors or {})
    return {
        area: PublishedReport(
            replace(report, statistics=statistics[area]),
            tuple(with_hidden(t, hidden[area][t.key], threshold) for t in report.tables),
            threshold,
        )
        for area, report in reports.items()
    }


def suppress_linked(tables: Mapping[str | None, CountTable], threshold: int) -> dict[str | None, PublishedTable]:
    """One table key of every area (the region ``None`` and its municipalities), suppressed together."""
    check_threshold(threshold)
    hidden = linked_hidden(tables, threshold)
    return {area: with_hidden(table, hidden[area], threshold) for area, table in tables.items()}


def area_code(area: str | None) -> str:
    return area or REGION


def table_groups(keys: Sequence[str], same: Sequence[Same]) -> list[list[str]]:
    """The table keys in groups to suppress together: tables sharing a figure of ``same`` are one group."""
    group_of = {key: [key] for key in keys}
    for figures_alike in same:
        joined = [k for k, _ in figures_alike if k in group_of]
        merged: list[str] = []
        for key in joined:
            if key not in merged:
                merged += [k for k in group_of[key] if k not in merged]
        for key in merged:
            group_of[key] = merged
    groups: list[list[str]] = []
    for key in keys:
        if group_of[key] not in groups:
            groups.append(group_of[key])
    return groups


def linked_hidden(tables: Mapping[str | None, CountTable], threshold: int) -> dict[str | None, set[Key]]:
    """The hidden ``(row, column)`` figures of one table key in every area, suppressed jointly."""
    return linked_hidden_together({"": tables}, threshold, ())[""]


def linked_hidden_together(
    tables: Mapping[str, Mapping[str | None, CountTable]], threshold: int, same: Sequence[Same]
) -> dict[str, dict[str | None, set[Key]]]:
    """The hidden ``(row, column)`` figures of several table keys in every area, suppressed as one system:
    figures are ``(table key, area, row, column)``; ``same`` figures are equal in every area."""
    values: dict[Key, int] = {}
    relations: list[Line] = []
    for key, by_area in tables.items():
        if not all(t.people for t in by_area.values()):
            continue
        own = linked_figures(by_area)
        values.update({(key, *figure): n for figure, n in own.items()})
        relations += [prefixed(key, line) for line in linked_lines(by_area, own)]
    alike = same_lines(tables, values, same)
    relations += alike
    shared = {key for line in alike for key in line.members}
    hidden = hidden_in(relations, values, threshold, shared) if values else set()
    return {
        key: {area: {f[2:] for f in hidden if f[:2] == (key, area_code(area))} for area in by_area}
        for key, by_area in tables.items()
    }


def prefixed(prefix: str, line: Line) -> Line:
    return Line((prefix, *line.total), tuple((prefix, *p) for p in line.parts), line.exact)


def same_lines(
    tables: Mapping[str, Mapping[str | None, CountTable]], values: Mapping[Key, int], same: Sequence[Same]
) -> list[Line]:
    """One line ``first = other`` per area for every pair of figures that count the same people."""
    found = []
    areas = list(dict.fromkeys(area for by_area in tables.values() for area in by_area))
    for figures_alike in same:
        for area in areas:
            present = [(k, area_code(area), *f) for k, f in figures_alike if (k, area_code(area), *f) in values]
            for first, other in pairwise(present):
                found.append(Line(first, (other,), exact=values[first] == values[other]))
    return found


def linked_figures(tables: Mapping[str | None, CountTable]) -> dict[Key, int]:
    """Every figure of every area's table as ``(area, row, column)``, area by area."""
    return {(area_code(area), *key): value for area, table in tables.items() for key, value in figures(table).items()}


def linked_lines(tables: Mapping[str | None, CountTable], values: Mapping[Key, int]) -> list[Line]:
    """Each area's own lines, and per region figure the line of the municipalities' same figures."""
    relations = []
    for area, table in tables.items():
        code = area_code(area)
        for line in lines(table, figures(table)):
            relations.append(Line((code, *line.total), tuple((code, *p) for p in line.parts), line.exact))
    if None not in tables:
        return relations
    municipalities = [area for area in tables if area is not None]
    for key in figures(tables[None]):
        total = (REGION, *key)
        parts = tuple((m, *key) for m in municipalities if (m, *key) in values)
        if parts:
            relations.append(Line(total, parts, exact=values[total] == sum(values[p] for p in parts)))
    return relations


def rate_table(statistic: Statistic) -> CountTable:
    """A rate's ``(part, rest)`` as a table: what the rate gives away to whoever knows its base."""
    part, rest = statistic.counts
    return CountTable(
        key=f"rate:{statistic.key}",
        title=statistic.title,
        row_label="",
        rows=("part", "rest"),
        counts={("part", SINGLE): part, ("rest", SINGLE): rest},
    )


def linked_statistics(
    reports: Mapping[str | None, Report],
    threshold: int,
    hidden: Mapping[str | None, Mapping[str, set[Key]]],
    mirrors: Mirrors,
) -> dict[str | None, tuple[Statistic, ...]]:
    """Every area's statistics, withheld where they would reveal a figure hidden by linked suppression."""
    first = next(iter(reports.values()))
    rates = [s.key for s in first.statistics if len(s.counts) == 2]
    rate_hidden = {
        key: linked_hidden({area: rate_table(r.statistic(key)) for area, r in reports.items()}, threshold)
        for key in rates
    }

    def withheld(area: str | None, statistic: Statistic) -> bool:
        if statistic.key in rate_hidden:
            return bool(rate_hidden[statistic.key][area])
        if statistic.key in mirrors:
            table_key, figure = mirrors[statistic.key]
            return figure in hidden[area][table_key]
        return False

    return {
        area: tuple(replace(s, withheld=True) if withheld(area, s) else s for s in report.statistics)
        for area, report in reports.items()
    }


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
            suppression=shown.suppression,
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
        suppression=statistic.suppression(threshold),
    )
