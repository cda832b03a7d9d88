"""Duos: a professional plus a volunteer or experience expert who together cover every life domain.

:func:`duo_options_in` is the one implementation, over a block of supporters; :func:`best_duo` and
:func:`duo_options` apply it to a list of candidates, :class:`~services.matching.domain.index.SupporterIndex`
to the supporters of the question's municipality.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

from contracts.events import Reason
from services.matching.domain.columns import KIND_CODES, Block, QuestionMasks, candidates_block
from services.matching.domain.labels import domain_names, kind_name
from services.matching.domain.model import Organisation, Question, SupporterRecord, duo_allowed
from services.matching.domain.places import NO_PLACES, Places
from services.matching.domain.rules import F_CAPACITY, F_DOMAINS, failures_in
from services.matching.domain.scoring import (
    DEFAULT_WEIGHTS,
    DOMAIN_COVERAGE,
    Component,
    Scored,
    Weights,
    explain,
    picked,
    top_reasons,
    totals,
    values_in,
)
from services.matching.domain.view import View

PROFESSIONAL = "professional"
PARTNER_KINDS = ("volunteer", "experience_expert")
#: Failure bits a duo member may have: domains are covered by the pair, capacity is checked apart.
DUO_IGNORED = F_DOMAINS | F_CAPACITY

#: The best members of one coverage pattern: (minus the score with full coverage, id, block position).
Members = list[tuple[float, str, int]]


@dataclass(frozen=True, slots=True)
class Duo:
    """A professional and a volunteer or experience expert who together cover every life domain.

    Each passes every hard rule on their own except domain coverage, which the pair meets together
    (and each covers at least one of the domains). ``components``: coverage of the pair (1.0), then
    for every other component the mean of the two, with both explanations; ``score`` is their sum.
    Both members take one place of their capacity.
    """

    professional: Scored
    partner: Scored
    score: float
    components: tuple[Component, ...]

    @property
    def supporters(self) -> tuple[SupporterRecord, SupporterRecord]:
        return (self.professional.supporter, self.partner.supporter)

    @property
    def supporter_ids(self) -> tuple[str, str]:
        return (self.professional.supporter.id, self.partner.supporter.id)

    def top_reasons(self, n: int = 3) -> list[Reason]:
        return top_reasons(self.components, n)

    def as_scored(self) -> tuple[Scored, Scored]:
        """Each member as a :class:`Scored` carrying the duo's score and reasons (for events)."""
        return (
            Scored(self.professional.supporter, self.score, self.components),
            Scored(self.partner.supporter, self.score, self.components),
        )


def duo_options_in(
    v: View,
    block: Block,
    *,
    weights: Weights,
    waited_days: float,
    require_room: bool,
    exclude: Collection[str],
    limit: int,
) -> list[Duo]:
    """Up to ``limit`` different duos from ``block``, best first (see :func:`best_duo`)."""
    if not duo_allowed(v.q):
        return []
    m = QuestionMasks.of(v, block.vocab)
    if not m.domains_known:
        return []
    ignored = F_DOMAINS if require_room else DUO_IGNORED
    bits = failures_in(m, block, exclude)
    cols = block.cols
    is_pro = cols.kind == KIND_CODES[PROFESSIONAL]
    ok = ((bits & ~ignored) == 0) & ((cols.domains & m.domains) != 0)
    ok &= is_pro | np.isin(cols.kind, [KIND_CODES[k] for k in PARTNER_KINDS])
    rows = np.flatnonzero(ok)
    partial = totals(values_in(m, block, rows, v, waited_days, full_coverage=True), weights)
    # Bit i of a member's key: the member covers domain i of the question.
    keys = np.zeros(len(rows), dtype=np.int64)
    for i, d in enumerate(v.domains):
        bit = np.uint64(1 << block.vocab.domains.bits[d])
        keys |= np.where((cols.domains[rows] & bit) != 0, 1 << i, 0)
    tops: dict[tuple[bool, int], Members] = {}
    for i in np.lexsort((block.id_rank[rows], -partial, keys, is_pro[rows])).tolist():
        members = tops.setdefault((bool(is_pro[rows[i]]), int(keys[i])), [])
        if len(members) < limit:
            members.append((-float(partial[i]), block.ids[rows[i]], int(rows[i])))
    return _combine(v, m, block, tops, weights, waited_days, limit)


def _combine(
    v: View,
    m: QuestionMasks,
    block: Block,
    tops: Mapping[tuple[bool, int], Members],
    weights: Weights,
    waited_days: float,
    limit: int,
) -> list[Duo]:
    """Combine the best members of each coverage pattern into the best ``limit`` pairs.

    The pair score is the mean of the members' scores with full coverage, so the best pair is the
    best member of each coverage pattern, combined.
    """
    full = (1 << len(v.domains)) - 1
    pairs: list[tuple[float, str, str, int, int]] = []
    for (is_pro, a), pros in tops.items():
        if not is_pro:
            continue
        for (is_pro_b, b), partners in tops.items():
            if is_pro_b or a | b != full:
                continue
            for neg_p, pid, p in pros:
                for neg_q, qid, q in partners:
                    pairs.append(((neg_p + neg_q) / 2, pid, qid, p, q))
    best = heapq.nsmallest(limit, pairs)
    return [_duo(v, m, block, p, q, weights, waited_days) for _, _, _, p, q in best]


