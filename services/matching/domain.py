"""Matching rules: which supporters may help a question, and who fits best (pure, no I/O).

Two stages, both explainable with a :class:`~contracts.events.Reason` (a stable code plus a Dutch
sentence at B1 level):

1. **Hard rules** (:data:`HARD_RULES`) — a supporter failing any of them may not be assigned. The
   failures are kept per candidate so a joint consultation can see why nobody fitted.
2. **Scoring** (:func:`score`) — each component is a value in ``[0, 1]`` times a weight; the score is
   their sum, so it lies in ``[0, 1]`` and every point of it is explained by a component's reason.

:func:`evaluate` runs both over all candidates of one question in O(n) (a heap keeps the best
``limit``), and :attr:`Evaluation.verdict` says what to do: assign, wait (eligible supporters exist
but all are full) or ask the joint consultation (nobody passes the hard rules).

The shapes leave room for what comes later: duos (two supporters covering the domains together) can
relax ``life_domain_not_covered`` into a pair rule, re-matching re-runs :func:`evaluate` for waiting
questions, and batch optimisation can use :func:`score` as its objective.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from contracts.codes import LIFE_DOMAINS, MUNICIPALITIES, SUPPORTER_KINDS
from contracts.events import CandidateVerdict, QuestionReceived, Reason

# --- codes ----------------------------------------------------------------------------------------

INACTIVE = "inactive"
NO_CAPACITY = "no_capacity"
MUNICIPALITY_NOT_SERVED = "municipality_not_served"
LIFE_DOMAIN_NOT_COVERED = "life_domain_not_covered"
LANGUAGE_NOT_SPOKEN = "language_not_spoken"
KIND_NOT_CHOSEN = "kind_not_chosen"
NOT_INDEPENDENT = "not_independent"

DOMAIN_COVERAGE = "domain_coverage"
SPECIALISM = "specialism"
LANGUAGE_MATCH = "language_match"
DISTANCE = "distance"
WORKLOAD = "workload"

NO_ELIGIBLE_SUPPORTER = "no_eligible_supporter"

#: How many candidates a consultation shows the coordinators.
CONSULTATION_CANDIDATES = 5

LANGUAGE_NAMES: dict[str, str] = {
    "nl": "Nederlands",
    "en": "Engels",
    "ar": "Arabisch",
    "tr": "Turks",
    "pl": "Pools",
    "ber": "Berbers",
    "ti": "Tigrinya",
    "uk": "Oekraïens",
    "so": "Somalisch",
    "fa": "Perzisch",
    "de": "Duits",
    "fr": "Frans",
    "es": "Spaans",
    "pap": "Papiaments",
    "ngt": "Nederlandse Gebarentaal",
}
KIND_NAMES: dict[str, str] = {
    "professional": "beroepskracht",
    "volunteer": "vrijwilliger",
    "experience_expert": "ervaringsdeskundige",
}


# --- the things we match --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Organisation:
    """A supporting or referring organisation. One that decides on provisions is not independent."""

    id: str
    name: str
    decides_on_provisions: bool = False


@dataclass(frozen=True, slots=True)
class SupporterRecord:
    """A supporter in the shared pool, as stored by matching.

    ``active_cases`` counts the questions assigned and not yet ended; ``capacity`` is the most the
    supporter takes at once. Validation is separate (:func:`supporter_problems`) so that reading
    thousands of trusted rows from the database stays cheap.
    """

    id: str
    name: str
    email: str
    kind: str
    organisation: str
    municipalities: Sequence[str]
    life_domains: Sequence[str]
    languages: Sequence[str] = ("nl",)
    specialisms: Sequence[str] = ()
    capacity: int = 0
    active_cases: int = 0
    postcode: str | None = None
    active: bool = True

    @property
    def utilisation(self) -> float:
        """Share of the capacity in use; a supporter without capacity counts as fully used."""
        return self.active_cases / self.capacity if self.capacity > 0 else 1.0


def supporter_problems(s: SupporterRecord) -> list[str]:
    """What is wrong with a record before it is stored (empty when it is fine)."""
    problems = []
    if not s.id or not s.name or not s.email or not s.organisation:
        problems.append("id, name, email and organisation are required")
    if s.kind not in SUPPORTER_KINDS:
        problems.append(f"kind must be one of {', '.join(SUPPORTER_KINDS)}, got {s.kind!r}")
    unknown_domains = [d for d in s.life_domains if d not in LIFE_DOMAINS]
    if unknown_domains:
        problems.append(f"unknown life domain(s) {unknown_domains}")
    unknown_places = [m for m in s.municipalities if m not in MUNICIPALITIES]
    if unknown_places:
        problems.append(f"unknown municipality code(s) {unknown_places}")
    if s.capacity < 0 or not 0 <= s.active_cases <= s.capacity:
        problems.append(f"need 0 <= active_cases <= capacity, got {s.active_cases} and {s.capacity}")
    if s.postcode is not None and _postcode_number(s.postcode) is None:
        problems.append(f"postcode must start with 4 digits, got {s.postcode!r}")
    return problems


@dataclass(frozen=True, slots=True)
class Question:
    """What matching needs to know of a question (no personal data: it comes from an event)."""

    question_id: str
    municipality: str
    life_domains: tuple[str, ...]
    preferred_supporter_kind: str = "any"
    languages: tuple[str, ...] = ("nl",)
    postcode: str | None = None
    referrer: str | None = None

    @classmethod
    def from_event(cls, event: QuestionReceived) -> Question:
        return cls(
            question_id=event.question_id,
            municipality=event.municipality,
            life_domains=tuple(event.life_domains),
            preferred_supporter_kind=event.preferred_supporter_kind,
            languages=tuple(event.languages),
            postcode=event.postcode,
            referrer=event.referrer,
        )


# --- hard rules -----------------------------------------------------------------------------------

Rule = Callable[[Question, SupporterRecord, Mapping[str, Organisation]], Reason | None]


def rule_active(q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation]) -> Reason | None:
    if s.active:
        return None
    return Reason(code=INACTIVE, text="Deze ondersteuner neemt nu geen nieuwe vragen aan.")


def rule_capacity(q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation]) -> Reason | None:
    if s.active_cases < s.capacity:
        return None
    return Reason(
        code=NO_CAPACITY,
        text=f"Deze ondersteuner heeft geen plek vrij: {s.active_cases} van {s.capacity} plekken zijn bezet.",
    )


def rule_municipality(q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation]) -> Reason | None:
    if q.municipality in s.municipalities:
        return None
    place = MUNICIPALITIES.get(q.municipality, q.municipality)
    return Reason(code=MUNICIPALITY_NOT_SERVED, text=f"Deze ondersteuner werkt niet in de gemeente {place}.")


def rule_life_domains(q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation]) -> Reason | None:
    """For now one supporter must cover every life domain of the question (duos come later)."""
    missing = [d for d in q.life_domains if d not in s.life_domains]
    if not missing:
        return None
    return Reason(code=LIFE_DOMAIN_NOT_COVERED, text=f"Deze ondersteuner helpt niet bij: {_domain_names(missing)}.")


def rule_language(q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation]) -> Reason | None:
    if any(lang in s.languages for lang in q.languages):
        return None
    return Reason(
        code=LANGUAGE_NOT_SPOKEN,
        text=f"Deze ondersteuner spreekt geen taal van de inwoner ({_language_names(q.languages)}).",
    )


def rule_kind(q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation]) -> Reason | None:
    """The resident's free choice between a professional, a volunteer and an experience expert."""
    if q.preferred_supporter_kind in ("any", s.kind):
        return None
    chosen = KIND_NAMES.get(q.preferred_supporter_kind, q.preferred_supporter_kind)
    actual = KIND_NAMES.get(s.kind, s.kind)
    return Reason(code=KIND_NOT_CHOSEN, text=f"De inwoner koos voor een {chosen}. Deze ondersteuner is {actual}.")


