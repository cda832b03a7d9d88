"""The attacker's check on one persistent HiGHS model (warm-started per figure, figures already seen at two
whole values skipped) against the check as it was: a fresh ``scipy.optimize.linprog`` per bound, written out
here. Every ``first_pinned`` call suppression makes, on the example tables and on random ones, must find the
same figure and settle the same ones, and every hidden figure's range must agree within 1e-6 (``inf`` alike)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from services.reporting.report import SAME_COUNTS
from services.reporting.suppression import attacker, memo, publish, publish_linked, single, suppress
from services.reporting.suppression.attacker import AttackerSystem, first_pinned, marker_bounds, pins
from services.reporting.suppression.linked import linked_hidden
from services.reporting.suppression.table import Key, Line, zeros_hidden
from services.reporting.tables import CountTable
from tests.unit.test_reporting_suppression import example_report, make_table, matrices, non_additive_tables
from tests.unit.test_reporting_suppression_linked import areas, example, life_domains
from tests.unit.test_reporting_suppression_memo import MIRRORS, demo_quarter

# --- the check as it was (scipy's linprog, one fresh program per bound) ---------------------------------


def reference_first_pinned(
    relations: Sequence[Line], values: Mapping[Key, int], hidden: set[Key], settled: set[Key], threshold: int
) -> Key | None:
    system = ReferenceSystem.build(relations, values, hidden, threshold)
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


@dataclass(frozen=True)
class ReferenceSystem:
    variables: tuple[Key, ...]
    a_eq: np.ndarray
    b_eq: np.ndarray
    a_ub: np.ndarray
    b_ub: np.ndarray
    bounds: tuple[tuple[float, float | None], ...]

    @classmethod
    def build(
        cls, relations: Sequence[Line], values: Mapping[Key, int], hidden: set[Key], threshold: int
    ) -> ReferenceSystem:
        variables = tuple(k for k in values if k in hidden)
        with_zeros = zeros_hidden(values, hidden)
        bounds = tuple(lp_bounds(*marker_bounds(values[k], threshold, with_zeros)) for k in variables)
        index = {key: i for i, key in enumerate(variables)}
        eq: list[tuple[np.ndarray, float]] = []
        ub: list[tuple[np.ndarray, float]] = []

        def row(terms: Iterable[tuple[Key, int]]) -> tuple[np.ndarray, float] | None:
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
                equations = [terms for terms in equations if sum(sign * values[k] for k, sign in terms) <= 0]
                target = ub
            target.extend(r for terms in equations if (r := row(terms)) is not None)
        return cls(variables, *matrix(eq, len(variables)), *matrix(ub, len(variables)), bounds)

    def feasible_range(self, key: Key) -> tuple[float, float]:
        i = self.variables.index(key)
        objective = np.zeros(len(self.variables))
        objective[i] = 1.0
        low = self.optimum(objective)
        high = self.optimum(-objective)
        assert low is not None
        low = max(low, self.bounds[i][0])
        return low, (math.inf if high is None else -high)

    def optimum(self, objective: np.ndarray) -> float | None:
        result = self.solve(objective)
        if result.status == 3:
            return None
        if result.status == 2 and self.solve(np.zeros_like(objective)).status == 0:
            return None
        if result.status != 0:
            raise RuntimeError(f"suppression check failed: {result.message}")
        return float(result.fun)

    def solve(self, objective: np.ndarray) -> Any:
        return linprog(
            objective,
            A_ub=self.a_ub if len(self.b_ub) else None,
            b_ub=self.b_ub if len(self.b_ub) else None,
            A_eq=self.a_eq if len(self.b_eq) else None,
            b_eq=self.b_eq if len(self.b_eq) else None,
            bounds=list(self.bounds),
            method="highs",
        )


def lp_bounds(low: float, high: float) -> tuple[float, float | None]:
    return (low, None if math.isinf(high) else high)


def matrix(rows: list[tuple[np.ndarray, float]], width: int) -> tuple[np.ndarray, np.ndarray]:
    if not rows:
        return np.zeros((0, width)), np.zeros(0)
    return np.vstack([r for r, _ in rows]), np.array([b for _, b in rows])


# --- the comparison -------------------------------------------------------------------------------------


def assert_same_ranges(relations: Sequence[Line], values: Mapping[Key, int], hidden: set[Key], threshold: int) -> None:
    new = AttackerSystem.build(relations, values, hidden, threshold)
    old = ReferenceSystem.build(relations, values, hidden, threshold)
    assert new.variables == old.variables
    for key in new.variables:
        (new_low, new_high), (old_low, old_high) = new.feasible_range(key), old.feasible_range(key)
        assert new_low == pytest.approx(old_low, abs=1e-6), key
        assert math.isinf(new_high) == math.isinf(old_high), key
        if not math.isinf(old_high):
            assert new_high == pytest.approx(old_high, abs=1e-6), key


@contextmanager
def compared() -> Iterator[list[int]]:
    """Every ``first_pinned`` call of suppression inside is made with the reference too and must agree (the
    pinned figure, what is settled, every range); yields the number of calls made so far."""
    calls: list[int] = []

    def both(
        relations: Sequence[Line],
        values: Mapping[Key, int],
        hidden: set[Key],
        settled: set[Key] | None = None,
        threshold: int = 10,
        seen: dict[Key, tuple[float, float]] | None = None,
    ) -> Key | None:
        settled = set() if settled is None else settled
        before = set(settled)
        assert_same_ranges(relations, values, hidden, threshold)
        expected_settled = set(before)
        expected = reference_first_pinned(relations, values, set(hidden), expected_settled, threshold)
        found = first_pinned(relations, values, hidden, settled, threshold, seen)
        assert found == expected
        assert settled == expected_settled
        calls.append(1)
        return found

    memo.LINKED_DECISIONS.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(single, "first_pinned", both)
        yield calls
    memo.LINKED_DECISIONS.clear()


# --- the example tables ---------------------------------------------------------------------------------


EXAMPLE_TABLES = {
    "one-dimensional": make_table([[3], [15], [30]], one_dimensional=True),
    "two-by-two": make_table([[3, 4, 20], [5, 6, 30], [40, 50, 60]]),
    "one-small-cell": make_table([[2, 30, 40], [25, 35, 45], [26, 36, 46]]),
    "small-sum": make_table([[1, 1, 20], [0, 0, 30]]),
    "four-ones": make_table([[1], [1], [1], [1], [0]], one_dimensional=True),
}


@pytest.mark.parametrize("name", sorted(EXAMPLE_TABLES))
def test_example_tables_decide_the_same(name: str) -> None:
    with compared() as calls:
        suppress(EXAMPLE_TABLES[name], 10)
        suppress(EXAMPLE_TABLES[name], 5)
    assert calls


def test_example_report_decides_the_same() -> None:
    with compared() as calls:
        publish(example_report(), 10)
    assert calls


def test_linked_example_decides_the_same() -> None:
    with compared() as calls:
        linked_hidden(example(), 10)
    assert calls


@pytest.mark.parametrize("phone", [30, 31, 12], ids=["phone-30", "phone-31", "phone-12"])
def test_demo_quarter_decides_the_same(phone: int) -> None:
    with compared() as calls:
        publish_linked(demo_quarter(phone_in_dordrecht=phone), 10, MIRRORS, SAME_COUNTS)
    assert calls


# --- random tables --------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=matrices(), threshold=st.sampled_from([5, 10]))
def test_random_tables_decide_the_same(grid: list[list[int]], threshold: int) -> None:
    with compared():
        suppress(make_table(grid), threshold)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=non_additive_tables(), threshold=st.sampled_from([5, 10]))
def test_random_non_additive_tables_decide_the_same(table: CountTable, threshold: int) -> None:
    with compared():
        suppress(table, threshold)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=areas(), threshold=st.sampled_from([5, 10]))
def test_random_linked_areas_decide_the_same(tables: dict[str | None, CountTable], threshold: int) -> None:
    with compared():
        linked_hidden(tables, threshold)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=life_domains(), threshold=st.sampled_from([5, 10]))
def test_random_non_additive_areas_decide_the_same(tables: dict[str | None, CountTable], threshold: int) -> None:
    with compared():
        linked_hidden(tables, threshold)


# --- unbounded ranges -----------------------------------------------------------------------------------

#: ``a + b = t`` with all three hidden: ``b`` and ``t`` (``×``) can grow without end.
OPEN_LINE = ([Line(("t",), (("a",), ("b",)), exact=True)], {("a",): 3, ("b",): 20, ("t",): 23})

#: ``b ≤ t`` from a non-additive line: ``t`` can grow without end; and ``c`` in no line at all.
OPEN_INEXACT = (
    [Line(("t",), (("a",), ("b",)), exact=False)],
    {("a",): 3, ("b",): 20, ("t",): 21, ("c",): 40},
)


@pytest.mark.parametrize("system", [OPEN_LINE, OPEN_INEXACT], ids=["exact-line", "inexact-line"])
def test_unbounded_ranges_are_infinite_in_both(system: tuple[list[Line], dict[Key, int]]) -> None:
    relations, values = system
    hidden = set(values)
    new = AttackerSystem.build(relations, values, hidden, 10)
    old = ReferenceSystem.build(relations, values, hidden, 10)
    unbounded = [k for k in values if values[k] >= 10]
    for key in unbounded:
        assert math.isinf(new.feasible_range(key)[1]) and math.isinf(old.feasible_range(key)[1])
    assert_same_ranges(relations, values, hidden, 10)


def test_every_solve_goes_through_linprog(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one place a program is solved, so the cache's tests can count solves."""
    solved: list[int] = []
    real = attacker.linprog

    def counted(*args: Any) -> Any:
        solved.append(1)
        return real(*args)

    monkeypatch.setattr(attacker, "linprog", counted)
    relations, values = OPEN_LINE
    AttackerSystem.build(relations, values, set(values), 10).feasible_range(("a",))
    assert len(solved) == 2
