"""Matching rules: which supporters may help a question, and who fits best (pure, no I/O).

Two stages, both explainable with a :class:`~contracts.events.Reason` (a stable code plus a Dutch
sentence at B1 level):

1. **Hard rules** (:data:`HARD_RULES`) — a supporter failing any of them may not be assigned: available
   (active, not paused), room left, serves the municipality, covers the life domains (alone, or as a
   :class:`Duo`), speaks a language of the resident, the kind the resident chose, independent of
   whoever decides on provisions, and every required specialism (``needs``). The failures are kept
   per candidate so a joint consultation can see why nobody fitted.
2. **Scoring** (:func:`score`) — each component is a value in ``[0, 1]`` times a weight
   (:class:`Weights`, adding up to 1), so a score lies in ``[0, 1]`` and every point of it is
   explained by a component's reason: domain coverage, specialism and lived-experience fit, first
   language, distance (4-digit postcodes), continuity (the resident's earlier supporter), workload and
   waiting time.

Two ways to decide one question:

- :func:`evaluate` takes any iterable of candidates (what the service loads from its database). It
  computes plain numbers first and builds the (comparatively slow) pydantic reasons only for the
  best ``limit`` supporters and, on demand, the nearest misses.
- :class:`SupporterIndex` is built once from a whole pool (50,000 supporters and more): supporters
  are split by municipality into numpy columns with bitmasks for domains, languages and
  specialisms, so one decision is a handful of vectorised operations over the supporters of one
  municipality (well under a millisecond) instead of a Python loop over everyone.

Both give the same rankings and scores (a property test holds them to it). Batch re-optimisation of
the waiting list lives in :mod:`services.matching.optimise` and uses the same rules and scores.
"""

from __future__ import annotations

import heapq
import json
import logging
import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from contracts.codes import LIFE_DOMAINS, MUNICIPALITIES, SUPPORTER_KINDS
from contracts.events import CandidateVerdict, QuestionReceived, Reason

log = logging.getLogger(__name__)

# --- codes ----------------------------------------------------------------------------------------

INACTIVE = "inactive"
PAUSED = "paused"
NO_CAPACITY = "no_capacity"
MUNICIPALITY_NOT_SERVED = "municipality_not_served"
LIFE_DOMAIN_NOT_COVERED = "life_domain_not_covered"
LANGUAGE_NOT_SPOKEN = "language_not_spoken"
KIND_NOT_CHOSEN = "kind_not_chosen"
NOT_INDEPENDENT = "not_independent"
NEED_NOT_MET = "need_not_met"

DOMAIN_COVERAGE = "domain_coverage"
SPECIALISM = "specialism"
LANGUAGE_MATCH = "language_match"
DISTANCE = "distance"
CONTINUITY = "continuity"
WORKLOAD = "workload"
WAITING_TIME = "waiting_time"

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
#: Dutch names of specialisms and lived-experience themes (codes not listed are shown as they are).
SPECIALISM_NAMES: dict[str, str] = {
    "lvb": "licht verstandelijke beperking (LVB)",
    "ggz": "psychische problemen (ggz)",
    "sign_language": "gebarentaal",
    "youth": "jongeren",
    "debts": "schulden",
    "elderly": "ouderen",
    "autism": "autisme",
    "dementia": "dementie",
    "addiction": "verslaving",
    "nah": "niet-aangeboren hersenletsel (NAH)",
    "migration": "nieuwkomers",
}

# Failure bits, one per hard rule, in the order of HARD_RULES.
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

# --- postcodes ------------------------------------------------------------------------------------

#: Numeric postcodes this far apart (or further) score 0 on distance: the fallback proxy.
DISTANCE_SCALE = 100
#: Kilometres at which the distance score reaches 0 (the demo region is about 25 km across).
DISTANCE_KM_SCALE = 20.0
#: Kilometres per degree of latitude and of longitude around 51.85° N (flat-earth approximation).
KM_PER_DEGREE_LAT = 111.25
KM_PER_DEGREE_LON = 68.75

PC4_FILE = Path(__file__).with_name("data") / "pc4_drechtsteden.json"