def rule_independent(q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation]) -> Reason | None:
    """Support must be independent of the body that decides on provisions (Wmo 2015 art. 1.1.1).

    An organisation that decides on provisions fails, and it is named as the referrer when it also
    referred this resident. An organisation we do not know fails too: independence is not shown.
    """
    org = orgs.get(s.organisation)
    if org is None:
        return Reason(
            code=NOT_INDEPENDENT,
            text=f"Organisatie {s.organisation} is onbekend. Daarom is niet zeker dat de steun onafhankelijk is.",
        )
    if not org.decides_on_provisions:
        return None
    if q.referrer is not None and q.referrer == org.id:
        text = f"{org.name} heeft de inwoner doorverwezen en beslist mee over voorzieningen. Dat is niet onafhankelijk."
    else:
        text = f"{org.name} beslist mee over voorzieningen. Daarom is deze ondersteuner niet onafhankelijk."
    return Reason(code=NOT_INDEPENDENT, text=text)


#: Every hard rule, in the order their failures are reported.
HARD_RULES: tuple[Rule, ...] = (
    rule_active,
    rule_capacity,
    rule_municipality,
    rule_life_domains,
    rule_language,
    rule_kind,
    rule_independent,
)


def failed_rules(q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation]) -> list[Reason]:
    """Every hard rule the supporter fails for this question (empty: eligible)."""
    return [reason for rule in HARD_RULES if (reason := rule(q, s, orgs)) is not None]


