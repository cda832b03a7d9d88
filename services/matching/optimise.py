"""Batch re-optimisation of the waiting list: who gets the places that came free (pure, no I/O).

When capacity frees (support ended, capacity raised, a new supporter), deciding the waiting
questions one by one in arrival order is neither fair nor good: an early question may take the one
supporter a later question needed, while it had other options. :func:`assign_waiting` decides them
together as a maximum-weight assignment of questions to free places:

- every edge question → supporter passes every hard rule of :mod:`~services.matching.domain`
  (one place per edge; a supporter takes at most their free places, a question at most one);
- the weight of an edge is ``PLACEMENT_VALUE + score + AGEING_PER_DAY × days waited``. The score is
  the domain score (its own waiting-time component is bounded); the ageing term grows without
  bound, so a question that can be placed cannot be passed over forever: once it has waited long
  enough its weight beats any newer rival for the same place. ``PLACEMENT_VALUE`` (as large as the
  best possible score) makes placing one more question worth more than fitting others better, so
  the assignment places (almost always exactly) as many questions as possible.

Solving. It is a transportation problem (totally unimodular, so its LP optimum is integral), but
HiGHS' simplex needed 10–40 s on it here, so it is solved as an assignment problem instead: each
supporter becomes one column per usable place, each question gets a private "keeps waiting" column,
and scipy's sparse Jonker–Volgenant (``min_weight_full_bipartite_matching``) finds the optimum over
the *candidate* edges. All eligible edges would be millions, so the candidates are the best
:data:`CANDIDATES_PER_QUESTION` supporters of each question plus, for each supporter,
:data:`CANDIDATES_PER_PLACE` questions per free place that fit them best (without this second side a
supporter who is nobody's favourite gets no edges and places stay empty).

Exactness. Dual prices come from shortest paths in the residual network of the assignment
(:func:`_potentials`, a vectorised Bellman–Ford). An edge outside the candidates can improve the
optimum only if its weight exceeds the prices of its question and supporter; such edges are added
and the assignment solved again (column generation). When none is left, the prices are feasible for
the *whole* problem and the assignment is the proven optimum. :func:`optimal_objective` runs this to
the end; :func:`assign_waiting` by default stops after the first solve (``max_rounds=0``), which is
what meets the 5-second target — the benchmark reports how close that is to the optimum.

Duos: a question that may get a duo (:func:`~services.matching.domain.duo_allowed`) and that no
single supporter could take even with room is decided first, oldest first, taking the best pair with
room (both members book a place); it has nowhere else to go. The single assignment then shares out
the places that are left.

:func:`max_assignable` is the exact maximum number of questions any rule-abiding assignment of
single supporters could place (maximum flow, ``scipy.sparse.csgraph.maximum_flow``): the yardstick
for the benchmark.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_flow, min_weight_full_bipartite_matching

from services.matching import domain
from services.matching.domain import (
    F64,
    I64,
    Block,
    Organisation,
    QuestionMasks,
    Scored,
    SupporterIndex,
    SupporterRecord,
    Weights,
)

#: Weight of placing a question at all (the largest possible score).
PLACEMENT_VALUE = 1.0
#: Extra weight per day of waiting, without bound: nobody waits forever.
AGEING_PER_DAY = 0.05
#: Edges per question in the first solve; column generation adds what is missing.
CANDIDATES_PER_QUESTION = 8
#: Questions per free place of a supporter in the first solve (so nobody's favourites still get edges).
CANDIDATES_PER_PLACE = 2
#: Edges added per question and pricing round at most.
ADD_PER_ROUND = 4
#: Cells of a question × supporter matrix computed at once (bounds the memory).
CHUNK_CELLS = 1_500_000
#: An edge prices out when its weight exceeds the duals by more than this.
PRICING_TOLERANCE = 1e-9

Assignment = tuple[str, str, Scored]


@dataclass
class _Problem:
    """The waiting questions against the free places, in the index's vectorised form."""

    questions: list[domain.Question]
    index: SupporterIndex
    masks: list[QuestionMasks]
    waited: F64
    weights: Weights
    today: date
    by_block: dict[str, list[int]] = field(default_factory=dict)
    #: Supporter ids never to propose again, per question position (they declined it).
    excluded: dict[int, Collection[str]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        questions: Sequence[domain.Question],
        waiting_since: Mapping[str, datetime],
        supporters: Sequence[SupporterRecord],
        organisations: Mapping[str, Organisation],
        now: datetime,
        weights: Weights,
        exclude: Mapping[str, Collection[str]] | None = None,
    ) -> _Problem:
        unique = list({q.question_id: q for q in questions}.values())
        index = SupporterIndex(supporters, organisations)
        today = now.date()
        waited = np.array(
            [max(0.0, (now - waiting_since.get(q.question_id, now)).total_seconds() / 86400) for q in unique]
        )
        problem = cls(unique, index, [index.masks(q, today) for q in unique], waited, weights, today)
        for i, q in enumerate(unique):
            if exclude and exclude.get(q.question_id):
                problem.excluded[i] = exclude[q.question_id]
            if q.municipality in index.blocks:
                problem.by_block.setdefault(q.municipality, []).append(i)
        return problem

    @property
    def age_bonus(self) -> F64:
        bonus: F64 = AGEING_PER_DAY * self.waited
        return bonus

    def usable_columns(self, block: Block) -> I64:
        """Rows of ``block`` that can take a question now: available, independent, with room."""
        ok = (
            block.active
            & (block.paused <= self.today.toordinal())
            & block.independent
            & (block.active_cases < block.capacity)
        )
        return np.flatnonzero(ok)

    def chunks(self) -> list[tuple[Block, I64, I64]]:
        """(block, question positions, usable columns), sized to :data:`CHUNK_CELLS`."""
        out = []
        for municipality, positions in self.by_block.items():
            block = self.index.blocks[municipality]
            cols = self.usable_columns(block)
            if len(cols) == 0:
                continue
            step = max(1, CHUNK_CELLS // len(cols))
            for start in range(0, len(positions), step):
                out.append((block, np.array(positions[start : start + step], dtype=np.int64), cols))
        return out

    def eligibility(self, block: Block, qs: I64, cols: I64) -> np.ndarray:
        """Which (question, column) pairs pass the rules that depend on the question."""
        ms = [self.masks[i] for i in qs.tolist()]
        qd = np.array([m.domains for m in ms], dtype=np.uint64)[:, None]
        ql = np.array([m.languages for m in ms], dtype=np.uint64)[:, None]
        qn = np.array([m.needs for m in ms], dtype=np.uint64)[:, None]
        known = np.array([m.domains_known and m.needs_known for m in ms])[:, None]
        no_lang = np.array([not m.has_languages for m in ms])[:, None]
        kind = np.array([m.kind for m in ms], dtype=np.int64)[:, None]
        d, lang, spec = block.domains[cols][None, :], block.languages[cols][None, :], block.specialisms[cols][None, :]
        ok = known & ((d & qd) == qd)
        ok &= no_lang | ((lang & ql) != 0)
        ok &= (kind == domain._ANY_KIND) | (block.kind[cols][None, :] == kind)
        ok &= (spec & qn) == qn
        return ok

    def totals(self, block: Block, qs: I64, cols: I64) -> F64:
        """Domain scores of eligible pairs (coverage is full for them), the same floats as ``score``."""
        w = self.weights.as_tuple()
        ms = [self.masks[i] for i in qs.tolist()]
        n_rel = np.array([m.n_relevant for m in ms], dtype=np.float64)[:, None]
        qr = np.array([m.relevant for m in ms], dtype=np.uint64)[:, None]
        first = np.array([m.first_language for m in ms], dtype=np.uint64)[:, None]
        has_lang = np.array([m.has_languages for m in ms])[:, None]
        here = np.array([m.postcode for m in ms], dtype=np.int64)[:, None]
        lat = np.array([m.lat for m in ms])[:, None]
        lon = np.array([m.lon for m in ms])[:, None]
        hits = np.bitwise_count(block.expertise[cols][None, :] & qr).astype(np.float64)
        fit = np.where(n_rel > 0, hits / np.maximum(n_rel, 1.0), 0.0)
        spoken = (block.languages[cols][None, :] & first) != 0
        language = np.where(has_lang, np.where(spoken, 1.0, 0.0), 0.5)
        distance = domain.distance_values(
            here, lat, lon, block.postcode[cols][None, :], block.lat[cols][None, :], block.lon[cols][None, :]
        )
        continuity = np.zeros((len(qs), len(cols)))
        position = {int(r): j for j, r in enumerate(cols.tolist())}
        for a, i in enumerate(qs.tolist()):
            for pos in self.index.previous_rows(self.questions[i], block):
                if pos in position:
                    continuity[a, position[pos]] = 1.0
        capacity = block.capacity[cols]
        used = np.where(capacity > 0, block.active_cases[cols] / np.maximum(capacity, 1), 1.0)
        workload = np.maximum(0.0, 1.0 - used)[None, :]
        waiting = np.minimum(1.0, self.waited[qs] / domain.WAITING_FULL_DAYS)[:, None]
        total = w[0] * np.ones((len(qs), 1))
        total = total + w[1] * fit
        total = total + w[2] * language
        total = total + w[3] * distance
        total = total + w[4] * continuity
        total = total + w[5] * workload
        total = total + w[6] * waiting
        result: F64 = np.broadcast_to(total, (len(qs), len(cols)))
        return result

    def weights_matrix(self, block: Block, qs: I64, cols: I64) -> F64:
        """Edge weights, ``-inf`` where a pair breaks a rule."""
        ok = self.eligibility(block, qs, cols)
        if self.excluded:
            position = {sid: j for j, sid in enumerate(block.ids[c] for c in cols.tolist())}
            for a, i in enumerate(qs.tolist()):
                for sid in self.excluded.get(i, ()):
                    if sid in position:
                        ok[a, position[sid]] = False
        weight = PLACEMENT_VALUE + self.totals(block, qs, cols) + self.age_bonus[qs][:, None]
        result: F64 = np.where(ok, weight, -np.inf)
        return result


@dataclass
class _Edges:
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


def _top_edges(
    problem: _Problem,
    k: int,
    duals: tuple[F64, F64] | None = None,
    per_place: int = 0,
    violations_only: bool = True,
) -> tuple[_Edges, int]:
    """The best ``k`` edges per question (or, given duals, the ``k`` that price out most; with
    ``violations_only=False`` the ``k`` best after subtracting the supporters' prices).

    With ``per_place`` also the best ``per_place`` questions per free place of each supporter, so a
    supporter who is nobody's favourite still gets the questions that fit them best. Also returns
    how many edges priced out in all (0: the duals are feasible for every edge).
    """
    edges = _Edges()
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
            free = block.capacity[cols] - block.active_cases[cols]
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


def _book_duos(problem: _Problem, placeable: set[int]) -> list[tuple[int, domain.Duo]]:
    """Duos for the questions that may get one and that no single supporter could take even with room.

    Decided before the single assignment, oldest first, each taking the best pair with room left
    (both members book a place): such questions have nowhere else to go, and deciding them first
    keeps them from waiting behind questions that have other options.
    """
    booked = []
    order = sorted(range(len(problem.questions)), key=lambda i: (-problem.waited[i], problem.questions[i].question_id))
    for i in order:
        q = problem.questions[i]
        if i in placeable or not domain.duo_allowed(q):
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


@dataclass
class _Solution:
    singles: list[tuple[int, int]]
    duos: list[tuple[int, domain.Duo]]
    objective: float
    #: Node potentials proving optimality over the edges solved (see :func:`_potentials`).
    duals: tuple[F64, F64]
    #: The single edges chosen: question positions, supporter rows, weights.
    matched: tuple[I64, I64, F64]


def _free_places(problem: _Problem) -> I64:
    return np.array([max(0, r.capacity - r.active_cases) for r in problem.index.records], dtype=np.int64)


def _match(n_q: int, free: I64, q: I64, s: I64, w: F64) -> tuple[I64, I64]:
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


def _potentials(n_q: int, free: I64, q: I64, s: I64, w: F64, mq: I64, ms: I64) -> tuple[F64, F64]:
    """Dual prices of an optimal assignment, from shortest paths in its residual network.

    The assignment is a min-cost circulation (source → question → supporter → sink → source, costs
    ``-weight`` on question → supporter). At the optimum its residual network has no negative cycle,
    so shortest distances ``d`` from a virtual root exist (Bellman–Ford, vectorised). An edge not yet
    in the problem could improve the optimum only if its reduced cost ``-w + d_q - d_s`` is negative:
    returned as ``(u, v) = (d_q, -d_s)``, it prices out when ``w > u_q + v_s``.
    """
    n_s = len(free)
    source, sink = 0, 1 + n_q + n_s
    question, supporter = 1 + np.arange(n_q), 1 + n_q + np.arange(n_s)
    matched_q = np.zeros(n_q, dtype=np.bool_)
    matched_q[mq] = True
    used = np.bincount(ms, minlength=n_s)
    in_m = np.zeros(len(q), dtype=np.bool_)
    pair_index = {(a, b): k for k, (a, b) in enumerate(zip(q.tolist(), s.tolist(), strict=True))}
    in_m[[pair_index[(a, b)] for a, b in zip(mq.tolist(), ms.tolist(), strict=True)]] = True
    src = [
        np.zeros(np.count_nonzero(~matched_q), np.int64),
        question[matched_q],
        1 + q[~in_m],
        1 + n_q + s[in_m],
        supporter[used < free],
        np.full(np.count_nonzero(used > 0), sink),
        np.array([sink] + ([source] if len(mq) else []), dtype=np.int64),
    ]
    dst = [
        question[~matched_q],
        np.zeros(np.count_nonzero(matched_q), np.int64),
        1 + n_q + s[~in_m],
        1 + q[in_m],
        np.full(np.count_nonzero(used < free), sink),
        supporter[used > 0],
        np.array([source] + ([sink] if len(mq) else []), dtype=np.int64),
    ]
    cost = [
        np.zeros(len(src[0])),
        np.zeros(len(src[1])),
        -w[~in_m],
        w[in_m],
        np.zeros(len(src[4])),
        np.zeros(len(src[5])),
        np.zeros(len(src[6])),
    ]
    d = _shortest_distances(sink + 1, np.concatenate(src), np.concatenate(dst), np.concatenate(cost))
    return d[question], -d[supporter]


def _shortest_distances(n: int, a: I64, b: I64, c: F64) -> F64:
    """Shortest distances from a virtual root joined to every node at cost 0 (so all start at 0).

    Bellman–Ford that only relaxes the edges of nodes whose distance changed in the last pass
    (vectorised, like SPFA in rounds). Improvements below :data:`PRICING_TOLERANCE` are ignored: the
    float sums of an optimal assignment can leave "negative cycles" of -1e-13 that are only noise.
    """
    order = np.argsort(a, kind="stable")
    a, b, c = a[order], b[order], c[order]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(a, minlength=n))])
    d = np.zeros(n)
    active = np.arange(n)
    for _ in range(n + 1):
        counts = indptr[active + 1] - indptr[active]
        if counts.sum() == 0:
            break
        first = np.repeat(indptr[active] - np.cumsum(counts) + counts, counts)
        edge = first + np.arange(counts.sum())
        candidate = d[a[edge]] + c[edge]
        better = candidate < d[b[edge]] - PRICING_TOLERANCE
        if not better.any():
            break
        relaxed = d.copy()
        np.minimum.at(relaxed, b[edge][better], candidate[better])
        active = np.flatnonzero(relaxed < d)
        d = relaxed
    else:
        raise RuntimeError("negative cycle in the residual network: the assignment was not optimal")
    return d