def _load_pc4(path: Path = PC4_FILE) -> dict[int, tuple[float, float]]:
    """Approximate centroids of 4-digit postcode areas; empty (numeric fallback only) when missing."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))["centroids"]
    except (OSError, ValueError, KeyError):
        log.warning("postcode table %s not readable: distances use the numeric postcode proxy", path)
        return {}
    return {int(pc): (float(lat), float(lon)) for pc, (lat, lon) in raw.items()}


PC4_CENTROIDS: dict[int, tuple[float, float]] = _load_pc4()


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    dy = (a[0] - b[0]) * KM_PER_DEGREE_LAT
    dx = (a[1] - b[1]) * KM_PER_DEGREE_LON
    return math.sqrt(dy * dy + dx * dx)


def _distance_value(here: int | None, there: int | None) -> float:
    """Closeness in [0, 1]: by approximate kilometres where both areas are in the table, else by
    the numeric difference of the postcodes (a rough proxy), else 0.5 (unknown)."""
    if here is None or there is None:
        return 0.5
    a, b = PC4_CENTROIDS.get(here), PC4_CENTROIDS.get(there)
    if a is not None and b is not None:
        return max(0.0, 1.0 - _km(a, b) / DISTANCE_KM_SCALE)
    return max(0.0, 1.0 - abs(here - there) / DISTANCE_SCALE)


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
    supporter takes at once. ``paused_until``: not available before that date (available again on
    it). ``experience_themes``: what an experience expert has lived through (same codes as
    specialisms, e.g. ``debts``, ``ggz``). Validation is separate (:func:`supporter_problems`) so
    that reading thousands of trusted rows from the database stays cheap.
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
    paused_until: date | None = None
    experience_themes: Sequence[str] = ()

    @property
    def utilisation(self) -> float:
        """Share of the capacity in use; a supporter without capacity counts as fully used."""
        return self.active_cases / self.capacity if self.capacity > 0 else 1.0

    def available_on(self, day: date) -> bool:
        """Active and not paused on ``day``."""
        return self.active and (self.paused_until is None or self.paused_until <= day)


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
    """What matching needs to know of a question (no personal data: it comes from an event).

    ``needs``: specialisms the supporter must have (a hard rule), e.g. ``sign_language``, ``lvb``.
    ``previous_supporters``: who supported this resident before (continuity scores high).
    ``wants_duo``: ``True`` the resident asked for a professional plus a volunteer or experience
    expert, ``False`` they do not want two supporters, ``None`` they did not say — then a resident
    who left the kind open (``any``) may get a duo when no single supporter covers every domain.
    """

    question_id: str
    municipality: str
    life_domains: tuple[str, ...]
    preferred_supporter_kind: str = "any"
    languages: tuple[str, ...] = ("nl",)
    postcode: str | None = None
    referrer: str | None = None
    needs: tuple[str, ...] = ()
    previous_supporters: tuple[str, ...] = ()
    wants_duo: bool | None = None

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
            needs=tuple(getattr(event, "needs", ()) or ()),
            wants_duo=getattr(event, "wants_duo", None),
        )


def duo_allowed(q: Question) -> bool:
    """May this question get a duo? Several domains, the kind left open, and no 'no' to two supporters."""
    return len(set(q.life_domains)) >= 2 and q.preferred_supporter_kind == "any" and q.wants_duo is not False


# --- hard rules -----------------------------------------------------------------------------------

Rule = Callable[..., Reason | None]


def rule_active(
    q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation], today: date | None = None
) -> Reason | None:
    """Available: active, and not paused until a later date than ``today`` (default: the real today)."""
    if not s.active:
        return Reason(code=INACTIVE, text="Deze ondersteuner neemt nu geen nieuwe vragen aan.")
    if s.paused_until is not None and s.paused_until > (today or date.today()):
        return Reason(
            code=PAUSED,
            text=f"Deze ondersteuner neemt pas vanaf {s.paused_until:%d-%m-%Y} weer nieuwe vragen aan.",
        )
    return None


rule_available = rule_active


def rule_capacity(q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation], **_: Any) -> Reason | None:
    if s.active_cases < s.capacity:
        return None
    return Reason(
        code=NO_CAPACITY,
        text=f"Deze ondersteuner heeft geen plek vrij: {s.active_cases} van {s.capacity} plekken zijn bezet.",
    )


def rule_municipality(q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation], **_: Any) -> Reason | None:
    if q.municipality in s.municipalities:
        return None
    place = MUNICIPALITIES.get(q.municipality, q.municipality)
    return Reason(code=MUNICIPALITY_NOT_SERVED, text=f"Deze ondersteuner werkt niet in de gemeente {place}.")


def rule_life_domains(q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation], **_: Any) -> Reason | None:
    """One supporter covers every life domain of the question (a :class:`Duo` covers them together)."""
    missing = [d for d in q.life_domains if d not in s.life_domains]
    if not missing:
        return None
    return Reason(code=LIFE_DOMAIN_NOT_COVERED, text=f"Deze ondersteuner helpt niet bij: {_domain_names(missing)}.")


def rule_language(q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation], **_: Any) -> Reason | None:
    """Speaking one of the resident's languages is enough; a question without languages asks none."""
    if not q.languages or any(lang in s.languages for lang in q.languages):
        return None
    return Reason(
        code=LANGUAGE_NOT_SPOKEN,
        text=f"Deze ondersteuner spreekt geen taal van de inwoner ({_language_names(q.languages)}).",
    )


def rule_kind(q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation], **_: Any) -> Reason | None:
    """The resident's free choice between a professional, a volunteer and an experience expert."""
    if q.preferred_supporter_kind in ("any", s.kind):
        return None
    chosen = KIND_NAMES.get(q.preferred_supporter_kind, q.preferred_supporter_kind)
    actual = KIND_NAMES.get(s.kind, s.kind)
    return Reason(code=KIND_NOT_CHOSEN, text=f"De inwoner koos voor een {chosen}. Deze ondersteuner is {actual}.")


def rule_independent(q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation], **_: Any) -> Reason | None:
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


def rule_needs(q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation], **_: Any) -> Reason | None:
    """Every required specialism of the question (e.g. sign language, LVB) is one of the supporter's."""
    missing = [n for n in q.needs if n not in s.specialisms]
    if not missing:
        return None
    return Reason(
        code=NEED_NOT_MET, text=f"Deze ondersteuner heeft geen deskundigheid in: {_specialism_names(missing)}."
    )


#: Every hard rule, in the order their failures are reported.
HARD_RULES: tuple[Rule, ...] = (
    rule_active,
    rule_capacity,
    rule_municipality,
    rule_life_domains,
    rule_language,
    rule_kind,
    rule_independent,
    rule_needs,
)
#: The failure bit of each rule in :data:`HARD_RULES`.
RULE_BITS: tuple[int, ...] = (
    F_AVAILABLE,
    F_CAPACITY,
    F_MUNICIPALITY,
    F_DOMAINS,
    F_LANGUAGE,
    F_KIND,
    F_INDEPENDENT,
    F_NEEDS,
)


def failed_rules(
    q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation], today: date | None = None
) -> list[Reason]:
    """Every hard rule the supporter fails for this question (empty: eligible)."""
    return [reason for rule in HARD_RULES if (reason := rule(q, s, orgs, today=today)) is not None]