# --- scoring --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Weights:
    """Weight of each score component; they add up to 1 so a score lies in [0, 1]."""

    domains: float = 0.35
    specialism: float = 0.10
    language: float = 0.15
    distance: float = 0.20
    workload: float = 0.20


DEFAULT_WEIGHTS = Weights()

#: Postcode numbers this far apart (or further) score 0 on distance. A rough proxy for kilometres.
DISTANCE_SCALE = 100


@dataclass(frozen=True, slots=True)
class Component:
    """One explained part of a score: ``value`` in [0, 1], counted with ``weight``."""

    reason: Reason
    value: float
    weight: float

    @property
    def contribution(self) -> float:
        return self.value * self.weight


@dataclass(frozen=True, slots=True)
class Scored:
    supporter: SupporterRecord
    score: float
    components: tuple[Component, ...]

    def top_reasons(self, n: int = 3) -> list[Reason]:
        """The ``n`` reasons that added most to the score (ties keep the component order)."""
        ordered = sorted(self.components, key=lambda c: -c.contribution)
        return [c.reason for c in ordered[:n]]


def score(q: Question, s: SupporterRecord, weights: Weights = DEFAULT_WEIGHTS) -> Scored:
    """Score a supporter for a question; every component carries its own reason."""
    components = (
        Component(*_domain_coverage(q, s), weights.domains),
        Component(*_specialism(q, s), weights.specialism),
        Component(*_language_match(q, s), weights.language),
        Component(*_distance(q, s), weights.distance),
        Component(*_workload(s), weights.workload),
    )
    total = sum(c.contribution for c in components)
    return Scored(supporter=s, score=round(total, 6), components=components)


def _domain_coverage(q: Question, s: SupporterRecord) -> tuple[Reason, float]:
    covered = [d for d in q.life_domains if d in s.life_domains]
    value = len(covered) / len(q.life_domains) if q.life_domains else 1.0
    if value == 1.0:
        text = f"Helpt bij alle leefgebieden van de vraag: {_domain_names(covered)}."
    elif covered:
        text = f"Helpt bij {len(covered)} van de {len(q.life_domains)} leefgebieden: {_domain_names(covered)}."
    else:
        text = "Helpt bij geen van de leefgebieden van de vraag."
    return Reason(code=DOMAIN_COVERAGE, text=text), value


def _specialism(q: Question, s: SupporterRecord) -> tuple[Reason, float]:
    special = [d for d in q.life_domains if d in s.specialisms]
    if not special:
        return Reason(code=SPECIALISM, text="Heeft geen specialisatie in de leefgebieden van de vraag."), 0.0
    value = len(special) / len(q.life_domains)
    return Reason(code=SPECIALISM, text=f"Is gespecialiseerd in: {_domain_names(special)}."), value


def _language_match(q: Question, s: SupporterRecord) -> tuple[Reason, float]:
    if not q.languages:
        return Reason(code=LANGUAGE_MATCH, text="De inwoner gaf geen taal op."), 0.5
    first = q.languages[0]
    name = LANGUAGE_NAMES.get(first, first)
    if first in s.languages:
        return Reason(code=LANGUAGE_MATCH, text=f"Spreekt de eerste taal van de inwoner: {name}."), 1.0
    return Reason(code=LANGUAGE_MATCH, text=f"Spreekt een taal van de inwoner, maar niet de eerste ({name})."), 0.0


def _distance(q: Question, s: SupporterRecord) -> tuple[Reason, float]:
    """Closeness by 4-digit postcode: the numeric difference is a simple proxy for distance."""
    here, there = _postcode_number(q.postcode), _postcode_number(s.postcode)
    if here is None or there is None:
        return Reason(code=DISTANCE, text="De afstand is niet bekend."), 0.5
    gap = abs(here - there)
    value = max(0.0, 1.0 - gap / DISTANCE_SCALE)
    if gap == 0:
        text = f"Werkt in hetzelfde postcodegebied als de inwoner ({here})."
    elif value >= 0.5:
        text = f"Werkt dichtbij: postcode {there}, de inwoner woont in {here}."
    else:
        text = f"Werkt verder weg: postcode {there}, de inwoner woont in {here}."
    return Reason(code=DISTANCE, text=text), value