def _solve(
    problem: _Problem, q: I64, s: I64, w: F64, duos: list[tuple[int, domain.Duo]], with_duals: bool = True
) -> _Solution:
    free = _free_places(problem)
    n_q = len(problem.questions)
    mq, ms = _match(n_q, free, q, s, w)
    weight_of = {(a, b): x for a, b, x in zip(q.tolist(), s.tolist(), w.tolist(), strict=True)}
    mw = np.array([weight_of[(a, b)] for a, b in zip(mq.tolist(), ms.tolist(), strict=True)])
    total = float(mw.sum()) + sum(PLACEMENT_VALUE + duo.score + float(problem.age_bonus[i]) for i, duo in duos)
    duals = _potentials(n_q, free, q, s, w, mq, ms) if with_duals else (np.zeros(n_q), np.zeros(len(free)))
    return _Solution(list(zip(mq.tolist(), ms.tolist(), strict=True)), duos, total, duals, (mq, ms, mw))


def _optimise(problem: _Problem, max_rounds: int | None, refine: bool = False) -> _Solution:
    edges, _ = _top_edges(problem, CANDIDATES_PER_QUESTION, per_place=CANDIDATES_PER_PLACE)
    q, s, w = edges.arrays()
    duos = _book_duos(problem, set(q.tolist()))
    if duos:  # the duos took places: the single edges must fit the places left
        edges, _ = _top_edges(problem, CANDIDATES_PER_QUESTION, per_place=CANDIDATES_PER_PLACE)
        q, s, w = edges.arrays()
    more = refine or max_rounds is None or max_rounds > 0
    solution = _solve(problem, q, s, w, duos, with_duals=more)
    if refine:
        # Choose the candidates again, now against the supporters' prices (how contested they are),
        # keeping the assignment found so the new one can only be better.
        priced, _ = _top_edges(
            problem, CANDIDATES_PER_QUESTION, solution.duals, per_place=CANDIDATES_PER_PLACE, violations_only=False
        )
        priced.add(*solution.matched)
        second = _solve(problem, *priced.arrays(), duos)
        if second.objective >= solution.objective:
            edges, solution = priced, second
    rounds = 0
    while max_rounds is None or rounds < max_rounds:
        extra, violated = _top_edges(problem, ADD_PER_ROUND, solution.duals)
        if violated == 0 or edges.add(*extra.arrays()) == 0:
            break
        q, s, w = edges.arrays()
        solution = _solve(problem, q, s, w, duos)
        rounds += 1
    return solution


