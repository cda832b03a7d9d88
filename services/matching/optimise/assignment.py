"""Solving: the maximum-weight assignment over the candidate edges, then column generation.

It is a transportation problem (totally unimodular, so its LP optimum is integral), but HiGHS'
simplex needed 10–40 s on it here, so it is solved as an assignment problem instead (:func:`match`).
:func:`optimise` first decides the duos, then solves over the candidates and, when asked, prices out
missing edges with the duals (:mod:`.duals`) until none is left: the proven optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from services.matching.domain.columns import F64, I64
from services.matching.domain.duos import Duo
from services.matching.optimise.duals import potentials
from services.matching.optimise.edges import (
    ADD_PER_ROUND,
    CANDIDATES_PER_PLACE,
    CANDIDATES_PER_QUESTION,
    book_duos,
    top_edges,
)
from services.matching.optimise.problem import PLACEMENT_VALUE, Problem


@dataclass
class Solution:
    singles: list[tuple[int, int]]
    duos: list[tuple[int, Duo]]
    objective: float
    #: Node potentials proving optimality over the edges solved (see :func:`.duals.potentials`).
    duals: tuple[F64, F64]
    #: The single edges chosen: question positions, supporter rows, weights.
    matched: tuple[I64, I64, F64]


def free_places(problem: Problem) -> I64:
    return np.array([max(0, r.capacity - r.active_cases) for r in problem.index.records], dtype=np.int64)


def match(n_q: int, free: I64, q: I64, s: I64, w: F64) -> tuple[I64, I64]:
    """Maximum-weight assignment over the edges, each supporter taking at most ``free`` questions.

    Each supporter is expanded into one column per usable place (no more than its edges), each
    question gets a private "stays waiting" column of weight 0, and scipy's sparse Jonker–Volgenant
    (``min_weight_full_bipartite_matching``) finds the cheapest full matching of the questions with
    cost ``C - weight`` (``C`` above every weight, so all costs are positive).
    """
    if len(q) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    degree = np.bincount(s, minlength=len(free))
    slots = np.minimum(free, degree)
    starts = np.concatenate([[0], np.cumsum(slots)])
    n_slots = int(starts[-1])
    # A supporter with at least as many places as edges can take all its questions at once: each
    # edge gets a place of its own. Only the others need every edge on every place.
    roomy = degree[s] <= free[s]
    order = np.argsort(s, kind="stable")
    rank = np.empty(len(s), dtype=np.int64)
    rank[order] = np.arange(len(s)) - np.repeat(np.cumsum(degree) - degree, degree)
    reps = np.where(roomy, 1, slots[s])
    rows = np.repeat(q, reps)
    offsets = np.arange(len(rows)) - np.repeat(np.cumsum(reps) - reps, reps)
    cols = np.repeat(starts[s] + np.where(roomy, rank, 0), reps) + offsets
    big = float(w.max()) + 1.0
    matrix = sp.csr_matrix(
        (
            np.concatenate([big - np.repeat(w, reps), np.full(n_q, big)]),
            (np.concatenate([rows, np.arange(n_q)]), np.concatenate([cols, n_slots + np.arange(n_q)])),
        ),
        shape=(n_q, n_slots + n_q),
    )
    row_ind, col_ind = min_weight_full_bipartite_matching(matrix)
    real = col_ind < n_slots
    supporter = np.searchsorted(starts, col_ind[real], side="right") - 1
    return row_ind[real].astype(np.int64), supporter.astype(np.int64)


def solve(problem: Problem, q: I64, s: I64, w: F64, duos: list[tuple[int, Duo]], with_duals: bool = True) -> Solution:
    free = free_places(problem)
    n_q = len(problem.questions)
    mq, ms = match(n_q, free, q, s, w)
    weight_of = {(a, b): x for a, b, x in zip(q.tolist(), s.tolist(), w.tolist(), strict=True)}
    mw = np.array([weight_of[(a, b)] for a, b in zip(mq.tolist(), ms.tolist(), strict=True)])
    total = float(mw.sum()) + sum(PLACEMENT_VALUE + duo.score + float(problem.age_bonus[i]) for i, duo in duos)
    duals = potentials(n_q, free, q, s, w, mq, ms) if with_duals else (np.zeros(n_q), np.zeros(len(free)))
    return Solution(list(zip(mq.tolist(), ms.tolist(), strict=True)), duos, total, duals, (mq, ms, mw))


def optimise(problem: Problem, max_rounds: int | None, refine: bool = False) -> Solution:
    edges, _ = top_edges(problem, CANDIDATES_PER_QUESTION, per_place=CANDIDATES_PER_PLACE)
    q, s, w = edges.arrays()
    duos = book_duos(problem, set(q.tolist()))
    if duos:  # the duos took places: the single edges must fit the places left
        edges, _ = top_edges(problem, CANDIDATES_PER_QUESTION, per_place=CANDIDATES_PER_PLACE)
        q, s, w = edges.arrays()
    more = refine or max_rounds is None or max_rounds > 0
    solution = solve(problem, q, s, w, duos, with_duals=more)
    if refine:
        # Choose the candidates again, now against the supporters' prices (how contested they are),
        # keeping the assignment found so the new one can only be better.
        priced, _ = top_edges(
            problem, CANDIDATES_PER_QUESTION, solution.duals, per_place=CANDIDATES_PER_PLACE, violations_only=False
        )
        priced.add(*solution.matched)
        second = solve(problem, *priced.arrays(), duos)
        if second.objective >= solution.objective:
            edges, solution = priced, second
    rounds = 0
    while max_rounds is None or rounds < max_rounds:
        extra, violated = top_edges(problem, ADD_PER_ROUND, solution.duals)
        if violated == 0 or edges.add(*extra.arrays()) == 0:
            break
        q, s, w = edges.arrays()
        solution = solve(problem, q, s, w, duos)
        rounds += 1
    return solution
