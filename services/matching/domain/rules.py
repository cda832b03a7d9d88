"""The hard rules: a supporter failing any of them may not be assigned (each rule defined once).

Each :class:`HardRule` in :data:`HARD_RULES` holds its failure bit, one predicate over numpy columns
(a block of supporters against one question, or a row of supporters against a column of questions
in the batch optimiser) and its Dutch explanation (B1). Deciding, ranking and finding the nearest
misses use the predicates only (:func:`failure_bits`); the explanations are built afterwards, for the
few supporters someone will read about (:func:`reasons_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np

from contracts.events import Reason
from services.kit.region import current_region
from services.matching.domain.columns import I64, B, Block, Columns, QuestionMasks, Term, candidates_block
from services.matching.domain.labels import domain_names, kind_name, language_names, specialism_names
from services.matching.domain.model import Organisation, Question, SupporterRecord
from services.matching.domain.view import View

INACTIVE = "inactive"
PAUSED = "paused"
NO_CAPACITY = "no_capacity"
MUNICIPALITY_NOT_SERVED = "municipality_not_served"
LIFE_DOMAIN_NOT_COVERED = "life_domain_not_covered"
LANGUAGE_NOT_SPOKEN = "language_not_spoken"
KIND_NOT_CHOSEN = "kind_not_chosen"
NOT_INDEPENDENT = "not_independent"
NEED_NOT_MET = "need_not_met"

F_AVAILABLE = 1 << 0
F_CAPACITY = 1 << 1
F_MUNICIPALITY = 1 << 2
F_DOMAINS = 1 << 3
F_LANGUAGE = 1 << 4
F_KIND = 1 << 5
F_INDEPENDENT = 1 << 6
F_NEEDS = 1 << 7
#: Not a rule: the supporter declined this question before, so they are no candidate at all.
F_EXCLUDED = 1 << 16


def _unless(flag: Term, test: Callable[[], Term]) -> Term:
    """``flag or test()`` for one question (a bool) or a column of questions (an array)."""
    if isinstance(flag, bool):
        return True if flag else test()
    return flag | test()


def _only_if(flag: Term, test: Callable[[], Term]) -> Term:
    """``flag and test()`` for one question (a bool) or a column of questions (an array)."""
    if isinstance(flag, bool):
        return test() if flag else False
    return flag & test()


def _covers(have: Term, want: Term) -> Term:
    """Every bit of ``want`` is in ``have`` (nothing wanted: everyone covers it)."""
    if np.ndim(want) == 0 and not want:
        return True
    return (have & want) == want


class Reads(StrEnum):
    """What a rule reads besides the supporter's profile, which decides how often it is checked."""

    #: Only the day of the decision: checked once per block of supporters and day.
    DAY = "day"
    #: The supporter's booked places, which change with every booking.
    PLACES = "places"
    #: The question: checked per question and supporter (the batch optimiser checks the others once
    #: per supporter).
    QUESTION = "question"


@dataclass(frozen=True)
class HardRule:
    bit: int
    reads: Reads
    #: Passes, per supporter (``True`` alone: every supporter passes).
    holds: Callable[[QuestionMasks, Columns], B | bool]
    #: Why a supporter who fails the rule fails it (only asked for a supporter who does).
    explain: Callable[[View, SupporterRecord], Reason]


# --- the rules, each with its predicate and its explanation ----------------------------------------


def _available(q: QuestionMasks, s: Columns) -> B | bool:
    """Active, and not paused until a later day than the day of the decision."""
    return s.active & (s.paused <= q.today)


def _why_unavailable(v: View, s: SupporterRecord) -> Reason:
    if not s.active:
        return Reason(code=INACTIVE, text="Deze ondersteuner neemt nu geen nieuwe vragen aan.")
    return Reason(
        code=PAUSED,
        text=f"Deze ondersteuner neemt pas vanaf {s.paused_until:%d-%m-%Y} weer nieuwe vragen aan.",
    )


AVAILABLE = HardRule(bit=F_AVAILABLE, reads=Reads.DAY, holds=_available, explain=_why_unavailable)


def _has_room(q: QuestionMasks, s: Columns) -> B | bool:
    return s.active_cases < s.capacity


