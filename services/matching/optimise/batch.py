"""The batch optimiser's entry points: assign the waiting questions, and the yardsticks for it."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

import numpy as np

from services.matching.domain.columns import QuestionMasks
from services.matching.domain.model import Organisation, Question, SupporterRecord
from services.matching.domain.places import NO_PLACES, Places
from services.matching.domain.scoring import (
    DEFAULT_WEIGHTS,
    Scored,
    Situation,
    Weights,
    component_values,
    explain,
)
from services.matching.optimise.assignment import Solution, optimise
from services.matching.optimise.problem import AGEING_PER_DAY, PLACEMENT_VALUE, Problem

#: (question id, supporter id, scored): one row per supporter assigned.
Assignment = tuple[str, str, Scored]


def assign_waiting(
    questions: Sequence[Question],
    waiting_since: Mapping[str, datetime],
    supporters: Sequence[SupporterRecord],
    organisations: Mapping[str, Organisation],
    now: datetime,
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    max_rounds: int | None = 0,
    exclude: Mapping[str, Collection[str]] | None = None,
    places: Places = NO_PLACES,
) -> list[Assignment]:
    """Assign waiting questions to free places, maximising total weight (see :mod:`services.matching.optimise`).

    ``supporters`` carry their current ``active_cases``; a question missing from ``waiting_since``
    counts as waiting since ``now``. Returns ``(question_id, supporter_id, scored)`` rows, oldest
    question first; a duo gives two rows with the same question id (professional first), both with
    the duo's score and reasons. Questions not in the result keep waiting. ``max_rounds``: pricing
    rounds after the first solve (None: until the optimum is proven). ``exclude``: per question id,
    supporters who declined it and are never proposed again. Raises
    :class:`~services.matching.domain.columns.TooManyCodes` for a pool that cannot be indexed.
    """
    problem = Problem.build(questions, waiting_since, supporters, organisations, now, weights, exclude, places)
    return _results(problem, optimise(problem, max_rounds))


def optimal_objective(
    questions: Sequence[Question],
    waiting_since: Mapping[str, datetime],
    supporters: Sequence[SupporterRecord],
    organisations: Mapping[str, Organisation],
    now: datetime,
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    places: Places = NO_PLACES,
) -> float:
    """The exact optimum of the objective :func:`assign_waiting` maximises (pricing to the end)."""
    problem = Problem.build(questions, waiting_since, supporters, organisations, now, weights, places=places)
    return optimise(problem, None, refine=True).objective


def objective(assignments: Sequence[Assignment], waiting_since: Mapping[str, datetime], now: datetime) -> float:
    """The objective value of an assignment (a duo's two rows count once)."""
    total = 0.0
    for question_id in dict.fromkeys(a[0] for a in assignments):
        scored = next(a[2] for a in assignments if a[0] == question_id)
        days = max(0.0, (now - waiting_since.get(question_id, now)).total_seconds() / 86400)
        total += PLACEMENT_VALUE + scored.score + AGEING_PER_DAY * days
    return total


def _results(problem: Problem, solution: Solution) -> list[Assignment]:
    """(question id, supporter id, scored) in waiting order, oldest first; a duo gives two rows."""
    picks: list[tuple[int, list[Assignment]]] = []
    for qi, scored in _explain_singles(problem, solution.singles):
        picks.append((qi, [(problem.questions[qi].question_id, scored.supporter.id, scored)]))
    for qi, duo in solution.duos:
        question = problem.questions[qi]
        picks.append((qi, [(question.question_id, x.supporter.id, x) for x in duo.as_scored()]))
    picks.sort(key=lambda p: (-problem.waited[p[0]], problem.questions[p[0]].question_id))
    return [row for _, rows in picks for row in rows]


def _explain_singles(problem: Problem, singles: list[tuple[int, int]]) -> list[tuple[int, Scored]]:
    """Each chosen (question position, supporter row) with its score and reasons, computed per
    municipality for all its pairs at once."""
    by_block: dict[str, list[tuple[int, int]]] = {}
    for qi, row in singles:
        by_block.setdefault(problem.questions[qi].municipality, []).append((qi, row))
    found = []
    for municipality, pairs in by_block.items():
        block = problem.index.blocks[municipality]
        qs = np.array([qi for qi, _ in pairs], dtype=np.int64)
        ids = [problem.index.records[row].id for _, row in pairs]
        positions = np.array([block.pos_of[sid] for sid in ids], dtype=np.int64)
        previous = np.array([sid in problem.views[qi].previous for (qi, _), sid in zip(pairs, ids, strict=True)])
        masks = QuestionMasks.stack([problem.masks[qi] for qi in qs.tolist()], as_column=False)
        situation = Situation(np.where(previous, 1.0, 0.0), problem.waited[qs])
        values = np.broadcast_arrays(*component_values(masks, block.cols, positions, situation))
        for i, qi in enumerate(qs.tolist()):
            record = block.record(int(positions[i]))
            waited = float(problem.waited[qi])
            found.append(
                (qi, explain(problem.views[qi], record, [float(a[i]) for a in values], problem.weights, waited))
            )
    return found