def _results(problem: _Problem, solution: _Solution) -> list[Assignment]:
    """(question id, supporter id, scored) in waiting order, oldest first; a duo gives two rows."""
    picks: list[tuple[int, list[Assignment]]] = []
    for qi, row in solution.singles:
        question = problem.questions[qi]
        view = problem.masks[qi].view
        scored = domain._scored(view, problem.index.records[row], problem.weights, float(problem.waited[qi]))
        picks.append((qi, [(question.question_id, scored.supporter.id, scored)]))
    for qi, duo in solution.duos:
        question = problem.questions[qi]
        picks.append((qi, [(question.question_id, x.supporter.id, x) for x in duo.as_scored()]))
    picks.sort(key=lambda p: (-problem.waited[p[0]], problem.questions[p[0]].question_id))
    return [row for _, rows in picks for row in rows]


def assign_waiting(
    questions: list[domain.Question],
    waiting_since: dict[str, datetime],
    supporters: list[SupporterRecord],
    organisations: Mapping[str, Organisation],
    now: datetime,
    *,
    weights: Weights = domain.DEFAULT_WEIGHTS,
    max_rounds: int | None = 0,
    exclude: Mapping[str, Collection[str]] | None = None,
) -> list[tuple[str, str, domain.Scored]]:
    """Assign waiting questions to free places, maximising total weight (see the module docstring).

    ``supporters`` carry their current ``active_cases``; a question missing from ``waiting_since``
    counts as waiting since ``now``. Returns ``(question_id, supporter_id, scored)`` rows, oldest
    question first; a duo gives two rows with the same question id (professional first), both with
    the duo's score and reasons. Questions not in the result keep waiting. ``max_rounds``: pricing
    rounds after the first solve (None: until the optimum is proven). ``exclude``: per question id,
    supporters who declined it and are never proposed again.
    """
    problem = _Problem.build(questions, waiting_since, supporters, organisations, now, weights, exclude)
    return _results(problem, _optimise(problem, max_rounds))