def _duo(v: View, m: QuestionMasks, block: Block, pro: int, partner: int, weights: Weights, waited_days: float) -> Duo:
    """Explain a pair: the members' own scores and the combined components."""
    values = values_in(m, block, np.array([pro, partner], dtype=np.int64), v, waited_days)
    first, second = (
        explain(v, block.record(pos), values_of_pos, weights, waited_days)
        for pos, values_of_pos in zip((pro, partner), picked(values, [0, 1]), strict=True)
    )
    w = weights.as_tuple()
    pro_record, partner_record = first.supporter, second.supporter
    pro_name, partner_name = kind_name(PROFESSIONAL), kind_name(partner_record.kind)
    pro_domains = [d for d in v.domains if d in pro_record.life_domains]
    partner_domains = [d for d in v.domains if d in partner_record.life_domains and d not in pro_record.life_domains]
    coverage = Reason(
        code=DOMAIN_COVERAGE,
        text=f"Samen helpen ze bij alle leefgebieden: de {pro_name} bij {domain_names(pro_domains)}, "
        f"de {partner_name} bij {domain_names(partner_domains)}.",
    )
    components = [Component(coverage, 1.0, w[0])]
    for i in range(1, len(w)):
        a, b = first.components[i], second.components[i]
        text = f"{pro_name.capitalize()}: {_lower_first(a.reason.text)} {partner_name.capitalize()}: " + _lower_first(
            b.reason.text
        )
        if a.reason.text == b.reason.text:
            text = a.reason.text
        components.append(Component(Reason(code=a.reason.code, text=text), (a.value + b.value) / 2, w[i]))
    total = sum(c.contribution for c in components)
    return Duo(professional=first, partner=second, score=round(total, 6), components=tuple(components))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def duo_options(
    question: Question,
    candidates: Iterable[SupporterRecord],
    organisations: Mapping[str, Organisation],
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    today: date | None = None,
    waited_days: float = 0.0,
    require_room: bool = True,
    exclude: Collection[str] = (),
    limit: int = 5,
    places: Places = NO_PLACES,
) -> list[Duo]:
    """Up to ``limit`` different duos from ``candidates``, best first (see :func:`best_duo`)."""
    if not duo_allowed(question):
        return []
    v = View.of(question, organisations, today, places)
    block = candidates_block(v, [s for s in candidates if s.id not in exclude])
    return duo_options_in(
        v, block, weights=weights, waited_days=waited_days, require_room=require_room, exclude=(), limit=limit
    )


def best_duo(
    question: Question,
    candidates: Iterable[SupporterRecord],
    organisations: Mapping[str, Organisation],
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    today: date | None = None,
    waited_days: float = 0.0,
    require_room: bool = True,
    exclude: Collection[str] = (),
    places: Places = NO_PLACES,
) -> Duo | None:
    """The best professional plus volunteer or experience expert covering the domains together.

    None when the question may not get a duo (:func:`duo_allowed`) or no pair exists. Call it when
    :func:`~services.matching.domain.evaluation.evaluate` finds no single supporter. With
    ``require_room=False`` capacity is ignored: a pair found then (but not with room) means the
    question can wait for a duo instead of going to the consultation.
    """
    options = duo_options(
        question,
        candidates,
        organisations,
        weights=weights,
        today=today,
        waited_days=waited_days,
        require_room=require_room,
        exclude=exclude,
        limit=1,
        places=places,
    )
    return options[0] if options else None


# --- a duo chosen by hand (the joint consultation) --------------------------------------------------

#: The pair together leaves a life domain uncovered, or the resident asked for one supporter: a
#: coordinator may still choose the duo with the resident, and these reasons are recorded with it.
DUO_DOMAINS_NOT_COVERED = "duo_domains_not_covered"
DUO_NOT_WANTED = "duo_not_wanted"


def as_pair(a: SupporterRecord, b: SupporterRecord) -> tuple[SupporterRecord, SupporterRecord] | None:
    """The professional and the volunteer or experience expert of two supporters, in that order; None
    when the two are not such a pair (two professionals, two volunteers, or the same person)."""
    if a.id == b.id:
        return None
    for pro, partner in ((a, b), (b, a)):
        if pro.kind == PROFESSIONAL and partner.kind in PARTNER_KINDS:
            return pro, partner
    return None


def pair_notes(q: Question, pro: SupporterRecord, partner: SupporterRecord) -> list[Reason]:
    """What a duo chosen by hand does not meet of the resident's question, as soft reasons: the life
    domains neither covers, and a resident's "no" to two supporters. Empty: the pair fits."""
    notes = []
    missing = [d for d in q.life_domains if d not in pro.life_domains and d not in partner.life_domains]
    if missing:
        notes.append(Reason(code=DUO_DOMAINS_NOT_COVERED, text=f"Samen helpen ze niet bij: {domain_names(missing)}."))
    if q.wants_duo is False:
        notes.append(Reason(code=DUO_NOT_WANTED, text="De inwoner vroeg bij de aanmelding om één ondersteuner."))
    return notes
