"""The waiting questions against the free places, in the index's vectorised form.

Rules and scores come from the domain's one definition (:data:`~services.matching.domain.rules.HARD_RULES`,
:func:`~services.matching.domain.scoring.component_values`), broadcast as a column of questions
against a row of supporters.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from services.matching.domain.columns import F64, I64, B, Block, QuestionMasks
from services.matching.domain.index import SupporterIndex
from services.matching.domain.model import Organisation, Question, SupporterRecord
from services.matching.domain.places import NO_PLACES, Places
from services.matching.domain.rules import HARD_RULES, Reads, all_hold
from services.matching.domain.scoring import Situation, Weights, component_values, totals
from services.matching.domain.view import View

#: Weight of placing a question at all (the largest possible score).
PLACEMENT_VALUE = 1.0
#: Extra weight per day of waiting, without bound: nobody waits forever.
AGEING_PER_DAY = 0.05
#: Cells of a question × supporter matrix computed at once (bounds the memory).
CHUNK_CELLS = 1_500_000

#: Rules about the supporter alone (available, room, independent): checked once per supporter.
SUPPORTER_RULES = tuple(rule for rule in HARD_RULES if rule.reads is not Reads.QUESTION)
#: Rules about the pair of question and supporter.
PAIR_RULES = tuple(rule for rule in HARD_RULES if rule.reads is Reads.QUESTION)


@dataclass
class Problem:
    """The waiting questions (unique, in their positions) and the pool, prepared once."""

    questions: list[Question]
    index: SupporterIndex
    views: list[View]
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
        questions: Sequence[Question],
        waiting_since: Mapping[str, datetime],
        supporters: Sequence[SupporterRecord],
        organisations: Mapping[str, Organisation],
        now: datetime,
        weights: Weights,
        exclude: Mapping[str, Collection[str]] | None = None,
        places: Places = NO_PLACES,
    ) -> Problem:
        unique = list({q.question_id: q for q in questions}.values())
        index = SupporterIndex(supporters, organisations, places)
        today = now.date()
        waited = np.array(
            [max(0.0, (now - waiting_since.get(q.question_id, now)).total_seconds() / 86400) for q in unique]
        )
        views = [index.view(q, today) for q in unique]
        problem = cls(unique, index, views, [index.masks(v) for v in views], waited, weights, today)
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

    def chunks(self) -> list[tuple[Block, I64, I64]]:
        """(block, question positions, usable columns), sized to :data:`CHUNK_CELLS`.

        Usable columns are the supporters that pass every rule about themselves (available, room,
        independent) on the day of the batch.
        """
        out = []
        for municipality, positions in self.by_block.items():
            block = self.index.blocks[municipality]
            cols = np.flatnonzero(all_hold(SUPPORTER_RULES, self.masks[positions[0]], block.cols))
            if len(cols) == 0:
                continue
            step = max(1, CHUNK_CELLS // len(cols))
            for start in range(0, len(positions), step):
                out.append((block, np.array(positions[start : start + step], dtype=np.int64), cols))
        return out

    def stacked(self, qs: I64) -> QuestionMasks:
        """The questions at positions ``qs`` as a column."""
        return QuestionMasks.stack([self.masks[i] for i in qs.tolist()])

    def eligibility(self, block: Block, qs: I64, cols: I64, masks: QuestionMasks | None = None) -> B:
        """Which (question, column) pairs pass the rules about the pair."""
        ok = all_hold(PAIR_RULES, masks or self.stacked(qs), block.cols.take(cols[None, :]))
        return np.broadcast_to(ok, (len(qs), len(cols)))

    def continuity(self, block: Block, qs: I64, cols: I64) -> F64:
        """1.0 where the column is an earlier supporter of the question's resident."""
        found = np.zeros((len(qs), len(cols)))
        position = {int(r): j for j, r in enumerate(cols.tolist())}
        for a, i in enumerate(qs.tolist()):
            for pos in block.positions(self.views[i].previous):
                if pos in position:
                    found[a, position[pos]] = 1.0
        return found

    def totals(self, block: Block, qs: I64, cols: I64, masks: QuestionMasks | None = None) -> F64:
        """Scores of eligible pairs (coverage is full for them), the same floats as a single decision."""
        masks = masks or self.stacked(qs)
        situation = Situation(self.continuity(block, qs, cols), self.waited[qs][:, None], full_coverage=True)
        total = totals(component_values(masks, block.cols, cols[None, :], situation), self.weights)
        result: F64 = np.broadcast_to(total, (len(qs), len(cols)))
        return result

    def weights_matrix(self, block: Block, qs: I64, cols: I64) -> F64:
        """Edge weights, ``-inf`` where a pair breaks a rule."""
        masks = self.stacked(qs)
        ok = np.array(self.eligibility(block, qs, cols, masks))
        if self.excluded:
            position = {block.ids[c]: j for j, c in enumerate(cols.tolist())}
            for a, i in enumerate(qs.tolist()):
                for sid in self.excluded.get(i, ()):
                    if sid in position:
                        ok[a, position[sid]] = False
        weight = PLACEMENT_VALUE + self.totals(block, qs, cols, masks) + self.age_bonus[qs][:, None]
        result: F64 = np.where(ok, weight, -np.inf)
        return result
