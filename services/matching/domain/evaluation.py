"""Deciding one question: the eligible supporters ranked, or why nobody fits (wait or consultation).

:func:`evaluate_in` is the one implementation, over a :class:`~services.matching.domain.columns.Block`
(the supporters of a municipality in a :class:`~services.matching.domain.index.SupporterIndex`, or the
candidates handed to :func:`evaluate`). It computes plain numbers first and builds the (comparatively
slow) pydantic reasons only for the best ``limit`` supporters and, on demand, the nearest misses.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property

import numpy as np

from contracts.events import CandidateVerdict, Reason
from services.matching.domain.columns import F64, I64, Block, QuestionMasks, candidates_block
from services.matching.domain.model import Organisation, Question, SupporterRecord
from services.matching.domain.places import NO_PLACES, Places
from services.matching.domain.rules import F_CAPACITY, F_EXCLUDED, failures_in, reasons_of
from services.matching.domain.scoring import DEFAULT_WEIGHTS, Scored, Weights, explain, picked, totals, values_in
from services.matching.domain.view import View

NO_ELIGIBLE_SUPPORTER = "no_eligible_supporter"
#: How many candidates a consultation shows the coordinators.
CONSULTATION_CANDIDATES = 5

#: Supporters with their failure bits.
Misses = list[tuple[SupporterRecord, int]]


class Verdict(StrEnum):
    ASSIGN = "assign"
    WAIT = "wait"
    CONSULT = "consult"


@dataclass
class Evaluation:
    """The outcome of the rules and scores for one question.

    Reasons for the ineligible supporters are built only when asked for (:attr:`failed`,
    :meth:`consultation_candidates`): building thousands of them would cost more than the decision.
    """

    question: Question
    #: Eligible supporters, best first (only the best ``limit`` when a limit was given).
    ranked: list[Scored]
    eligible_count: int
    #: Supporters failing only on capacity: a question for them waits instead of going to consultation.
    full_count: int
    view: View
    weights: Weights = DEFAULT_WEIGHTS
    #: The ``n`` nearest misses (fewest failed rules, best score, id).
    _nearest: Callable[[int], Misses] = field(default=lambda n: [], repr=False)
    #: Every miss.
    _misses: Callable[[], Misses] = field(default=lambda: [], repr=False)

    @property
    def verdict(self) -> Verdict:
        if self.ranked:
            return Verdict.ASSIGN
        return Verdict.WAIT if self.full_count else Verdict.CONSULT

    @cached_property
    def failed(self) -> dict[str, list[Reason]]:
        """Failed hard rules per ineligible supporter id."""
        return {s.id: reasons_of(mask, self.view, s) for s, mask in self._misses()}

    def consultation_candidates(self, n: int = CONSULTATION_CANDIDATES) -> list[CandidateVerdict]:
        """The ``n`` nearest misses: fewest failed rules first, then the best score, then the id."""
        return [
            CandidateVerdict(
                supporter_id=s.id, organisation=s.organisation, failed_rules=reasons_of(mask, self.view, s)
            )
            for s, mask in self._nearest(n)
        ]


def best_first(totals: F64, id_rank: I64, limit: int | None) -> I64:
    """Positions of the best ``limit`` totals, best first, equal totals by supporter id."""
    n = len(totals)
    if limit is None or n <= limit:
        return np.lexsort((id_rank, -totals))
    kth = np.partition(totals, n - limit)[n - limit]
    candidates = np.flatnonzero(totals >= kth)
    return candidates[np.lexsort((id_rank[candidates], -totals[candidates]))][:limit]


def evaluate_in(
    v: View,
    block: Block,
    *,
    limit: int | None,
    weights: Weights,
    waited_days: float,
    exclude: Collection[str],
) -> Evaluation:
    """Apply the hard rules to every supporter of ``block`` and rank the eligible ones."""
    m = QuestionMasks.of(v, block.vocab)
    bits = failures_in(m, block, exclude)
    eligible = np.flatnonzero(bits == 0)
    values = values_in(m, block, eligible, v, waited_days)
    best = best_first(totals(values, weights), block.id_rank[eligible], limit).tolist()
    ranked = [
        explain(v, block.record(eligible[i]), values_of_i, weights, waited_days)
        for i, values_of_i in zip(best, picked(values, best), strict=True)
    ]

    def misses() -> tuple[I64, I64, F64]:
        rows = np.flatnonzero((bits > 0) & ((bits & F_EXCLUDED) == 0))
        return rows, bits[rows], totals(values_in(m, block, rows, v, waited_days), weights)

    def nearest(n: int) -> Misses:
        rows, mbits, found = misses()
        order = np.lexsort((block.id_rank[rows], -found, np.bitwise_count(mbits)))[:n]
        return [(block.record(rows[i]), int(mbits[i])) for i in order.tolist()]

    def every_miss() -> Misses:
        rows, mbits, _ = misses()
        return [(block.record(r), int(b)) for r, b in zip(rows.tolist(), mbits.tolist(), strict=True)]

    return Evaluation(
        question=v.q,
        ranked=ranked,
        eligible_count=len(eligible),
        full_count=int(np.count_nonzero(bits == F_CAPACITY)),
        view=v,
        weights=weights,
        _nearest=nearest,
        _misses=every_miss,
    )


def evaluate(
    question: Question,
    candidates: Iterable[SupporterRecord],
    organisations: Mapping[str, Organisation],
    *,
    limit: int | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
    today: date | None = None,
    waited_days: float = 0.0,
    exclude: Collection[str] = (),
    places: Places = NO_PLACES,
) -> Evaluation:
    """Apply the hard rules to every candidate and rank the eligible ones.

    Reasons are built only for the best ``limit`` (all eligible when no limit). ``exclude``: supporter
    ids never to propose again (they declined this question). ``today`` decides who is paused
    (default: the real today).
    """
    v = View.of(question, organisations, today, places)
    pool = [s for s in candidates if s.id not in exclude]
    return evaluate_in(v, candidates_block(v, pool), limit=limit, weights=weights, waited_days=waited_days, exclude=())


def consultation_reason() -> Reason:
    """Why a question goes to the joint consultation (gezamenlijk overleg)."""
    return Reason(
        code=NO_ELIGIBLE_SUPPORTER,
        text="Geen ondersteuner past bij alle regels. In het gezamenlijk overleg kiezen de organisaties "
        "samen met de inwoner wie het beste kan helpen.",
    )


#: The code of a consultation the resident asked for ("Ik wil eerst kennismaken en samen kiezen").
CHOOSE_TOGETHER = "choose_together"


def choose_together_reason() -> Reason:
    """Why a question goes to the joint consultation when the resident wants to choose together."""
    return Reason(
        code=CHOOSE_TOGETHER,
        text="De inwoner wil eerst kennismaken en samen kiezen wie hem of haar ondersteunt. In het gezamenlijk "
        "overleg maakt een coördinator een afspraak met de inwoner en kiezen zij samen uit de beste kandidaten.",
    )
