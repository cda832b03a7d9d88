"""The yardstick of the batch: the most questions any rule-abiding assignment could place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_flow

from services.matching.domain.model import Organisation, Question, SupporterRecord
from services.matching.domain.scoring import DEFAULT_WEIGHTS
from services.matching.optimise.assignment import free_places
from services.matching.optimise.problem import Problem


def max_assignable(
    questions: Sequence[Question],
    supporters: Sequence[SupporterRecord],
    organisations: Mapping[str, Organisation],
    now: datetime,
) -> int:
    """The most questions any rule-abiding assignment to single supporters could place (exact).

    A maximum flow (``scipy.sparse.csgraph.maximum_flow``): source → question (1) → eligible supporter
    with room → sink (free places). Questions with the same rule-relevant features are merged into one
    node carrying their count, which keeps the graph small without changing the flow value.
    """
    problem = Problem.build(questions, {}, supporters, organisations, now, DEFAULT_WEIGHTS)
    n_s = len(problem.index)
    groups: dict[tuple[object, ...], int] = {}
    group_of = np.zeros(len(problem.questions), dtype=np.int64)
    for i, (q, m) in enumerate(zip(problem.questions, problem.masks, strict=True)):
        key: tuple[object, ...] = (q.municipality, m.domains, m.domains_known, m.languages, m.any_language)
        key = (*key, m.kind, m.any_kind, m.needs, m.needs_known)
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
        a, b = np.nonzero(problem.eligibility(block, reps, cols))
        src.append(1 + group_of[reps[a]])
        dst.append(1 + n_g + block.rows[cols[b]])
        cap.append(counts[group_of[reps[a]]])
    src.append(1 + n_g + np.arange(n_s))
    dst.append(np.full(n_s, sink))
    cap.append(free_places(problem))
    graph = sp.coo_matrix(
        (np.concatenate(cap).astype(np.int32), (np.concatenate(src), np.concatenate(dst))),
        shape=(sink + 1, sink + 1),
    ).tocsr()
    # A group split over several chunks gives duplicate edges; summed capacities stay >= the group's
    # count, and the source edge already limits the group to its count, so the flow is unchanged.
    return int(maximum_flow(graph, source, sink).flow_value)
