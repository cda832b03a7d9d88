"""Scoring: who fits best among the supporters that pass every hard rule (each component defined once).

Each component (:data:`COMPONENTS`) is a value in ``[0, 1]`` times a weight (:class:`Weights`, adding
up to 1), so a score lies in ``[0, 1]`` and every point of it is explained by the component's Dutch
reason: domain coverage, specialism and lived-experience fit, first language, distance (4-digit
postcodes), continuity (the resident's earlier supporter), workload and waiting time.

The values are computed in one vectorised form (:func:`component_values`) for a block of supporters
against one question, or a row of supporters against a column of questions (the batch optimiser);
the reasons are written afterwards, for the supporters someone will read about (:func:`explain`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from contracts.events import Reason
from services.matching.domain.columns import F64, I64, Block, Columns, QuestionMasks, Term, candidates_block
from services.matching.domain.labels import domain_names, language_name, specialism_names
from services.matching.domain.model import Question, SupporterRecord, postcode_number
from services.matching.domain.places import NO_PLACES, Places, distance_values
from services.matching.domain.view import View

DOMAIN_COVERAGE = "domain_coverage"
SPECIALISM = "specialism"
LANGUAGE_MATCH = "language_match"
DISTANCE = "distance"
CONTINUITY = "continuity"
WORKLOAD = "workload"
WAITING_TIME = "waiting_time"

#: Days of waiting after which the waiting-time component is full (1.0).
WAITING_FULL_DAYS = 28.0


@dataclass(frozen=True, slots=True)
class Weights:
    """Weight of each score component; they add up to 1 so a score lies in [0, 1].

    Continuity weighs most of the parts that differ between eligible supporters: a resident who
    comes back gets their earlier supporter unless that one fits clearly worse. Domain coverage is
    the same for every single eligible supporter (they all cover everything); it differs for duos
    and for the nearest misses shown to a consultation.
    """

    domains: float = 0.15
    specialism: float = 0.15
    language: float = 0.10
    distance: float = 0.15
    continuity: float = 0.25
    workload: float = 0.10
    waiting: float = 0.10

    def as_tuple(self) -> tuple[float, float, float, float, float, float, float]:
        """In the order of :data:`COMPONENTS`."""
        return (
            self.domains,
            self.specialism,
            self.language,
            self.distance,
            self.continuity,
            self.workload,
            self.waiting,
        )


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class Scoring:
    """How a service scores: the weights, and the postcode table distances are measured with."""

    weights: Weights = DEFAULT_WEIGHTS
    places: Places = NO_PLACES


@dataclass(frozen=True, slots=True)
class Component:
    """One explained part of a score: ``value`` in [0, 1], counted with ``weight``."""

    reason: Reason
    value: float
    weight: float

    @property
    def contribution(self) -> float:
        return self.value * self.weight


def top_reasons(components: Sequence[Component], n: int) -> list[Reason]:
    """The ``n`` reasons that added most (ties keep the component order)."""
    ordered = sorted(components, key=lambda c: -c.contribution)
    return [c.reason for c in ordered[:n]]


@dataclass(frozen=True, slots=True)
class Scored:
    supporter: SupporterRecord
    score: float
    components: tuple[Component, ...]

    def top_reasons(self, n: int = 3) -> list[Reason]:
        """The ``n`` reasons that added most to the score (ties keep the component order)."""
        return top_reasons(self.components, n)


# --- the components -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Situation:
    """What a score reads besides the question and the supporters."""

    #: 1.0 where the supporter helped this resident before (shaped like the supporters scored).
    continuity: F64 | float
    #: Days the question waited (a column of them for a batch).
    waited_days: Term
    #: Count every domain as covered (a duo member: the pair covers them together).
    full_coverage: bool = False


def _share(hits: Term, n: Term) -> Term:
    return np.bitwise_count(hits).astype(np.float64) / n


def _coverage(q: QuestionMasks, s: Columns, rows: I64, x: Situation) -> Term:
    if x.full_coverage:
        return 1.0
    if isinstance(q.n_domains, int):
        return _share(s.domains[rows] & q.domains, q.n_domains) if q.n_domains else 1.0
    return np.where(q.n_domains > 0, _share(s.domains[rows] & q.domains, np.maximum(q.n_domains, 1)), 1.0)


def _fit(q: QuestionMasks, s: Columns, rows: I64, x: Situation) -> Term:
    if isinstance(q.n_relevant, int):
        return _share(s.expertise[rows] & q.relevant, q.n_relevant) if q.n_relevant else 0.0
    return np.where(q.n_relevant > 0, _share(s.expertise[rows] & q.relevant, np.maximum(q.n_relevant, 1)), 0.0)


def _language(q: QuestionMasks, s: Columns, rows: I64, x: Situation) -> Term:
    if q.any_language is True:
        return 0.5
    spoken = np.where((s.languages[rows] & q.first_language) != 0, 1.0, 0.0)
    return spoken if q.any_language is False else np.where(q.any_language, 0.5, spoken)


def _distance(q: QuestionMasks, s: Columns, rows: I64, x: Situation) -> Term:
    return distance_values(q.postcode, q.lat, q.lon, s.postcode[rows], s.lat[rows], s.lon[rows])


def _continuity(q: QuestionMasks, s: Columns, rows: I64, x: Situation) -> Term:
    return x.continuity


def _workload(q: QuestionMasks, s: Columns, rows: I64, x: Situation) -> Term:
    capacity = s.capacity[rows]
    used = np.where(capacity > 0, s.active_cases[rows] / np.maximum(capacity, 1), 1.0)
    return np.maximum(0.0, 1.0 - used)


def _waiting(q: QuestionMasks, s: Columns, rows: I64, x: Situation) -> Term:
    return np.minimum(1.0, np.maximum(0.0, x.waited_days) / WAITING_FULL_DAYS)


def _coverage_text(v: View, s: SupporterRecord, value: float, waited_days: float) -> str:
    covered = [d for d in v.domains if d in s.life_domains]
    if value == 1.0 and len(covered) == len(v.domains):
        return f"Helpt bij alle leefgebieden van de vraag: {domain_names(covered)}."
    if covered:
        return f"Helpt bij {len(covered)} van de {len(v.domains)} leefgebieden: {domain_names(covered)}."
    return "Helpt bij geen van de leefgebieden van de vraag."


def _fit_text(v: View, s: SupporterRecord, value: float, waited_days: float) -> str:
    special = [c for c in v.relevant if c in s.specialisms]
    lived = [c for c in v.relevant if c in s.experience_themes and c not in s.specialisms]
    parts = []
    if special:
        parts.append(f"Is gespecialiseerd in: {specialism_names(special)}.")
    if lived:
        parts.append(f"Heeft eigen ervaring met: {specialism_names(lived)}.")
    return " ".join(parts) or "Heeft geen specialisatie of eigen ervaring in de onderwerpen van de vraag."


def _language_text(v: View, s: SupporterRecord, value: float, waited_days: float) -> str:
    if not v.languages:
        return "De inwoner gaf geen taal op."
    name = language_name(v.languages[0])
    if value == 1.0:
        return f"Spreekt de eerste taal van de inwoner: {name}."
    return f"Spreekt een taal van de inwoner, maar niet de eerste ({name})."


def _distance_text(v: View, s: SupporterRecord, value: float, waited_days: float) -> str:
    here, there = v.postcode, postcode_number(s.postcode)
    if here is None or there is None:
        return "De afstand is niet bekend."
    if here == there:
        return f"Werkt in hetzelfde postcodegebied als de inwoner ({here})."
    km = v.places.km(here, there)
    if km is not None:
        return f"Werkt op ongeveer {max(1, round(km))} km van de inwoner (postcode {there}, inwoner {here})."
    if value >= 0.5:
        return f"Werkt dichtbij: postcode {there}, de inwoner woont in {here}."
    return f"Werkt verder weg: postcode {there}, de inwoner woont in {here}."


def _continuity_text(v: View, s: SupporterRecord, value: float, waited_days: float) -> str:
    if value == 1.0:
        return "Heeft deze inwoner eerder geholpen. Zo hoeft de inwoner het verhaal niet opnieuw te vertellen."
    return "Heeft deze inwoner nog niet eerder geholpen."


def _workload_text(v: View, s: SupporterRecord, value: float, waited_days: float) -> str:
    return f"Heeft ruimte: {s.active_cases} van {s.capacity} plekken zijn bezet."


def _waiting_text(v: View, s: SupporterRecord, value: float, waited_days: float) -> str:
    days = int(max(0.0, waited_days))
    if days < 1:
        return "De vraag is nieuw."
    return f"De vraag wacht al {days} {'dag' if days == 1 else 'dagen'}. Wie langer wacht, gaat voor."


@dataclass(frozen=True)
class ScoreComponent:
    code: str
    #: The value in [0, 1] per supporter (``rows`` of the columns), or one value for all.
    value: Callable[[QuestionMasks, Columns, I64, Situation], Term]
    #: The Dutch sentence explaining one supporter's value.
    text: Callable[[View, SupporterRecord, float, float], str]


#: Every component, in the order of :meth:`Weights.as_tuple`.
COMPONENTS: tuple[ScoreComponent, ...] = (
    ScoreComponent(DOMAIN_COVERAGE, _coverage, _coverage_text),
    ScoreComponent(SPECIALISM, _fit, _fit_text),
    ScoreComponent(LANGUAGE_MATCH, _language, _language_text),
    ScoreComponent(DISTANCE, _distance, _distance_text),
    ScoreComponent(CONTINUITY, _continuity, _continuity_text),
    ScoreComponent(WORKLOAD, _workload, _workload_text),
    ScoreComponent(WAITING_TIME, _waiting, _waiting_text),
)


def component_values(q: QuestionMasks, s: Columns, rows: I64, x: Situation) -> list[Term]:
    """The value of each component for ``rows`` of ``s`` (a value the same for all may be one number)."""
    return [c.value(q, s, rows, x) for c in COMPONENTS]


def values_in(
    m: QuestionMasks, block: Block, rows: I64, v: View, waited_days: float, full_coverage: bool = False
) -> list[Term]:
    """:func:`component_values` for ``rows`` of a block against one question."""
    continuity = np.zeros(len(rows))
    previous = block.positions(v.previous)
    if previous:
        continuity[np.isin(rows, np.array(previous, dtype=np.int64))] = 1.0
    return component_values(m, block.cols, rows, Situation(continuity, waited_days, full_coverage))


def picked(values: Sequence[Term], positions: Sequence[int]) -> list[list[float]]:
    """For each of ``positions`` (into the supporters the values were computed for), its value of
    each component, as :func:`explain` takes them."""
    at = np.asarray(positions, dtype=np.int64)
    columns = [np.asarray(a)[at].tolist() if np.ndim(a) else [float(a)] * len(at) for a in values]
    return [list(row) for row in zip(*columns, strict=True)]


def totals(values: Sequence[Term], weights: Weights) -> Term:
    """Unrounded scores: the weighted sum, always in the same order of float operations."""
    w = weights.as_tuple()
    total = w[0] * values[0]
    for i in range(1, len(COMPONENTS)):
        total = total + w[i] * values[i]
    return total


def explain(v: View, s: SupporterRecord, values: Sequence[float], weights: Weights, waited_days: float) -> Scored:
    """One supporter's score with a Dutch reason per component (``values`` in component order)."""
    w = weights.as_tuple()
    parts = tuple(
        Component(Reason(code=c.code, text=c.text(v, s, value, waited_days)), value, w[i])
        for i, (c, value) in enumerate(zip(COMPONENTS, values, strict=True))
    )
    return Scored(supporter=s, score=round(float(totals(values, weights)), 6), components=parts)


def score(
    q: Question,
    s: SupporterRecord,
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    waited_days: float = 0.0,
    places: Places = NO_PLACES,
) -> Scored:
    """Score a supporter for a question; every component carries its own reason.

    ``waited_days``: how long the question has waited (0 for a new one); only the batch
    re-optimisation passes more.
    """
    v = View.of(q, {}, None, places)
    block = candidates_block(v, [s])
    values = values_in(QuestionMasks.of(v, block.vocab), block, np.arange(1), v, waited_days)
    return explain(v, s, picked(values, [0])[0], weights, waited_days)