def reasons_of(
    mask: int, q: Question, s: SupporterRecord, orgs: Mapping[str, Organisation], today: date | None = None
) -> list[Reason]:
    """The reasons of the rules whose bits are set in ``mask`` (built only for what is shown)."""
    found = []
    for bit, rule in zip(RULE_BITS, HARD_RULES, strict=True):
        if mask & bit and (reason := rule(q, s, orgs, today=today)) is not None:
            found.append(reason)
    return found


# --- scoring --------------------------------------------------------------------------------------


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
        """In the order of the components of a :class:`Scored`."""
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

#: Days of waiting after which the waiting-time component is full (1.0).
WAITING_FULL_DAYS = 28.0


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
        return _top_reasons(self.components, n)


def _top_reasons(components: Sequence[Component], n: int) -> list[Reason]:
    ordered = sorted(components, key=lambda c: -c.contribution)
    return [c.reason for c in ordered[:n]]


@dataclass(frozen=True, slots=True)
class _View:
    """A question prepared once per decision: sets for fast membership, the postcode as a number."""

    q: Question
    domains: tuple[str, ...]
    languages: tuple[str, ...]
    relevant: tuple[str, ...]
    needs: tuple[str, ...]
    previous: frozenset[str]
    postcode: int | None
    today: date
    independent: Mapping[str, bool]


def _view(q: Question, orgs: Mapping[str, Organisation], today: date | None) -> _View:
    domains = tuple(dict.fromkeys(q.life_domains))
    needs = tuple(dict.fromkeys(q.needs))
    return _View(
        q=q,
        domains=domains,
        languages=tuple(q.languages),
        relevant=tuple(dict.fromkeys((*domains, *needs))),
        needs=needs,
        previous=frozenset(q.previous_supporters),
        postcode=_postcode_number(q.postcode),
        today=today or date.today(),
        independent={o.id: not o.decides_on_provisions for o in orgs.values()},
    )


def _failure_mask(v: _View, s: SupporterRecord) -> int:
    """The failure bits of every hard rule for one supporter, without building any reason."""
    mask = 0
    if not s.active or (s.paused_until is not None and s.paused_until > v.today):
        mask |= F_AVAILABLE
    if s.active_cases >= s.capacity:
        mask |= F_CAPACITY
    if v.q.municipality not in s.municipalities:
        mask |= F_MUNICIPALITY
    covered = s.life_domains
    if any(d not in covered for d in v.domains):
        mask |= F_DOMAINS
    if v.languages and not any(lang in s.languages for lang in v.languages):
        mask |= F_LANGUAGE
    kind = v.q.preferred_supporter_kind
    if kind != "any" and kind != s.kind:
        mask |= F_KIND
    if not v.independent.get(s.organisation, False):
        mask |= F_INDEPENDENT
    if v.needs and any(n not in s.specialisms for n in v.needs):
        mask |= F_NEEDS
    return mask


def _values(v: _View, s: SupporterRecord, waited_days: float, full_coverage: bool = False) -> list[float]:
    """The value in [0, 1] of each component (in :class:`Weights` order), as plain floats."""
    n = len(v.domains)
    coverage = 1.0 if full_coverage or n == 0 else sum(1 for d in v.domains if d in s.life_domains) / n
    if v.relevant:
        fit = sum(1 for c in v.relevant if c in s.specialisms or c in s.experience_themes) / len(v.relevant)
    else:
        fit = 0.0
    language = (1.0 if v.languages[0] in s.languages else 0.0) if v.languages else 0.5
    distance = _distance_value(v.postcode, _postcode_number(s.postcode))
    continuity = 1.0 if s.id in v.previous else 0.0
    workload = max(0.0, 1.0 - s.utilisation)
    waiting = min(1.0, max(0.0, waited_days) / WAITING_FULL_DAYS)
    return [coverage, fit, language, distance, continuity, workload, waiting]


def _total(values: Sequence[float], weights: Weights) -> float:
    """The unrounded score: the same sequence of float operations as the vectorised path."""
    w = weights.as_tuple()
    total = w[0] * values[0]
    for i in range(1, 7):
        total = total + w[i] * values[i]
    return total


def _reasons(v: _View, s: SupporterRecord, values: Sequence[float], waited_days: float) -> list[Reason]:
    """One Dutch reason per component, matching ``values``."""
    covered = [d for d in v.domains if d in s.life_domains]
    if values[0] == 1.0 and len(covered) == len(v.domains):
        coverage = f"Helpt bij alle leefgebieden van de vraag: {_domain_names(covered)}."
    elif covered:
        coverage = f"Helpt bij {len(covered)} van de {len(v.domains)} leefgebieden: {_domain_names(covered)}."
    else:
        coverage = "Helpt bij geen van de leefgebieden van de vraag."
    return [
        Reason(code=DOMAIN_COVERAGE, text=coverage),
        Reason(code=SPECIALISM, text=_fit_text(v, s)),
        Reason(code=LANGUAGE_MATCH, text=_language_text(v, values[2])),
        Reason(code=DISTANCE, text=_distance_text(v.postcode, _postcode_number(s.postcode), values[3])),
        Reason(code=CONTINUITY, text=_continuity_text(values[4])),
        Reason(code=WORKLOAD, text=f"Heeft ruimte: {s.active_cases} van {s.capacity} plekken zijn bezet."),
        Reason(code=WAITING_TIME, text=_waiting_text(waited_days)),
    ]


