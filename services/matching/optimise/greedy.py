"""The greedy fallback of the batch optimiser: oldest question first, each to its best supporter."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

from services.matching.domain.evaluation import evaluate
from services.matching.domain.model import Organisation, Question, SupporterRecord
from services.matching.domain.places import NO_PLACES, Places
from services.matching.domain.scoring import DEFAULT_WEIGHTS, Scored, Weights


def greedy_assign_waiting(
    questions: Sequence[Question],
    waiting_since: Mapping[str, datetime],
    supporters: Sequence[SupporterRecord],
    organisations: Mapping[str, Organisation],
    now: datetime,
    excluded: Mapping[str, Collection[str]] | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    today: date | None = None,
    places: Places = NO_PLACES,
) -> list[tuple[str, str, Scored]]:
    """Oldest question first, each to its best eligible single supporter with room: what decides when
    the pool cannot be indexed for the optimiser (more than 64 codes of a kind).

    Respects every hard rule (via :func:`~services.matching.domain.evaluation.evaluate`), capacity
    (counting its own choices) and every decline (``excluded``: per question id, who declined it).
    ``today`` decides who is paused (default: the day of ``now``).
    """
    excluded = excluded or {}
    pool = {s.id: s for s in supporters}
    chosen: list[tuple[str, str, Scored]] = []
    day = today or now.date()
    for question in sorted(questions, key=lambda q: (waiting_since.get(q.question_id, now), q.question_id)):
        candidates = [s for s in pool.values() if s.active_cases < s.capacity]
        evaluation = evaluate(
            question,
            candidates,
            organisations,
            limit=1,
            weights=weights,
            today=day,
            exclude=excluded.get(question.question_id, frozenset()),
            places=places,
        )
        if not evaluation.ranked:
            continue
        best = evaluation.ranked[0]
        chosen.append((question.question_id, best.supporter.id, best))
        pool[best.supporter.id] = replace(best.supporter, active_cases=best.supporter.active_cases + 1)
    return chosen