def optimal_objective(
    questions: list[domain.Question],
    waiting_since: dict[str, datetime],
    supporters: list[SupporterRecord],
    organisations: Mapping[str, Organisation],
    now: datetime,
    *,
    weights: Weights = domain.DEFAULT_WEIGHTS,
) -> float:
    """The exact optimum of the objective :func:`assign_waiting` maximises (pricing to the end)."""
    problem = _Problem.build(questions, waiting_since, supporters, organisations, now, weights)
    return _optimise(problem, None, refine=True).objective


def objective(
    assignments: Sequence[tuple[str, str, domain.Scored]],
    waiting_since: Mapping[str, datetime],
    now: datetime,
) -> float:
    """The objective value of an assignment (a duo's two rows count once)."""
    total = 0.0
    for question_id in dict.fromkeys(a[0] for a in assignments):
        scored = next(a[2] for a in assignments if a[0] == question_id)
        days = max(0.0, (now - waiting_since.get(question_id, now)).total_seconds() / 86400)
        total += PLACEMENT_VALUE + scored.score + AGEING_PER_DAY * days
    return total


def max_assignable(
    questions: list[domain.Question],
    supporters: list[SupporterRecord],
    organisations: Mapping[str, Organisation],
    now: datetime,
) -> int:
    """The most questions any rule-abiding assignment to single supporters could place (exact).

    A maximum flow: source → question (1) → eligible supporter with room → sink (free places).
    Questions with the same rule-relevant features are merged into one node carrying their count,
    which keeps the graph small without changing the flow value.
    """
    problem = _Problem.build(questions, {}, supporters, organisations, now, domain.DEFAULT_WEIGHTS)
    n_s = len(problem.index)
    groups: dict[tuple[object, ...], int] = {}
    group_of = np.zeros(len(problem.questions), dtype=np.int64)
    for i, m in enumerate(problem.masks):
        key: tuple[object, ...] = (m.view.q.municipality, m.domains, m.domains_known, m.languages)
        key = (*key, m.has_languages, m.kind, m.needs, m.needs_known)
        group_of[i] = groups.setdefault(key, len(groups))
    n_g = len(groups)
    source, sink = 0, 1 + n_g + n_s
    src, dst, cap = [], [], []
    counts = np.bincount(group_of, minlength=n_g)
    src.append(np.zeros(n_g, np.int64))
    dst.append(1 + np.arange(n_g))
    cap.append(counts)
    for block, qs, cols in problem.chunks():
        firsts: dict[int, int] = {}
        for i in qs.tolist():
            firsts.setdefault(int(group_of[i]), i)
        reps = np.array(list(firsts.values()), dtype=np.int64)
        ok = problem.eligibility(block, reps, cols)
        a, b = np.nonzero(ok)
        src.append(1 + group_of[reps[a]])
        dst.append(1 + n_g + block.rows[cols[b]])
        cap.append(counts[group_of[reps[a]]])
    free = np.array([max(0, r.capacity - r.active_cases) for r in problem.index.records], dtype=np.int64)
    src.append(1 + n_g + np.arange(n_s))
    dst.append(np.full(n_s, sink))
    cap.append(free)
    graph = sp.coo_matrix(
        (np.concatenate(cap).astype(np.int32), (np.concatenate(src), np.concatenate(dst))),
        shape=(sink + 1, sink + 1),
    ).tocsr()
    # A group split over several chunks gives duplicate edges; summed capacities stay >= the group's
    # count, and the source edge already limits the group to its count, so the flow is unchanged.
    return int(maximum_flow(graph, source, sink).flow_value)