def _fit_text(v: _View, s: SupporterRecord) -> str:
    special = [c for c in v.relevant if c in s.specialisms]
    lived = [c for c in v.relevant if c in s.experience_themes and c not in s.specialisms]
    parts = []
    if special:
        parts.append(f"Is gespecialiseerd in: {_specialism_names(special)}.")
    if lived:
        parts.append(f"Heeft eigen ervaring met: {_specialism_names(lived)}.")
    return " ".join(parts) or "Heeft geen specialisatie of eigen ervaring in de onderwerpen van de vraag."


def _language_text(v: _View, value: float) -> str:
    if not v.languages:
        return "De inwoner gaf geen taal op."
    name = LANGUAGE_NAMES.get(v.languages[0], v.languages[0])
    if value == 1.0:
        return f"Spreekt de eerste taal van de inwoner: {name}."
    return f"Spreekt een taal van de inwoner, maar niet de eerste ({name})."


def _distance_text(here: int | None, there: int | None, value: float) -> str:
    if here is None or there is None:
        return "De afstand is niet bekend."
    a, b = PC4_CENTROIDS.get(here), PC4_CENTROIDS.get(there)
    if here == there:
        return f"Werkt in hetzelfde postcodegebied als de inwoner ({here})."
    if a is not None and b is not None:
        return f"Werkt op ongeveer {max(1, round(_km(a, b)))} km van de inwoner (postcode {there}, inwoner {here})."
    if value >= 0.5:
        return f"Werkt dichtbij: postcode {there}, de inwoner woont in {here}."
    return f"Werkt verder weg: postcode {there}, de inwoner woont in {here}."


def _continuity_text(value: float) -> str:
    if value == 1.0:
        return "Heeft deze inwoner eerder geholpen. Zo hoeft de inwoner het verhaal niet opnieuw te vertellen."
    return "Heeft deze inwoner nog niet eerder geholpen."


def _waiting_text(waited_days: float) -> str:
    days = int(max(0.0, waited_days))
    if days < 1:
        return "De vraag is nieuw."
    return f"De vraag wacht al {days} {'dag' if days == 1 else 'dagen'}. Wie langer wacht, gaat voor."


def _scored(v: _View, s: SupporterRecord, weights: Weights, waited_days: float) -> Scored:
    values = _values(v, s, waited_days)
    reasons = _reasons(v, s, values, waited_days)
    w = weights.as_tuple()
    components = tuple(Component(r, val, w[i]) for i, (r, val) in enumerate(zip(reasons, values, strict=True)))
    return Scored(supporter=s, score=round(_total(values, weights), 6), components=components)


def score(
    q: Question,
    s: SupporterRecord,
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    waited_days: float = 0.0,
) -> Scored:
    """Score a supporter for a question; every component carries its own reason.

    ``waited_days``: how long the question has waited (0 for a new one); only the batch
    re-optimisation passes more.
    """
    return _scored(_view(q, {}, None), s, weights, waited_days)


# --- evaluating one question ----------------------------------------------------------------------


class Verdict(StrEnum):
    ASSIGN = "assign"
    WAIT = "wait"
    CONSULT = "consult"


#: A near miss: the supporter, its failure bits and its unrounded score.
Miss = tuple[SupporterRecord, int, float]


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
    weights: Weights = DEFAULT_WEIGHTS
    organisations: Mapping[str, Organisation] = field(default_factory=dict, repr=False)
    today: date | None = None
    #: The ``n`` nearest misses (fewest failed rules, best score, id), as (supporter, failure bits).
    _nearest: Callable[[int], list[tuple[SupporterRecord, int]]] = field(default=lambda n: [], repr=False)
    #: Every miss, as (supporter, failure bits).
    _misses: Callable[[], list[tuple[SupporterRecord, int]]] = field(default=lambda: [], repr=False)

    @property
    def verdict(self) -> Verdict:
        if self.ranked:
            return Verdict.ASSIGN
        return Verdict.WAIT if self.full_count else Verdict.CONSULT

    @cached_property
    def failed(self) -> dict[str, list[Reason]]:
        """Failed hard rules per ineligible supporter id."""
        return {s.id: reasons_of(mask, self.question, s, self.organisations, self.today) for s, mask in self._misses()}

    def consultation_candidates(self, n: int = CONSULTATION_CANDIDATES) -> list[CandidateVerdict]:
        """The ``n`` nearest misses: fewest failed rules first, then the best score, then the id."""
        return [
            CandidateVerdict(
                supporter_id=s.id,
                organisation=s.organisation,
                failed_rules=reasons_of(mask, self.question, s, self.organisations, self.today),
            )
            for s, mask in self._nearest(n)
        ]


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
) -> Evaluation:
    """Apply the hard rules to every candidate and rank the eligible ones.

    One pass over the candidates computing plain numbers; reasons are built only for the best
    ``limit`` (all eligible when no limit). ``exclude``: supporter ids never to propose again (they
    declined this question). ``today`` decides who is paused (default: the real today).
    """
    v = _view(question, organisations, today)
    eligible: list[tuple[float, str, SupporterRecord]] = []
    misses: list[Miss] = []
    full = 0
    for s in candidates:
        if s.id in exclude:
            continue
        mask = _failure_mask(v, s)
        if mask == 0:
            eligible.append((-_total(_values(v, s, waited_days), weights), s.id, s))
            continue
        misses.append((s, mask, _total(_values(v, s, waited_days), weights)))
        if mask == F_CAPACITY:
            full += 1
    best = heapq.nsmallest(limit, eligible) if limit else sorted(eligible)
    ranked = [_scored(v, s, weights, waited_days) for _, _, s in best]

    def nearest(n: int) -> list[tuple[SupporterRecord, int]]:
        chosen = heapq.nsmallest(n, misses, key=lambda m: (m[1].bit_count(), -m[2], m[0].id))
        return [(s, mask) for s, mask, _ in chosen]

    return Evaluation(
        question=question,
        ranked=ranked,
        eligible_count=len(eligible),
        full_count=full,
        weights=weights,
        organisations=organisations,
        today=v.today,
        _nearest=nearest,
        _misses=lambda: [(s, mask) for s, mask, _ in misses],
    )


