"""The attacker's check: what range each hidden figure can still take, given everything shown and what
the markers tell (``<threshold`` is 1 up to the threshold, ``×`` the threshold or more), as a linear
program. A figure with only one possible whole value is pinned: suppression hides one more figure.
See "Two markers, and an attacker who reads them" in :mod:`services.reporting.suppression`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import highspy
import numpy as np

from services.reporting.suppression.table import Key, Line, zeros_hidden

#: Slack for comparing LP optima with whole numbers.
_EPSILON = 1e-6


def first_pinned(
    relations: Sequence[Line],
    values: Mapping[Key, int],
    hidden: set[Key],
    settled: set[Key] | None = None,
    threshold: int = 10,
    seen: dict[Key, tuple[float, float]] | None = None,
) -> Key | None:
    """The first hidden figure that has only one possible whole value, or ``None``.

    ``settled`` (updated here) holds figures already found to keep several values. Hiding more
    never narrows a range (every earlier solution stays one, with the true value of the newly
    hidden figure, which lies within the bounds its marker gives), so those need no second look.
    A figure its marker alone pins (``<2``: it is 1) is settled too: hiding more cannot help it.
    So is one that solutions already found take two whole values apart for (:meth:`AttackerSystem.seen_free`);
    ``seen`` (updated here) keeps the lowest and highest value solutions gave each figure, for the next
    call with more figures hidden (by the same argument they stay solutions).
    """
    settled = set() if settled is None else settled
    system = AttackerSystem.build(relations, values, hidden, threshold, seen)
    with_zeros = zeros_hidden(values, hidden)
    try:
        for key in system.variables:
            if key in settled:
                continue
            if pins(*marker_bounds(values[key], threshold, with_zeros)) or system.seen_free(key):
                settled.add(key)
                continue
            low, high = system.feasible_range(key)
            if pins(low, high):
                return key
            settled.add(key)
        return None
    finally:
        if seen is not None:
            seen.update(system.seen())


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


class AttackerSystem:
    """What an attacker knows about the hidden figures, as a linear program.

    Variables are the hidden figures, each within what its marker tells (:func:`marker_bounds`; zero is
    always shown). Shown figures are constants. Exact lines are equations; inexact lines give
    ``part ≤ total ≤ sum(parts)``.

    The program is one HiGHS model, built once (sparse rows); each range changes only the objective and
    solves again from the previous basis (a warm start), instead of a fresh ``scipy.optimize.linprog``
    (validation and presolve) per bound.
    """

    def __init__(
        self,
        variables: tuple[Key, ...],
        bounds: tuple[tuple[float, float], ...],
        rows: list[_Row],
        seen: Sequence[tuple[float, float]],
    ) -> None:
        self.variables = variables
        self.bounds = bounds
        # The smallest and largest value of every figure among the solutions found so far (the true counts
        # are one): its range holds at least these.
        self._seen_low = np.array([low for low, _ in seen], dtype=np.float64)
        self._seen_high = np.array([high for _, high in seen], dtype=np.float64)
        self._index = {key: i for i, key in enumerate(variables)}
        self._model = highspy.Highs()
        self._model.setOptionValue("output_flag", False)
        # Only the objective changes between solves, so the last basis stays feasible: primal simplex goes on
        # from it (dual simplex, HiGHS's usual choice, would start over from a dual infeasible basis).
        self._model.setOptionValue("simplex_strategy", _PRIMAL_SIMPLEX)
        width = len(variables)
        self._model.addCols(
            width,
            np.zeros(width),
            np.array([low for low, _ in bounds], dtype=np.float64),
            np.array([highspy.kHighsInf if math.isinf(high) else high for _, high in bounds], dtype=np.float64),
            0,
            np.zeros(width, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.float64),
        )
        if rows:
            starts = np.cumsum([0, *(len(r.coefficients) for r in rows[:-1])], dtype=np.int32)
            indices = np.array([i for r in rows for i in r.coefficients], dtype=np.int32)
            values = np.array([c for r in rows for c in r.coefficients.values()], dtype=np.float64)
            self._model.addRows(
                len(rows),
                np.array([r.constant if r.equal else -highspy.kHighsInf for r in rows], dtype=np.float64),
                np.array([r.constant for r in rows], dtype=np.float64),
                len(indices),
                starts,
                indices,
                values,
            )

    @classmethod
    def build(
        cls,
        relations: Sequence[Line],
        values: Mapping[Key, int],
        hidden: set[Key],
        threshold: int,
        seen: Mapping[Key, tuple[float, float]] | None = None,
    ) -> AttackerSystem:
        """The system of ``hidden``; ``seen``: the lowest and highest value solutions of a system with fewer
        figures hidden gave (they stay solutions here, see :func:`first_pinned`)."""
        variables = tuple(k for k in values if k in hidden)
        with_zeros = zeros_hidden(values, hidden)
        bounds = tuple(marker_bounds(values[k], threshold, with_zeros) for k in variables)
        index = {key: i for i, key in enumerate(variables)}
        rows: list[_Row] = []

        def row(terms: Iterable[tuple[Key, int]], equal: bool) -> _Row | None:
            """``sum(sign * figure) (= or ≤) 0`` with shown figures moved to the right-hand side."""
            coefficients: dict[int, float] = {}
            constant = 0.0
            for key, sign in terms:
                if key in index:
                    coefficients[index[key]] = coefficients.get(index[key], 0.0) + sign
                else:
                    constant -= sign * values[key]
            coefficients = {i: c for i, c in coefficients.items() if c != 0}
            return _Row(coefficients, constant, equal) if coefficients else None

        for line in relations:
            if line.exact:
                equations = [[*((p, 1) for p in line.parts), (line.total, -1)]]
            else:
                equations = [[(p, 1), (line.total, -1)] for p in line.parts]
                equations.append([(line.total, 1), *((p, -1) for p in line.parts)])
                # Only what holds for the true counts (someone may be counted in no part at all).
                equations = [terms for terms in equations if sum(sign * values[k] for k, sign in terms) <= 0]
            rows.extend(r for terms in equations if (r := row(terms, line.exact)) is not None)
        before = seen or {}
        seen_here = [
            (min(values[k], before[k][0]), max(values[k], before[k][1])) if k in before else (values[k], values[k])
            for k in variables
        ]
        return cls(variables, bounds, rows, seen_here)

    def seen(self) -> dict[Key, tuple[float, float]]:
        """The lowest and highest value solutions found so far gave each figure."""
        return {k: (float(self._seen_low[i]), float(self._seen_high[i])) for i, k in enumerate(self.variables)}

    def seen_free(self, key: Key) -> bool:
        """Whether solutions already found give ``key`` two whole values (a margin of ``_EPSILON`` inside),
        so its range pins nothing and needs no program of its own."""
        i = self._index[key]
        return math.floor(self._seen_high[i] - _EPSILON) >= math.ceil(self._seen_low[i] + _EPSILON) + 1

    def feasible_range(self, key: Key) -> tuple[float, float]:
        """The smallest and largest value ``key`` can take (``inf`` when unbounded)."""
        i = self._index[key]
        low = self._optimum(i, 1.0)
        high = self._optimum(i, -1.0)
        assert low is not None, "every hidden figure is at least 0, so never unbounded below"
        low = max(low, self.bounds[i][0])  # the solver's optimum may sit a hair outside its bounds
        return low, (math.inf if high is None else -high)

    def _optimum(self, column: int, cost: float) -> float | None:
        """The optimum of ``cost * column`` (minimised), or ``None`` when it is unbounded. The objective is
        zero again afterwards."""
        model = self._model
        model.changeColCost(column, cost)
        try:
            status = linprog(model)
            if status == highspy.HighsModelStatus.kOptimal:
                solution = np.asarray(model.getSolution().col_value, dtype=np.float64)
                np.minimum(self._seen_low, solution, out=self._seen_low)
                np.maximum(self._seen_high, solution, out=self._seen_high)
                return float(model.getInfo().objective_function_value)
            if status == highspy.HighsModelStatus.kUnbounded:
                return None
        finally:
            model.changeColCost(column, 0.0)
        if status in _UNSURE and linprog(model) == highspy.HighsModelStatus.kOptimal:
            return None  # HiGHS (its presolve) may report an unbounded problem as infeasible
        # the true counts are feasible
        raise RuntimeError(f"suppression check failed: {model.modelStatusToString(status)}")


def linprog(model: highspy.Highs) -> highspy.HighsModelStatus:
    """Solve the linear program ``model`` as it stands, from its last basis: the one place a program is
    solved (tests count the calls)."""
    model.run()
    return model.getModelStatus()


#: HiGHS's ``simplex_strategy`` for primal simplex.
_PRIMAL_SIMPLEX = 4

#: What HiGHS may report for an unbounded problem besides ``kUnbounded``.
_UNSURE = (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible)


@dataclass(frozen=True)
class _Row:
    """``sum(coefficient * variable) = constant`` (``equal``) or ``≤ constant``; columns by index."""

    coefficients: dict[int, float]
    constant: float
    equal: bool