def _workload(s: SupporterRecord) -> tuple[Reason, float]:
    """Spread the work: a supporter with a lower share of their capacity in use scores higher."""
    value = max(0.0, 1.0 - s.utilisation)
    text = f"Heeft ruimte: {s.active_cases} van {s.capacity} plekken zijn bezet."
    return Reason(code=WORKLOAD, text=text), value


# --- evaluating one question ----------------------------------------------------------------------


class Verdict(StrEnum):
    ASSIGN = "assign"
    WAIT = "wait"
    CONSULT = "consult"


def _rank_key(scored: Scored) -> tuple[float, str]:
    """Best score first; equal scores by supporter id so the outcome is reproducible."""
    return (-scored.score, scored.supporter.id)


@dataclass
class Evaluation:
    """The outcome of the rules and scores for one question."""

    question: Question
    #: Eligible supporters, best first (only the best ``limit`` when :func:`evaluate` got one).
    ranked: list[Scored]
    eligible_count: int
    #: Failed hard rules per ineligible supporter id.
    failed: dict[str, list[Reason]]
    #: Supporters failing only on capacity: a question for them waits instead of going to consultation.
    full_count: int
    weights: Weights = DEFAULT_WEIGHTS
    _ineligible: list[tuple[SupporterRecord, list[Reason]]] = field(default_factory=list, repr=False)

    @property
    def verdict(self) -> Verdict:
        if self.ranked:
            return Verdict.ASSIGN
        return Verdict.WAIT if self.full_count else Verdict.CONSULT

    def consultation_candidates(self, n: int = CONSULTATION_CANDIDATES) -> list[CandidateVerdict]:
        """The ``n`` nearest misses: fewest failed rules first, then the best score, then the id."""
        nearest = heapq.nsmallest(
            n,
            self._ineligible,
            key=lambda pair: (len(pair[1]), -score(self.question, pair[0], self.weights).score, pair[0].id),
        )
        return [CandidateVerdict(supporter_id=s.id, organisation=s.organisation, failed_rules=f) for s, f in nearest]


def evaluate(
    question: Question,
    candidates: Iterable[SupporterRecord],
    organisations: Mapping[str, Organisation],
    *,
    limit: int | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> Evaluation:
    """Apply the hard rules to every candidate and rank the eligible ones.

    One pass over the candidates; with ``limit`` the ranking keeps only the best ``limit`` with a
    heap (O(n log limit)), without it all eligible supporters are sorted.
    """
    eligible: list[Scored] = []
    ineligible: list[tuple[SupporterRecord, list[Reason]]] = []
    full = 0
    for supporter in candidates:
        failures = failed_rules(question, supporter, organisations)
        if not failures:
            eligible.append(score(question, supporter, weights))
            continue
        ineligible.append((supporter, failures))
        if len(failures) == 1 and failures[0].code == NO_CAPACITY:
            full += 1
    ranked = heapq.nsmallest(limit, eligible, key=_rank_key) if limit else sorted(eligible, key=_rank_key)
    return Evaluation(
        question=question,
        ranked=ranked,
        eligible_count=len(eligible),
        failed={s.id: f for s, f in ineligible},
        full_count=full,
        weights=weights,
        _ineligible=ineligible,
    )


def consultation_reason() -> Reason:
    """Why a question goes to the joint consultation (gezamenlijk overleg)."""
    return Reason(
        code=NO_ELIGIBLE_SUPPORTER,
        text="Geen ondersteuner past bij alle regels. In het gezamenlijk overleg kiezen de organisaties "
        "samen met de inwoner wie het beste kan helpen.",
    )


# --- helpers --------------------------------------------------------------------------------------


def _postcode_number(postcode: str | None) -> int | None:
    """The 4-digit number of a Dutch postcode ("3311" or "3311 AB"), or None."""
    if not postcode:
        return None
    digits = postcode.strip()[:4]
    return int(digits) if len(digits) == 4 and digits.isdigit() else None


def _domain_names(codes: Iterable[str]) -> str:
    return ", ".join(LIFE_DOMAINS.get(c, c) for c in codes)


def _language_names(codes: Iterable[str]) -> str:
    return ", ".join(LANGUAGE_NAMES.get(c, c) for c in codes)