def consultation_reason() -> Reason:
    """Why a question goes to the joint consultation (gezamenlijk overleg)."""
    return Reason(
        code=NO_ELIGIBLE_SUPPORTER,
        text="Geen ondersteuner past bij alle regels. In het gezamenlijk overleg kiezen de organisaties "
        "samen met de inwoner wie het beste kan helpen.",
    )


# --- duos -----------------------------------------------------------------------------------------


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
        return _top_reasons(self.components, n)

    def as_scored(self) -> tuple[Scored, Scored]:
        """Each member as a :class:`Scored` carrying the duo's score and reasons (for events)."""
        return (
            Scored(self.professional.supporter, self.score, self.components),
            Scored(self.partner.supporter, self.score, self.components),
        )


PROFESSIONAL = "professional"
PARTNER_KINDS = ("volunteer", "experience_expert")
#: Failure bits a duo member may have: domains are covered by the pair, capacity is checked apart.
_DUO_IGNORED = F_DOMAINS | F_CAPACITY


def _duo_member_key(v: _View, s: SupporterRecord) -> int:
    """Bit i set when the supporter covers domain i of the question."""
    return sum(1 << i for i, d in enumerate(v.domains) if d in s.life_domains)


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
) -> Duo | None:
    """The best professional plus volunteer or experience expert covering the domains together.

    None when the question may not get a duo (:func:`duo_allowed`) or no pair exists. Call it when
    :func:`evaluate` finds no single supporter. With ``require_room=False`` capacity is ignored: a
    pair found then (but not with room) means the question can wait for a duo instead of going to
    the consultation. The pair score is the mean of the members' scores with full coverage, so the
    best pair is the best member of each coverage pattern, combined.
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
    )
    return options[0] if options else None


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
) -> list[Duo]:
    """Up to ``limit`` different duos, best first (see :func:`best_duo`)."""
    if not duo_allowed(question):
        return []
    v = _view(question, organisations, today)
    ignored = _DUO_IGNORED if not require_room else F_DOMAINS
    groups: dict[tuple[bool, int], list[tuple[float, str, SupporterRecord]]] = {}
    for s in candidates:
        if s.id in exclude or s.kind not in (PROFESSIONAL, *PARTNER_KINDS):
            continue
        if _failure_mask(v, s) & ~ignored:
            continue
        key = _duo_member_key(v, s)
        if key == 0:
            continue
        partial = _total(_values(v, s, waited_days, full_coverage=True), weights)
        groups.setdefault((s.kind == PROFESSIONAL, key), []).append((-partial, s.id, s))
    tops = {k: heapq.nsmallest(limit, members) for k, members in groups.items()}
    return _combine_duos(v, tops, weights, waited_days, limit)


def _combine_duos(
    v: _View,
    tops: Mapping[tuple[bool, int], list[tuple[float, str, SupporterRecord]]],
    weights: Weights,
    waited_days: float,
    limit: int,
) -> list[Duo]:
    """Combine the best members of each coverage pattern into the best ``limit`` pairs."""
    full = (1 << len(v.domains)) - 1
    pairs: list[tuple[float, str, str, SupporterRecord, SupporterRecord]] = []
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
    return [make_duo(v, p, q, weights, waited_days) for _, _, _, p, q in best]


def make_duo(v: _View, pro: SupporterRecord, partner: SupporterRecord, weights: Weights, waited_days: float) -> Duo:
    """Explain a pair: the members' own scores and the combined components."""
    first, second = _scored(v, pro, weights, waited_days), _scored(v, partner, weights, waited_days)
    w = weights.as_tuple()
    pro_name, partner_name = KIND_NAMES[PROFESSIONAL], KIND_NAMES.get(partner.kind, partner.kind)
    pro_domains = [d for d in v.domains if d in pro.life_domains]
    partner_domains = [d for d in v.domains if d in partner.life_domains and d not in pro.life_domains]
    coverage = Reason(
        code=DOMAIN_COVERAGE,
        text=f"Samen helpen ze bij alle leefgebieden: de {pro_name} bij {_domain_names(pro_domains)}, "
        f"de {partner_name} bij {_domain_names(partner_domains)}.",
    )
    components = [Component(coverage, 1.0, w[0])]
    for i in range(1, 7):
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


# --- the index: fast decisions over a large pool ---------------------------------------------------

_KIND_CODES = {kind: i for i, kind in enumerate(SUPPORTER_KINDS)}
_ANY_KIND = -1
_OTHER_KIND = len(SUPPORTER_KINDS)
_MAX_CODES = 64

U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


class Vocabulary:
    """Codes of one kind (domains, languages, specialisms) as bits of a uint64 (at most 64 codes)."""

    def __init__(self, name: str, initial: Iterable[str] = ()) -> None:
        self.name = name
        self.bits: dict[str, int] = {}
        for code in initial:
            self.add(code)

    def add(self, code: str) -> None:
        if code not in self.bits:
            if len(self.bits) >= _MAX_CODES:
                raise ValueError(f"more than {_MAX_CODES} different {self.name} codes; the index keeps at most 64")
            self.bits[code] = len(self.bits)

    def mask(self, codes: Iterable[str]) -> int:
        """The bits of the known codes (unknown codes have no bit)."""
        m = 0
        for code in codes:
            bit = self.bits.get(code)
            if bit is not None:
                m |= 1 << bit
        return m

    def knows_all(self, codes: Iterable[str]) -> bool:
        return all(code in self.bits for code in codes)


