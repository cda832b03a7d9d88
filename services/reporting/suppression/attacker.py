"""The attacker's check: what range each hidden figure can still take, given everything shown and what
the markers tell (``<threshold`` is 1 up to the threshold, ``×`` the threshold or more), as a linear
program. A figure with only one possible whole value is pinned: suppression hides one more figure.
See "Two markers, and an attacker who reads them" in :mod:`services.reporting.suppression`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linprog

from services.reporting.suppression.table import Key, Line, zeros_hidden

#: Slack for comparing LP optima with whole numbers.
_EPSILON = 1e-6


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
