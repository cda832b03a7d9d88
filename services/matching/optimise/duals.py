"""Dual prices of an optimal assignment: the proof of optimality, and what column generation prices.

An edge outside the candidates can improve the optimum only if its weight exceeds the prices of its
question and supporter; such edges are added and the assignment solved again. When none is left, the
prices are feasible for the *whole* problem and the assignment is the proven optimum.
"""

from __future__ import annotations

import numpy as np

from services.matching.domain.columns import F64, I64
from services.matching.optimise.edges import PRICING_TOLERANCE


def potentials(n_q: int, free: I64, q: I64, s: I64, w: F64, mq: I64, ms: I64) -> tuple[F64, F64]:
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
    d = shortest_distances(sink + 1, np.concatenate(src), np.concatenate(dst), np.concatenate(cost))
    return d[question], -d[supporter]


def shortest_distances(n: int, a: I64, b: I64, c: F64) -> F64:
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