@dataclass(frozen=True)
class QuestionMasks:
    """A question in the index's bit language (computed once per decision)."""

    view: _View
    domains: int
    domains_known: bool
    n_domains: int
    languages: int
    first_language: int
    has_languages: bool
    needs: int
    needs_known: bool
    relevant: int
    n_relevant: int
    kind: int
    postcode: int
    lat: float
    lon: float


class Block:
    """The supporters serving one municipality, as numpy columns (one row per supporter).

    ``active_cases`` changes when places are booked; everything else is fixed once built.
    """

    def __init__(self, rows: list[int], records: Sequence[SupporterRecord], index: SupporterIndex) -> None:
        chosen = [records[r] for r in rows]
        self.rows = np.array(rows, dtype=np.int64)
        self.ids = [s.id for s in chosen]
        self.id_rank = index.id_rank[self.rows]
        self.active = np.array([s.active for s in chosen], dtype=np.bool_)
        self.paused = np.array([s.paused_until.toordinal() if s.paused_until else 0 for s in chosen], dtype=np.int64)
        self.capacity = np.array([s.capacity for s in chosen], dtype=np.int64)
        self.active_cases = np.array([s.active_cases for s in chosen], dtype=np.int64)
        self.kind = np.array([_KIND_CODES.get(s.kind, _OTHER_KIND) for s in chosen], dtype=np.int64)
        self.independent = np.array([index.independent.get(s.organisation, False) for s in chosen], dtype=np.bool_)
        self.domains = np.array([index.domain_vocab.mask(s.life_domains) for s in chosen], dtype=np.uint64)
        self.languages = np.array([index.language_vocab.mask(s.languages) for s in chosen], dtype=np.uint64)
        self.specialisms = np.array([index.expertise_vocab.mask(s.specialisms) for s in chosen], dtype=np.uint64)
        self.expertise = self.specialisms | np.array(
            [index.expertise_vocab.mask(s.experience_themes) for s in chosen], dtype=np.uint64
        )
        postcodes = [_postcode_number(s.postcode) for s in chosen]
        self.postcode = np.array([-1 if p is None else p for p in postcodes], dtype=np.int64)
        coords = [PC4_CENTROIDS.get(p) if p is not None else None for p in postcodes]
        self.lat = np.array([c[0] if c else np.nan for c in coords], dtype=np.float64)
        self.lon = np.array([c[1] if c else np.nan for c in coords], dtype=np.float64)

    def __len__(self) -> int:
        return len(self.ids)

    def failure_bits(self, m: QuestionMasks, today: int) -> I64:
        """The failure bits of every hard rule for every row (municipality is served by construction)."""
        bits = np.zeros(len(self), dtype=np.int64)
        bits |= np.where(self.active & (self.paused <= today), 0, F_AVAILABLE)
        bits |= np.where(self.active_cases < self.capacity, 0, F_CAPACITY)
        if m.domains_known:
            bits |= np.where((self.domains & np.uint64(m.domains)) == np.uint64(m.domains), 0, F_DOMAINS)
        else:
            bits |= F_DOMAINS
        if m.has_languages:
            bits |= np.where((self.languages & np.uint64(m.languages)) != 0, 0, F_LANGUAGE)
        if m.kind != _ANY_KIND:
            bits |= np.where(self.kind == m.kind, 0, F_KIND)
        bits |= np.where(self.independent, 0, F_INDEPENDENT)
        if not m.needs_known:
            bits |= F_NEEDS
        elif m.needs:
            bits |= np.where((self.specialisms & np.uint64(m.needs)) == np.uint64(m.needs), 0, F_NEEDS)
        return bits

    def totals(
        self,
        m: QuestionMasks,
        rows: I64,
        weights: Weights,
        waited_days: float,
        previous: Collection[int],
        full_coverage: bool = False,
    ) -> F64:
        """Unrounded scores of ``rows`` (positions in this block), as :func:`_total` computes them."""
        w = weights.as_tuple()
        n = len(rows)
        if full_coverage or m.n_domains == 0:
            coverage: F64 = np.ones(n)
        else:
            coverage = np.bitwise_count(self.domains[rows] & np.uint64(m.domains)).astype(np.float64) / m.n_domains
        if m.n_relevant:
            fit = np.bitwise_count(self.expertise[rows] & np.uint64(m.relevant)).astype(np.float64) / m.n_relevant
        else:
            fit = np.zeros(n)
        if m.has_languages:
            language = np.where((self.languages[rows] & np.uint64(m.first_language)) != 0, 1.0, 0.0)
        else:
            language = np.full(n, 0.5)
        distance = distance_values(m.postcode, m.lat, m.lon, self.postcode[rows], self.lat[rows], self.lon[rows])
        continuity = np.zeros(n)
        if previous:
            continuity[np.isin(rows, np.fromiter(previous, dtype=np.int64))] = 1.0
        capacity = self.capacity[rows]
        used = np.where(capacity > 0, self.active_cases[rows] / np.maximum(capacity, 1), 1.0)
        workload = np.maximum(0.0, 1.0 - used)
        waiting = min(1.0, max(0.0, waited_days) / WAITING_FULL_DAYS)
        total = w[0] * coverage
        total = total + w[1] * fit
        total = total + w[2] * language
        total = total + w[3] * distance
        total = total + w[4] * continuity
        total = total + w[5] * workload
        total = total + w[6] * waiting
        return total