def _why_full(v: View, s: SupporterRecord) -> Reason:
    return Reason(
        code=NO_CAPACITY,
        text=f"Deze ondersteuner heeft geen plek vrij: {s.active_cases} van {s.capacity} plekken zijn bezet.",
    )


CAPACITY = HardRule(bit=F_CAPACITY, reads=Reads.PLACES, holds=_has_room, explain=_why_full)


def _serves(q: QuestionMasks, s: Columns) -> B | bool:
    return s.serves


def _why_elsewhere(v: View, s: SupporterRecord) -> Reason:
    place = current_region().municipality_name(v.q.municipality)
    return Reason(code=MUNICIPALITY_NOT_SERVED, text=f"Deze ondersteuner werkt niet in de gemeente {place}.")


MUNICIPALITY = HardRule(bit=F_MUNICIPALITY, reads=Reads.QUESTION, holds=_serves, explain=_why_elsewhere)


def _covers_domains(q: QuestionMasks, s: Columns) -> B | bool:
    """One supporter covers every life domain of the question (a duo covers them together)."""
    return _only_if(q.domains_known, lambda: _covers(s.domains, q.domains))


def _why_domains(v: View, s: SupporterRecord) -> Reason:
    missing = [d for d in v.q.life_domains if d not in s.life_domains]
    return Reason(code=LIFE_DOMAIN_NOT_COVERED, text=f"Deze ondersteuner helpt niet bij: {domain_names(missing)}.")


DOMAINS = HardRule(bit=F_DOMAINS, reads=Reads.QUESTION, holds=_covers_domains, explain=_why_domains)


def _speaks(q: QuestionMasks, s: Columns) -> B | bool:
    """Speaking one of the resident's languages is enough; a question without languages asks none."""
    return _unless(q.any_language, lambda: (s.languages & q.languages) != 0)


def _why_language(v: View, s: SupporterRecord) -> Reason:
    return Reason(
        code=LANGUAGE_NOT_SPOKEN,
        text=f"Deze ondersteuner spreekt geen taal van de inwoner ({language_names(v.q.languages)}).",
    )


LANGUAGE = HardRule(bit=F_LANGUAGE, reads=Reads.QUESTION, holds=_speaks, explain=_why_language)


def _chosen_kind(q: QuestionMasks, s: Columns) -> B | bool:
    """The resident's free choice between a professional, a volunteer and an experience expert."""
    return _unless(q.any_kind, lambda: s.kind == q.kind)


def _why_kind(v: View, s: SupporterRecord) -> Reason:
    chosen, actual = kind_name(v.q.preferred_supporter_kind), kind_name(s.kind)
    return Reason(code=KIND_NOT_CHOSEN, text=f"De inwoner koos voor een {chosen}. Deze ondersteuner is {actual}.")


KIND = HardRule(bit=F_KIND, reads=Reads.QUESTION, holds=_chosen_kind, explain=_why_kind)


def _independent(q: QuestionMasks, s: Columns) -> B | bool:
    """Support must be independent of the body that decides on provisions (Wmo 2015 art. 1.1.1).

    An organisation that decides on provisions fails; one we do not know fails too: independence is
    not shown.
    """
    return s.independent


def _why_not_independent(v: View, s: SupporterRecord) -> Reason:
    """A deciding organisation is named as the referrer when it also referred this resident."""
    org = v.organisations.get(s.organisation)
    if org is None:
        text = f"Organisatie {s.organisation} is onbekend. Daarom is niet zeker dat de steun onafhankelijk is."
    elif v.q.referrer is not None and v.q.referrer == org.id:
        text = f"{org.name} heeft de inwoner doorverwezen en beslist mee over voorzieningen. Dat is niet onafhankelijk."
    else:
        text = f"{org.name} beslist mee over voorzieningen. Daarom is deze ondersteuner niet onafhankelijk."
    return Reason(code=NOT_INDEPENDENT, text=text)


INDEPENDENT = HardRule(bit=F_INDEPENDENT, reads=Reads.DAY, holds=_independent, explain=_why_not_independent)


