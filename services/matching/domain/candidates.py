"""The candidates a joint consultation weighs: every supporter, nearest to fitting first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

from contracts.events import Reason
from services.matching.domain.columns import QuestionMasks, candidates_block
from services.matching.domain.model import Organisation, Question, SupporterRecord
from services.matching.domain.places import NO_PLACES, Places
from services.matching.domain.rules import failures_in, reasons_of
from services.matching.domain.scoring import DEFAULT_WEIGHTS, Weights, totals, values_in
from services.matching.domain.view import View


@dataclass(frozen=True)
class Candidate:
    """A supporter for a consultation: the hard rules they fail (none: eligible) and their score."""

    supporter: SupporterRecord
    failed_rules: list[Reason]
    #: The score, to 4 decimals.
    score: float


def nearest_candidates(
    question: Question,
    supporters: Iterable[SupporterRecord],
    organisations: Mapping[str, Organisation],
    *,
    limit: int,
    weights: Weights = DEFAULT_WEIGHTS,
    today: date | None = None,
    places: Places = NO_PLACES,
) -> list[Candidate]:
    """The ``limit`` supporters nearest to fitting: fewest failed rules first, then the best score
    (to 4 decimals), then the id. Reasons are written for those ``limit`` only."""
    v = View.of(question, organisations, today, places)
    block = candidates_block(v, list(supporters))
    m = QuestionMasks.of(v, block.vocab)
    bits = failures_in(m, block)
    scores = [round(round(float(t), 6), 4) for t in totals(values_in(m, block, np.arange(len(block)), v, 0.0), weights)]
    failed = np.bitwise_count(bits).tolist()
    order = sorted(range(len(block)), key=lambda i: (failed[i], -scores[i], block.ids[i]))[:limit]
    return [Candidate(block.record(i), reasons_of(int(bits[i]), v, block.record(i)), scores[i]) for i in order]