def distance_values(here: int | I64, lat: float | F64, lon: float | F64, there: I64, lats: F64, lons: F64) -> F64:
    """Vectorised :func:`_distance_value`; broadcasts (a column of questions against a row of
    supporters gives a matrix). Postcodes are -1 when unknown, coordinates NaN when not in the table."""
    dy = (lats - lat) * KM_PER_DEGREE_LAT
    dx = (lons - lon) * KM_PER_DEGREE_LON
    km = np.sqrt(dy * dy + dx * dx)
    by_km = np.maximum(0.0, 1.0 - km / DISTANCE_KM_SCALE)
    by_number = np.maximum(0.0, 1.0 - np.abs(there - here) / DISTANCE_SCALE)
    values = np.where(np.isnan(km), by_number, by_km)
    result: F64 = np.where((np.asarray(there) < 0) | (np.asarray(here) < 0), 0.5, values)
    return result


def _order(totals: F64, id_rank: I64, limit: int | None) -> I64:
    """Positions of the best ``limit`` totals, best first, equal totals by supporter id."""
    n = len(totals)
    if limit is None or n <= limit:
        return np.lexsort((id_rank, -totals))
    kth = np.partition(totals, n - limit)[n - limit]
    candidates = np.flatnonzero(totals >= kth)
    return candidates[np.lexsort((id_rank[candidates], -totals[candidates]))][:limit]