def _meets_needs(q: QuestionMasks, s: Columns) -> B | bool:
    """Every required specialism of the question (e.g. sign language, LVB) is one of the supporter's."""
    return _only_if(q.needs_known, lambda: _covers(s.specialisms, q.needs))


def _why_needs(v: View, s: SupporterRecord) -> Reason:
    missing = [n for n in v.q.needs if n not in s.specialisms]
    return Reason(
        code=NEED_NOT_MET, text=f"Deze ondersteuner heeft geen deskundigheid in: {specialism_names(missing)}."
    )


NEEDS = HardRule(bit=F_NEEDS, reads=Reads.QUESTION, holds=_meets_needs, explain=_why_needs)

#: Every hard rule, in the order their failures are reported.
HARD_RULES: tuple[HardRule, ...] = (AVAILABLE, CAPACITY, MUNICIPALITY, DOMAINS, LANGUAGE, KIND, INDEPENDENT, NEEDS)


def failure_bits(q: QuestionMasks, s: Columns, n: int, rules: tuple[HardRule, ...] = HARD_RULES) -> I64:
    """The failure bits of ``rules`` (default: every hard rule) for each of the ``n`` supporters in ``s``."""
    bits = np.zeros(n, dtype=np.int64)
    for rule in rules:
        held = rule.holds(q, s)
        if held is not True:
            bits |= np.where(held, 0, rule.bit)
    return bits


#: The rules a block answers once per day, and the others.
_DAILY = tuple(rule for rule in HARD_RULES if rule.reads is Reads.DAY)
_EVERY_TIME = tuple(rule for rule in HARD_RULES if rule.reads is not Reads.DAY)


def failures_in(m: QuestionMasks, block: Block, exclude: Collection[str] = ()) -> I64:
    """Failure bits per supporter of ``block``; excluded supporters also get :data:`F_EXCLUDED`.

    The bits of the rules that read only the day are kept with the block for that day.
    """
    day, daily = block.daily_failures
    if day != m.today:
        daily = failure_bits(m, block.cols, len(block), _DAILY)
        block.daily_failures = (m.today, daily)
    bits = daily | failure_bits(m, block.cols, len(block), _EVERY_TIME)
    if exclude:
        bits[block.positions(exclude)] |= F_EXCLUDED
    return bits


def all_hold(rules: tuple[HardRule, ...], q: QuestionMasks, s: Columns) -> B | bool:
    """Whether every one of ``rules`` holds (broadcast over ``q`` and ``s``)."""
    ok: B | bool = True
    for rule in rules:
        ok = ok & rule.holds(q, s)
    return ok


def reasons_of(mask: int, v: View, s: SupporterRecord) -> list[Reason]:
    """The reasons of the rules whose bits are set in ``mask``, in rule order."""
    return [rule.explain(v, s) for rule in HARD_RULES if mask & rule.bit]


# --- one supporter at a time (explanations, tests, the coordinator's choice) -----------------------


def failure_mask(v: View, s: SupporterRecord) -> int:
    """The failure bits of one supporter (computed as for a block of one)."""
    block = candidates_block(v, [s])
    return int(failure_bits(QuestionMasks.of(v, block.vocab), block.cols, 1)[0])


def failed_rules(
    q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation], today: date | None = None
) -> list[Reason]:
    """Every hard rule the supporter fails for this question (empty: eligible). ``today`` decides who
    is paused (default: the real today)."""
    v = View.of(q, orgs, today)
    return reasons_of(failure_mask(v, s), v, s)


RuleCheck = Callable[..., Reason | None]


def _check(rule: HardRule) -> RuleCheck:
    def check(
        q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation], today: date | None = None
    ) -> Reason | None:
        v = View.of(q, orgs, today)
        return rule.explain(v, s) if failure_mask(v, s) & rule.bit else None

    check.__doc__ = f"The reason the supporter fails the rule of bit {rule.bit}, or None when they pass it."
    return check


rule_active = _check(AVAILABLE)
rule_capacity = _check(CAPACITY)
rule_municipality = _check(MUNICIPALITY)
rule_life_domains = _check(DOMAINS)
rule_language = _check(LANGUAGE)
rule_kind = _check(KIND)
rule_independent = _check(INDEPENDENT)
rule_needs = _check(NEEDS)
