"""Matching rules: which supporters may help a question, and who fits best (pure, no I/O).

Two stages, both explainable with a :class:`~contracts.events.Reason` (a stable code plus a Dutch
sentence at B1 level):

1. **Hard rules** (:mod:`.rules`) — a supporter failing any of them may not be assigned: available
   (active, not paused), room left, serves the municipality, covers the life domains (alone, or as a
   :class:`~.duos.Duo`), speaks a language of the resident, the kind the resident chose, independent
   of whoever decides on provisions, and every required specialism (``needs``). The failures are kept
   per candidate so a joint consultation can see why nobody fitted.
2. **Scoring** (:mod:`.scoring`) — each component is a value in ``[0, 1]`` times a weight, so a score
   lies in ``[0, 1]`` and every point of it is explained by a component's reason.

Each rule and each score component is defined once, over numpy columns (:mod:`.columns`): deciding
for a list of candidates (:func:`~.evaluation.evaluate`) and for a prepared pool of 50,000 and more
(:class:`~.index.SupporterIndex`) run the same code, and the reasons are written afterwards for the
few supporters someone reads about. Batch re-optimisation of the waiting list lives in
:mod:`services.matching.optimise` and uses the same rules and scores.

The modules: :mod:`.model` (what is matched), :mod:`.view` (a question prepared for a decision),
:mod:`.places` (distances, given a postcode table), :mod:`.labels` (Dutch names of codes),
:mod:`.columns`, :mod:`.rules`,
:mod:`.scoring`, :mod:`.evaluation`, :mod:`.duos`, :mod:`.index` and :mod:`.candidates` (whom a
joint consultation weighs). The names most callers need are importable from here.
"""

from services.matching.domain.columns import TooManyCodes
from services.matching.domain.duos import (
    DUO_DOMAINS_NOT_COVERED,
    DUO_NOT_WANTED,
    Duo,
    as_pair,
    best_duo,
    duo_options,
    pair_notes,
)
from services.matching.domain.evaluation import (
    CHOOSE_TOGETHER,
    CONSULTATION_CANDIDATES,
    NO_ELIGIBLE_SUPPORTER,
    Evaluation,
    Verdict,
    choose_together_reason,
    consultation_reason,
    evaluate,
)
from services.matching.domain.index import SupporterIndex
from services.matching.domain.model import (
    NEED_SPECIALISMS,
    Organisation,
    Question,
    SupporterRecord,
    duo_allowed,
    required_specialisms,
    supporter_problems,
)
from services.matching.domain.places import DISTANCE_KM_SCALE, DISTANCE_SCALE, NO_PLACES, Places
from services.matching.domain.rules import (
    HARD_RULES,
    INACTIVE,
    KIND_NOT_CHOSEN,
    LANGUAGE_NOT_SPOKEN,
    LIFE_DOMAIN_NOT_COVERED,
    MUNICIPALITY_NOT_SERVED,
    NEED_NOT_MET,
    NO_CAPACITY,
    NOT_INDEPENDENT,
    PAUSED,
    failed_rules,
    rule_active,
    rule_capacity,
    rule_independent,
    rule_kind,
    rule_language,
    rule_life_domains,
    rule_municipality,
    rule_needs,
)
from services.matching.domain.scoring import (
    DEFAULT_WEIGHTS,
    WAITING_FULL_DAYS,
    Component,
    Scored,
    Scoring,
    Weights,
    score,
)

__all__ = [
    "CHOOSE_TOGETHER",
    "CONSULTATION_CANDIDATES",
    "DEFAULT_WEIGHTS",
    "DISTANCE_KM_SCALE",
    "DISTANCE_SCALE",
    "DUO_DOMAINS_NOT_COVERED",
    "DUO_NOT_WANTED",
    "HARD_RULES",
    "INACTIVE",
    "KIND_NOT_CHOSEN",
    "LANGUAGE_NOT_SPOKEN",
    "LIFE_DOMAIN_NOT_COVERED",
    "MUNICIPALITY_NOT_SERVED",
    "NEED_NOT_MET",
    "NEED_SPECIALISMS",
    "NOT_INDEPENDENT",
    "NO_CAPACITY",
    "NO_ELIGIBLE_SUPPORTER",
    "NO_PLACES",
    "PAUSED",
    "WAITING_FULL_DAYS",
    "Component",
    "Duo",
    "Evaluation",
    "Organisation",
    "Places",
    "Question",
    "Scored",
    "Scoring",
    "SupporterIndex",
    "SupporterRecord",
    "TooManyCodes",
    "Verdict",
    "Weights",
    "as_pair",
    "best_duo",
    "choose_together_reason",
    "consultation_reason",
    "duo_allowed",
    "duo_options",
    "evaluate",
    "failed_rules",
    "pair_notes",
    "required_specialisms",
    "rule_active",
    "rule_capacity",
    "rule_independent",
    "rule_kind",
    "rule_language",
    "rule_life_domains",
    "rule_municipality",
    "rule_needs",
    "score",
    "supporter_problems",
]