class SupporterIndex:
    """A whole supporter pool prepared for fast decisions (build once, decide many times).

    Supporters are grouped per municipality they serve (:class:`Block`), so a decision only looks
    at the supporters of the question's municipality, with vectorised rule checks and scores; the
    pydantic reasons are built for the chosen few only. :meth:`book` and :meth:`release` keep the
    capacity current between decisions. Organisations are read once, at build time.
    """

    def __init__(self, supporters: Iterable[SupporterRecord], organisations: Mapping[str, Organisation]) -> None:
        self.records: list[SupporterRecord] = list(supporters)
        self.organisations = dict(organisations)
        self.independent = {o.id: not o.decides_on_provisions for o in self.organisations.values()}
        self.row_of = {s.id: i for i, s in enumerate(self.records)}
        if len(self.row_of) != len(self.records):
            raise ValueError("supporter ids must be unique")
        ranks = np.empty(len(self.records), dtype=np.int64)
        ranks[np.argsort(np.array([s.id for s in self.records], dtype=object), kind="stable")] = np.arange(
            len(self.records)
        )
        self.id_rank = ranks
        self.domain_vocab = Vocabulary("life domain", LIFE_DOMAINS)
        self.language_vocab = Vocabulary("language")
        self.expertise_vocab = Vocabulary("specialism")
        by_municipality: dict[str, list[int]] = {}
        for row, s in enumerate(self.records):
            for code in s.life_domains:
                self.domain_vocab.add(code)
            for code in s.languages:
                self.language_vocab.add(code)
            for code in (*s.specialisms, *s.experience_themes):
                self.expertise_vocab.add(code)
            for municipality in dict.fromkeys(s.municipalities):
                by_municipality.setdefault(municipality, []).append(row)
        self.blocks = {m: Block(rows, self.records, self) for m, rows in by_municipality.items()}
        self.places: dict[int, list[tuple[Block, int]]] = {}
        for block in self.blocks.values():
            for pos, row in enumerate(block.rows.tolist()):
                self.places.setdefault(row, []).append((block, pos))

    def __len__(self) -> int:
        return len(self.records)

    def supporter(self, supporter_id: str) -> SupporterRecord:
        """The current record (with the bookings made through this index)."""
        return self.records[self.row_of[supporter_id]]

    def book(self, supporter_id: str) -> bool:
        """Take one place of the supporter's capacity; False when none is left."""
        row = self.row_of[supporter_id]
        record = self.records[row]
        if record.active_cases >= record.capacity:
            return False
        self._set_cases(row, record.active_cases + 1)
        return True

    def release(self, supporter_id: str) -> None:
        """Give one place back (support ended)."""
        row = self.row_of[supporter_id]
        self._set_cases(row, max(0, self.records[row].active_cases - 1))

    def set_cases(self, supporter_id: str, cases: int) -> None:
        """Take over a supporter's count of booked places from the database."""
        self._set_cases(self.row_of[supporter_id], cases)

    def _set_cases(self, row: int, cases: int) -> None:
        self.records[row] = replace(self.records[row], active_cases=cases)
        for block, pos in self.places.get(row, []):
            block.active_cases[pos] = cases

    def masks(self, question: Question, today: date | None = None) -> QuestionMasks:
        """The question in bits (also used by the batch optimiser)."""
        v = _view(question, self.organisations, today)
        postcode = v.postcode if v.postcode is not None else -1
        coords = PC4_CENTROIDS.get(postcode)
        first = v.languages[0] if v.languages else None
        return QuestionMasks(
            view=v,
            domains=self.domain_vocab.mask(v.domains),
            domains_known=self.domain_vocab.knows_all(v.domains),
            n_domains=len(v.domains),
            languages=self.language_vocab.mask(v.languages),
            first_language=self.language_vocab.mask([first] if first else []),
            has_languages=bool(v.languages),
            needs=self.expertise_vocab.mask(v.needs),
            needs_known=self.expertise_vocab.knows_all(v.needs),
            relevant=self.expertise_vocab.mask(v.relevant),
            n_relevant=len(v.relevant),
            kind=_ANY_KIND
            if v.q.preferred_supporter_kind == "any"
            else _KIND_CODES.get(v.q.preferred_supporter_kind, 99),
            postcode=postcode,
            lat=coords[0] if coords else math.nan,
            lon=coords[1] if coords else math.nan,
        )

    def previous_rows(self, question: Question, block: Block) -> set[int]:
        """Positions in ``block`` of the resident's earlier supporters."""
        found = set()
        for sid in question.previous_supporters:
            row = self.row_of.get(sid)
            for b, pos in self.places.get(row, []) if row is not None else []:
                if b is block:
                    found.add(pos)
        return found

    def _excluded(self, block: Block, exclude: Collection[str]) -> B:
        keep = np.ones(len(block), dtype=np.bool_)
        for sid in exclude:
            row = self.row_of.get(sid)
            for b, pos in self.places.get(row, []) if row is not None else []:
                if b is block:
                    keep[pos] = False
        return keep

    def evaluate(
        self,
        question: Question,
        *,
        limit: int | None = 10,
        weights: Weights = DEFAULT_WEIGHTS,
        today: date | None = None,
        waited_days: float = 0.0,
        exclude: Collection[str] = (),
    ) -> Evaluation:
        """Like :func:`evaluate` over the supporters serving the question's municipality."""
        m = self.masks(question, today)
        v = m.view
        block = self.blocks.get(question.municipality)
        if block is None:
            return Evaluation(question, [], 0, 0, weights, self.organisations, v.today)
        bits = self.failure_bits(block, m, exclude)
        eligible = np.flatnonzero(bits == 0)
        full = int(np.count_nonzero(bits == F_CAPACITY))
        previous = self.previous_rows(question, block)
        totals = block.totals(m, eligible, weights, waited_days, previous)
        best = eligible[_order(totals, block.id_rank[eligible], limit)]
        ranked = [_scored(v, self.records[block.rows[pos]], weights, waited_days) for pos in best.tolist()]

        def misses() -> tuple[I64, I64, F64]:
            rows = np.flatnonzero((bits > 0) & ((bits & F_EXCLUDED) == 0))
            return rows, bits[rows], block.totals(m, rows, weights, waited_days, previous)

        def nearest(n: int) -> list[tuple[SupporterRecord, int]]:
            rows, mbits, totals = misses()
            order = np.lexsort((block.id_rank[rows], -totals, np.bitwise_count(mbits)))[:n]
            return [(self.records[block.rows[rows[i]]], int(mbits[i])) for i in order.tolist()]

        def every_miss() -> list[tuple[SupporterRecord, int]]:
            rows, mbits, _ = misses()
            return [(self.records[block.rows[r]], int(b)) for r, b in zip(rows.tolist(), mbits.tolist(), strict=True)]

        return Evaluation(
            question=question,
            ranked=ranked,
            eligible_count=len(eligible),
            full_count=full,
            weights=weights,
            organisations=self.organisations,
            today=v.today,
            _nearest=nearest,
            _misses=every_miss,
        )

    def failure_bits(self, block: Block, m: QuestionMasks, exclude: Collection[str] = ()) -> I64:
        """Failure bits per row of ``block``; excluded supporters also get :data:`F_EXCLUDED`."""
        bits = block.failure_bits(m, m.view.today.toordinal())
        if exclude:
            bits[~self._excluded(block, exclude)] |= F_EXCLUDED
        return bits

    def best_duo(
        self,
        question: Question,
        *,
        weights: Weights = DEFAULT_WEIGHTS,
        today: date | None = None,
        waited_days: float = 0.0,
        require_room: bool = True,
        exclude: Collection[str] = (),
    ) -> Duo | None:
        """Like :func:`best_duo` over the supporters serving the question's municipality."""
        options = self.duo_options(
            question,
            weights=weights,
            today=today,
            waited_days=waited_days,
            require_room=require_room,
            exclude=exclude,
            limit=1,
        )
        return options[0] if options else None

    def duo_options(
        self,
        question: Question,
        *,
        weights: Weights = DEFAULT_WEIGHTS,
        today: date | None = None,
        waited_days: float = 0.0,
        require_room: bool = True,
        exclude: Collection[str] = (),
        limit: int = 5,
    ) -> list[Duo]:
        """Like :func:`duo_options` over the supporters serving the question's municipality."""
        block = self.blocks.get(question.municipality)
        if block is None or not duo_allowed(question):
            return []
        m = self.masks(question, today)
        if not m.domains_known:
            return []
        ignored = F_DOMAINS if require_room else _DUO_IGNORED
        bits = self.failure_bits(block, m, exclude)
        covered = (block.domains & np.uint64(m.domains)).astype(np.int64)
        partner_kinds = [_KIND_CODES[k] for k in PARTNER_KINDS]
        ok = ((bits & ~ignored) == 0) & (covered != 0)
        is_pro = block.kind == _KIND_CODES[PROFESSIONAL]
        ok &= is_pro | np.isin(block.kind, partner_kinds)
        rows = np.flatnonzero(ok)
        previous = self.previous_rows(question, block)
        totals = block.totals(m, rows, weights, waited_days, previous, full_coverage=True)
        # Translate the index's domain bits into "domain i of the question" bits, as _duo_member_key does.
        keys = np.zeros(len(rows), dtype=np.int64)
        for i, d in enumerate(m.view.domains):
            bit = np.uint64(1 << self.domain_vocab.bits[d])
            keys |= np.where((block.domains[rows] & bit) != 0, 1 << i, 0)
        tops: dict[tuple[bool, int], list[tuple[float, str, SupporterRecord]]] = {}
        order = np.lexsort((block.id_rank[rows], -totals, keys, is_pro[rows]))
        for i in order.tolist():
            key = (bool(is_pro[rows[i]]), int(keys[i]))
            members = tops.setdefault(key, [])
            if len(members) < limit:
                record = self.records[block.rows[rows[i]]]
                members.append((-float(totals[i]), record.id, record))
        return _combine_duos(m.view, tops, weights, waited_days, limit)


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


def _specialism_names(codes: Iterable[str]) -> str:
    return ", ".join(SPECIALISM_NAMES.get(c, LIFE_DOMAINS.get(c, c)) for c in codes)
