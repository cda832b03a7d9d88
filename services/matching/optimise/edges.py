"""The candidate edges of the assignment, and the duos decided before it.

All eligible edges would be millions, so the candidates are the best :data:`CANDIDATES_PER_QUESTION`
supporters of each question plus, for each supporter, :data:`CANDIDATES_PER_PLACE` questions per free
place that fit them best (without this second side a supporter who is nobody's favourite gets no
edges and places stay empty). Column generation adds what the duals show is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from services.matching.domain.columns import F64, I64
from services.matching.domain.duos import Duo
from services.matching.domain.model import duo_allowed
from services.matching.optimise.problem import Problem

#: Edges per question in the first solve; column generation adds what is missing.
CANDIDATES_PER_QUESTION = 8
#: Questions per free place of a supporter in the first solve (so nobody's favourites still get edges).
CANDIDATES_PER_PLACE = 2
#: Edges added per question and pricing round at most.
ADD_PER_ROUND = 4
#: An edge prices out when its weight exceeds the duals by more than this.
PRICING_TOLERANCE = 1e-9


@dataclass
class Edges:
    """Single-supporter edges: question position, global supporter row, weight."""

    q: list[I64] = field(default_factory=list)
    s: list[I64] = field(default_factory=list)
    w: list[F64] = field(default_factory=list)
    seen: set[tuple[int, int]] = field(default_factory=set)

    def add(self, q: I64, s: I64, w: F64) -> int:
        keep = [k for k, pair in enumerate(zip(q.tolist(), s.tolist(), strict=True)) if pair not in self.seen]
        if not keep:
            return 0
        idx = np.array(keep, dtype=np.int64)
        self.seen.update(zip(q[idx].tolist(), s[idx].tolist(), strict=True))
        self.q.append(q[idx])
        self.s.append(s[idx])
        self.w.append(w[idx])
        return len(idx)

    def arrays(self) -> tuple[I64, I64, F64]:
        if not self.q:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        return np.concatenate(self.q), np.concatenate(self.s), np.concatenate(self.w)


def top_edges(
    problem: Problem,
    k: int,
    duals: tuple[F64, F64] | None = None,
    per_place: int = 0,
    violations_only: bool = True,
) -> tuple[Edges, int]:
    """The best ``k`` edges per question (or, given duals, the ``k`` that price out most; with
    ``violations_only=False`` the ``k`` best after subtracting the supporters' prices).

    With ``per_place`` also the best ``per_place`` questions per free place of each supporter, so a
    supporter who is nobody's favourite still gets the questions that fit them best. Also returns
    how many edges priced out in all (0: the duals are feasible for every edge).
    """
    edges = Edges()
    violated = 0
    for block, qs, cols in problem.chunks():
        weight = problem.weights_matrix(block, qs, cols)
        rows = block.rows[cols]
        if duals is None:
            key = weight
        else:
            u, v = duals
            key = weight - u[qs][:, None] - v[rows][None, :]
            if violations_only:
                key = np.where(key > PRICING_TOLERANCE, key, -np.inf)
                violated += int(np.count_nonzero(np.isfinite(key)))
        take = min(k, len(cols))
        part = np.argpartition(-key, take - 1, axis=1)[:, :take]
        chosen = np.take_along_axis(key, part, axis=1)
        a, b = np.nonzero(np.isfinite(chosen))
        picked = part[a, b]
        edges.add(qs[a], rows[picked], weight[a, picked])
        if per_place:
            free = block.cols.capacity[cols] - block.cols.active_cases[cols]
            depth = min(len(qs), int(free.max()) * per_place)
            # Rank by fit alone: with the age bonus every supporter would pick the same old questions.
            fit = key - problem.age_bonus[qs][:, None]
            part = np.argpartition(-fit, depth - 1, axis=0)[:depth, :]
            chosen = np.take_along_axis(fit, part, axis=0)
            rank = np.argsort(np.argsort(-chosen, axis=0), axis=0)
            a, b = np.nonzero(np.isfinite(chosen) & (rank < (free * per_place)[None, :]))
            picked = part[a, b]
            edges.add(qs[picked], rows[b], weight[picked, b])
    return edges, violated


def book_duos(problem: Problem, placeable: set[int]) -> list[tuple[int, Duo]]:
    """Duos for the questions that may get one and that no single supporter could take even with room.

    Decided before the single assignment, oldest first, each taking the best pair with room left
    (both members book a place): such questions have nowhere else to go, and deciding them first
    keeps them from waiting behind questions that have other options.
    """
    booked = []
    order = sorted(range(len(problem.questions)), key=lambda i: (-problem.waited[i], problem.questions[i].question_id))
    for i in order:
        q = problem.questions[i]
        if i in placeable or not duo_allowed(q):
            continue
        waited = float(problem.waited[i])
        no = problem.excluded.get(i, ())
        single = problem.index.evaluate(
            q, limit=1, weights=problem.weights, today=problem.today, waited_days=waited, exclude=no
        )
        if single.eligible_count or single.full_count:
            continue
        duo = problem.index.best_duo(q, weights=problem.weights, today=problem.today, waited_days=waited, exclude=no)
        if duo is not None:
            for supporter_id in duo.supporter_ids:
                problem.index.book(supporter_id)
            booked.append((i, duo))
    return booked
