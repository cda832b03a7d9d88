"""Small-number suppression, tested by playing the attacker.

The attacker sees every shown figure, knows how the figures relate (rows add up to row totals,
columns to column totals, totals to the grand total), knows counts are whole and not negative,
and reads the markers: ``<10`` is a count from 1 to 9, ``×`` a count of at least 10 (zero is always
shown). With a linear program the attacker
works out the smallest and largest value each hidden figure can take. Suppression holds when
every hidden figure keeps at least two possible whole values.

The attacker here is written independently of ``services.reporting.suppression`` on purpose: it
builds its equations from the published table only.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from services.reporting.suppression import PublishedReport, cells, publish, suppress
from services.reporting.suppression.attacker import first_pinned
from services.reporting.suppression.single import hide_second_in_lines
from services.reporting.suppression.table import figures, lines
from services.reporting.tables import (
    SECONDARY,
    SINGLE,
    SUPPRESSED,
    TOTAL,
    CountTable,
    Period,
    PublishedTable,
    Report,
    Statistic,
)
from tests.support.suppression import FAR, marker_range, published_figures, shown_figures

# --- the attacker ---------------------------------------------------------------------------------


Key = tuple[str, str]
#: ``sum(sign * figure) == 0`` or ``<= 0``.
Relation = list[tuple[Key, float]]


def sums(total: Key, parts: list[Key]) -> Relation:
    """``sum(parts) - total``."""
    return [*((p, 1.0) for p in parts), (total, -1.0)]


def true_values(table: CountTable) -> dict[Key, int]:
    """Every figure of the table, before suppression (keys as in :func:`published_figures`)."""
    values = {(r, c): table.count(r, c) for r in table.rows for c in table.columns}
    if table.columns == (SINGLE,):
        return {**values, (TOTAL, SINGLE): table.total()}
    values.update({(r, TOTAL): table.row_total(r) for r in table.rows})
    values.update({(TOTAL, c): table.column_total(c) for c in table.columns})
    return {**values, (TOTAL, TOTAL): table.total()}


def public_relations(table: CountTable) -> tuple[list[Relation], list[Relation]]:
    """(equations, inequalities) an attacker knows about the table.

    Additive: every line adds up. Non-additive (a person may be counted in several parts of a
    line): each part is at most the total and the total at most the sum of the parts; and the
    attacker is granted the equation whenever a line happens to add up (as if they knew nobody in
    it was counted twice), the strongest attacker the true counts allow.
    """
    if table.columns == (SINGLE,):
        lines = [((TOTAL, SINGLE), [(r, SINGLE) for r in table.rows])]
    else:
        lines = [((r, TOTAL), [(r, c) for c in table.columns]) for r in table.rows]
        lines += [((TOTAL, c), [(r, c) for r in table.rows]) for c in table.columns]
        lines.append(((TOTAL, TOTAL), [(r, TOTAL) for r in table.rows]))
        lines.append(((TOTAL, TOTAL), [(TOTAL, c) for c in table.columns]))
    truth = true_values(table)
    equations: list[Relation] = []
    inequalities: list[Relation] = []
    for total, parts in lines:
        if table.additive or truth[total] == sum(truth[p] for p in parts):
            equations.append(sums(total, parts))
        else:
            inequalities += [[(p, 1.0), (total, -1.0)] for p in parts]  # part <= total
            inequalities.append([(total, 1.0), *((p, -1.0) for p in parts)])  # total <= sum(parts)
    return equations, inequalities


def widened(bounds: list[tuple[float, float]], zero_hidden: bool) -> list[tuple[float, float]]:
    """The marker bounds; ``<10`` read as 0 to 9 when a zero was hidden among them (then nobody can tell
    a ``<10`` from a hidden zero)."""
    return [(0, high) if zero_hidden and low == 1 else (low, high) for low, high in bounds]


def attack(published: PublishedTable) -> dict[Key, tuple[float, float]]:
    """The range the attacker can narrow each hidden figure down to."""
    seen = published_figures(published)
    unknown = [key for key, value in seen.items() if value is None]
    index = {key: i for i, key in enumerate(unknown)}
    shown = shown_figures(published)
    bounds_of = [marker_range(shown[key]) for key in unknown]

    def matrix(relations: list[Relation]) -> tuple[np.ndarray | None, np.ndarray | None]:
        rows, constants = [], []
        for relation in relations:
            coefficients = np.zeros(len(unknown))
            constant = 0.0
            for key, sign in relation:
                value = seen[key]
                if value is None:
                    coefficients[index[key]] += sign
                else:
                    constant -= sign * value
            if coefficients.any():
                rows.append(coefficients)
                constants.append(constant)
        return (np.array(rows), np.array(constants)) if rows else (None, None)

    equations, inequalities = public_relations(published.table)
    a_eq, b_eq = matrix(equations)
    a_ub, b_ub = matrix(inequalities)
    truth = true_values(published.table)
    bounds_of = widened(bounds_of, any(truth[key] == 0 for key in unknown))
    ranges = {}
    for key in unknown:
        objective = np.zeros(len(unknown))
        objective[index[key]] = 1.0
        ends = []
        for sign in (1.0, -1.0):
            result = linprog(
                sign * objective,
                A_eq=a_eq,
                b_eq=b_eq,
                A_ub=a_ub,
                b_ub=b_ub,
                bounds=bounds_of,  # what each marker tells; FAR keeps every program bounded
                method="highs",
            )
            assert result.status == 0, result.message  # the true counts are always feasible
            optimum = sign * result.fun
            ends.append(math.inf if optimum > FAR - 1 else optimum)
        ranges[key] = (ends[0], ends[1])
    return ranges


def assert_safe(table: CountTable, published: PublishedTable, threshold: int) -> None:
    """No small count shown, shown counts true, and no hidden figure pinned to one whole value."""
    truth = true_values(table)
    for key, value in published_figures(published).items():
        if value is None:
            shown = shown_figures(published)[key]
            assert truth[key] > 0 or shown.display == f"<{threshold}", f"{key}: a zero is hidden as {shown.display}"
            continue
        assert value == truth[key], f"{key}: shows {value}, the count is {truth[key]}"
        assert not 0 < value < threshold, f"{key}: shows the small count {value}"
    everything_hidden = all(v is None for v in published_figures(published).values())
    for key, (low, high) in attack(published).items():
        if everything_hidden and high - low < 1:  # no zero left to hide: the markers alone tell
            assert all(truth.values()), f"{key} is pinned though a zero could be hidden"
            continue
        assert high - low >= 1 - 1e-6, f"{key} is pinned to [{low}, {high}] (true {truth[key]})\n{render(published)}"


def render(published: PublishedTable) -> str:
    table = published.table
    lines = []
    for r in table.rows:
        lines.append(
            " ".join(f"{published.cell(r, c).display:>4}" for c in table.columns)
            + f" | {published.row_totals[r].display:>4}"
        )
    lines.append(
        " ".join(f"{published.column_totals[c].display:>4}" for c in table.columns) + f" | {published.total.display:>4}"
    )
    return "\n".join(lines)


def make_table(matrix: list[list[int]], *, one_dimensional: bool = False, **options: object) -> CountTable:
    rows = tuple(f"r{i}" for i in range(len(matrix)))
    columns = (SINGLE,) if one_dimensional else tuple(f"c{j}" for j in range(len(matrix[0]) if matrix else 1))
    counts = {(rows[i], columns[j]): n for i, line in enumerate(matrix) for j, n in enumerate(line) if n}
    return CountTable(key="t", title="Test", row_label="rij", rows=rows, columns=columns, counts=counts, **options)  # type: ignore[arg-type]


# --- properties -----------------------------------------------------------------------------------

#: Counts 0–60, mostly small: small counts are where suppression has work to do.
counts = st.one_of(st.integers(0, 12), st.integers(0, 12), st.integers(0, 60))


@st.composite
def matrices(draw: st.DrawFn) -> list[list[int]]:
    height = draw(st.integers(1, 8))
    width = draw(st.integers(1, 5))
    return [[draw(counts) for _ in range(width)] for _ in range(height)]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matrix=matrices(), threshold=st.sampled_from([5, 10]))
def test_no_hidden_count_can_be_worked_out(matrix: list[list[int]], threshold: int) -> None:
    table = make_table(matrix)
    assert_safe(table, suppress(table, threshold), threshold)


@settings(max_examples=60, deadline=None)
@given(column=st.lists(counts, min_size=1, max_size=8), threshold=st.sampled_from([5, 10]))
def test_one_dimensional_tables_are_safe(column: list[int], threshold: int) -> None:
    table = make_table([[n] for n in column], one_dimensional=True)
    assert_safe(table, suppress(table, threshold), threshold)


@st.composite
def non_additive_tables(draw: st.DrawFn) -> CountTable:
    """People, each in one or more cells; totals count people, not cells (like questions with
    several life domains, or answers to several statements)."""
    height, width = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    cell = st.tuples(st.integers(0, height - 1), st.integers(0, width - 1))
    people = draw(st.lists(st.sets(cell, min_size=1, max_size=3), max_size=draw(st.sampled_from([8, 15, 60]))))
    rows = tuple(f"r{i}" for i in range(height))
    columns = tuple(f"c{j}" for j in range(width))
    counts: dict[Key, int] = {}
    for person in people:
        for i, j in person:
            counts[(rows[i], columns[j])] = counts.get((rows[i], columns[j]), 0) + 1
    return CountTable(
        key="t",
        title="Test",
        row_label="rij",
        rows=rows,
        columns=columns,
        counts=counts,
        additive=False,
        row_totals={r: sum(any(i == k for i, _ in p) for p in people) for k, r in enumerate(rows)},
        column_totals={c: sum(any(j == k for _, j in p) for p in people) for k, c in enumerate(columns)},
        grand_total=len(people),
    )


@st.composite
def non_additive_lists(draw: st.DrawFn) -> CountTable:
    """A one-dimensional non-additive table (questions by life domain: some have two)."""
    height = draw(st.integers(1, 8))
    people = draw(st.lists(st.sets(st.integers(0, height - 1), min_size=1, max_size=2), max_size=40))
    rows = tuple(f"r{i}" for i in range(height))
    by_row = {r: sum(k in p for p in people) for k, r in enumerate(rows)}
    return CountTable(
        key="t",
        title="Test",
        row_label="rij",
        rows=rows,
        counts={(r, SINGLE): n for r, n in by_row.items()},
        additive=False,
        row_totals=by_row,
        column_totals={SINGLE: len(people)},
        grand_total=len(people),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=non_additive_lists(), threshold=st.sampled_from([5, 10]))
def test_non_additive_one_dimensional_tables_are_safe(table: CountTable, threshold: int) -> None:
    assert_safe(table, suppress(table, threshold), threshold)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=non_additive_tables(), threshold=st.sampled_from([5, 10]))
def test_non_additive_tables_are_safe(table: CountTable, threshold: int) -> None:
    assert_safe(table, suppress(table, threshold), threshold)


@settings(max_examples=40, deadline=None)
@given(matrix=matrices())
def test_tables_of_things_other_than_people_are_shown_as_they_are(matrix: list[list[int]]) -> None:
    table = make_table(matrix, people=False)
    published = suppress(table, 10)
    assert not any(s.suppressed for s in published.cells.values())
    assert all(published.cell(r, c).value == table.count(r, c) for r in table.rows for c in table.columns)
    assert published.total.value == table.total()


# --- examples -------------------------------------------------------------------------------------


def displays(published: PublishedTable) -> list[list[str]]:
    """The table as shown: one list per row plus the totals row, each ending in its total."""
    table = published.table
    rows = [
        [published.cell(r, c).display for c in table.columns] + [published.row_totals[r].display] for r in table.rows
    ]
    rows.append([published.column_totals[c].display for c in table.columns] + [published.total.display])
    return rows


def test_one_dimensional_table_hides_a_second_row_so_the_total_does_not_give_it_away() -> None:
    table = make_table([[3], [15], [30]], one_dimensional=True)
    published = suppress(table, 10)
    assert [published.cell(r).display for r in table.rows] == [SUPPRESSED, SECONDARY, "30"]
    assert published.total.value == 48
    assert published.row_totals["r0"] is published.cell("r0")
    assert_safe(table, published, 10)


def test_two_by_two_hides_a_whole_block() -> None:
    table = make_table([[3, 20], [15, 12]])
    published = suppress(table, 10)
    hidden = {key for key, shown in published.cells.items() if shown.suppressed}
    # One small cell drags its row, its column and the cell across: the four cells, since each
    # line must hold two hidden figures; the totals stay (each is ≥ 10 and the block hides them).
    assert hidden == {("r0", "c0"), ("r0", "c1"), ("r1", "c0"), ("r1", "c1")}
    assert displays(published)[-1] == ["18", "32", "50"]
    assert_safe(table, published, 10)


def test_a_row_with_one_small_cell_hides_the_smallest_other_figure_in_each_line() -> None:
    table = make_table([[4, 25, 11], [30, 40, 50], [35, 20, 60]])
    published = suppress(table, 10)
    shown = displays(published)
    assert shown[0][0] == SUPPRESSED  # the small count
    assert shown[0][2] == SECONDARY  # 11 is the smallest other cell in row 0
    assert shown[1][0] == SECONDARY  # 30 the smallest other cell in column 0
    assert shown[1][2] == SECONDARY  # and 50 closes column 2 and row 1 at once
    assert shown[0][1] == "25" and shown[2] == ["35", "20", "60", "115"]
    assert_safe(table, published, 10)


def test_all_zero_table_is_shown() -> None:
    table = make_table([[0, 0], [0, 0]])
    published = suppress(table, 10)
    assert displays(published) == [["0", "0", "0"], ["0", "0", "0"], ["0", "0", "0"]]


def test_small_totals_are_hidden_with_their_cells() -> None:
    table = make_table([[2, 1], [0, 0]])
    published = suppress(table, 10)
    assert displays(published) == [
        [SUPPRESSED, SUPPRESSED, SUPPRESSED],
        ["0", "0", "0"],
        [SUPPRESSED, SUPPRESSED, SUPPRESSED],
    ]
    assert_safe(table, published, 10)


def test_two_hidden_cells_with_a_small_known_sum_are_protected() -> None:
    # The line rule alone hides 1, 1 (primary) and 30, 40 (their rows): every line then holds two
    # hidden figures, yet column c0 shows 12 and 10, so the two hidden cells add up to 2 and, since
    # a hidden count is at least 1, both are 1. The range check must catch this and hide more.
    table = make_table([[1, 30], [1, 40], [10, 50]])
    values = figures(table)
    relations = lines(table, values)
    line_rule_only = {key for key, value in values.items() if 0 < value < 10}
    hide_second_in_lines(relations, values, line_rule_only, {key: i for i, key in enumerate(values)})
    assert first_pinned(relations, values, line_rule_only) == ("r0", "c0")

    published = suppress(table, 10)
    assert_safe(table, published, 10)
    assert published.cell("r0", "c0").suppressed and published.cell("r1", "c0").suppressed


def test_threshold_is_configurable() -> None:
    table = make_table([[7, 30], [12, 40]])
    at_five = suppress(table, 5)
    at_ten = suppress(table, 10)
    assert at_five.cell("r0", "c0").value == 7
    assert not any(s.suppressed for s in at_five.cells.values())
    assert at_ten.cell("r0", "c0").suppressed
    assert_safe(table, at_ten, 10)


def test_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="threshold"):
        suppress(make_table([[1]]), 0)


# --- non-additive tables --------------------------------------------------------------------------


def test_non_additive_totals_are_counts_of_their_own() -> None:
    # 25 questions in row r0, some with two life domains: cells add up to 33, not 25.
    table = make_table(
        [[3, 30], [20, 25]],
        additive=False,
        row_totals={"r0": 25, "r1": 40},
        column_totals={"c0": 23, "c1": 55},
        grand_total=65,
    )
    published = suppress(table, 10)
    assert published.cell("r0", "c0").suppressed
    assert published.row_totals["r0"].value == 25
    assert published.total.value == 65
    # The column adds up (rows do not overlap), so the 3 must not be derivable from 23 - 20.
    assert published.cell("r1", "c0").suppressed


def test_non_additive_small_row_total_is_hidden() -> None:
    table = make_table([[6, 5], [20, 25]], additive=False, row_totals={"r0": 8, "r1": 40}, grand_total=48)
    published = suppress(table, 10)
    assert published.row_totals["r0"].suppressed
    assert published.cell("r0", "c0").suppressed and published.cell("r0", "c1").suppressed


# --- reports and published cells ------------------------------------------------------------------


def example_report() -> Report:
    from datetime import date

    by_domain = make_table([[3], [15], [30]], one_dimensional=True)
    by_domain_and_kind = CountTable(
        key="by_kind",
        title="Per soort ondersteuner",
        row_label="Levensdomein",
        rows=("wmo", "youth"),
        columns=("professional", "volunteer"),
        counts={
            ("wmo", "professional"): 3,
            ("wmo", "volunteer"): 20,
            ("youth", "professional"): 15,
            ("youth", "volunteer"): 12,
        },
    )
    return Report(
        area="GM0505",
        period=Period(date(2026, 1, 1), date(2026, 3, 31)),
        tables=(by_domain, by_domain_and_kind),
        statistics=(
            Statistic("days_to_assigned_median", "Dagen tot toewijzing", 4.5, (48,), "dagen"),
            Statistic("score_average", "Gemiddeld cijfer", 7.9, (6,)),
            Statistic("nothing_measured", "Niets", None, (0,)),
        ),
    )


def test_publish_keeps_report_order_and_threshold() -> None:
    report = example_report()
    published = publish(report, 10)
    assert isinstance(published, PublishedReport)
    assert [t.table.key for t in published.tables] == ["t", "by_kind"]
    assert published.table("by_kind").cell("wmo", "professional").suppressed
    assert published.threshold == 10


def test_cells_cover_every_figure_and_statistic() -> None:
    published = publish(example_report(), 10)
    found = {(c.table, c.row, c.column): c for c in cells(published)}
    assert found[("t", "r0", SINGLE)].display == SUPPRESSED and found[("t", "r0", SINGLE)].value is None
    assert found[("t", "r2", SINGLE)].value == 30
    assert found[("t", TOTAL, SINGLE)].value == 48
    assert ("t", "r0", TOTAL) not in found  # a one-dimensional table has no separate row totals
    assert found[("by_kind", "wmo", TOTAL)].value == 23
    assert found[("by_kind", TOTAL, "volunteer")].value == 32
    assert found[("by_kind", TOTAL, TOTAL)].value == 50
    assert found[("by_kind", "youth", "volunteer")].suppressed
    median = found[("statistics", "days_to_assigned_median", "value")]
    assert (median.value, median.display, median.suppressed) == (4.5, "4,5 dagen", False)
    score = found[("statistics", "score_average", "value")]
    assert (score.value, score.display, score.suppressed) == (None, SUPPRESSED, True)
    nothing = found[("statistics", "nothing_measured", "value")]
    assert (nothing.value, nothing.display, nothing.suppressed) == (None, "–", False)
    assert len(found) == (3 + 1) + (4 + 2 + 2 + 1) + 3
    # Whatever is suppressed carries no value, whatever is shown carries its display.
    for cell in found.values():
        assert (cell.value is None) or cell.display != SUPPRESSED


def test_cells_follow_the_threshold() -> None:
    published = publish(example_report(), 5)
    found = {(c.table, c.row, c.column): c for c in cells(published)}
    assert found[("statistics", "score_average", "value")].value == 7.9
    assert found[("t", "r0", SINGLE)].suppressed  # 3 < 5


def test_four_ones_under_a_small_total_hide_the_zero_beside_them() -> None:
    """A total "<5" over four rows "<5" tells every row is 1 while the fifth row shows 0; hiding that zero
    too (as "<5": fewer than 5 is true) leaves the attacker several possibilities."""
    table = make_table([[1], [1], [1], [1], [0]], one_dimensional=True)
    published = suppress(table, 5)
    assert [published.cell(r).display for r in table.rows] == ["<5"] * 5
    assert published.total.display == "<5"
    assert_safe(table, published, 5)


def test_published_cells_say_why_a_figure_is_hidden() -> None:
    published = publish(example_report(), 10)
    found = {(c.table, c.row, c.column): c for c in cells(published)}
    small, beside = found[("t", "r0", SINGLE)], found[("t", "r1", SINGLE)]
    assert (small.display, small.suppression, small.value) == (SUPPRESSED, "small", None)
    assert (beside.display, beside.suppression, beside.value) == (SECONDARY, "secondary", None)
    assert found[("t", TOTAL, SINGLE)].suppression is None
    score = found[("statistics", "score_average", "value")]
    assert (score.display, score.suppression) == (SUPPRESSED, "small")
