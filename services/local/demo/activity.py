"""What happens in the demo region: residents' questions and experiences, signals, answers and reasons.

Each generator makes one request body as a resident, supporter or municipality would send it to the
public APIs (the trickle, :mod:`services.local.demo.trickle`, sends them), so every figure on the
dashboard comes from real events. Contact details are fictional.
"""

from __future__ import annotations

import random
from typing import Any

from contracts.codes import LIFE_DOMAINS
from services.kit.region import Demo
from services.local.demo.region import FIRST_NAMES, LAST_NAMES

DESCRIPTIONS = [
    "Ik heb brieven van de gemeente die ik niet begrijp en wil graag dat iemand met mij meekijkt.",
    "Mijn zoon heeft extra begeleiding nodig op school. Wie kan mij helpen met de aanvraag?",
    "Ik krijg mijn rekeningen niet meer betaald en weet niet waar ik moet beginnen.",
    "Mijn moeder woont alleen en heeft steeds meer hulp nodig in huis.",
    "Ik zoek iemand die mee kan gaan naar het keukentafelgesprek.",
    "Wij moeten verhuizen en hebben een aangepaste woning nodig.",
]


#: How residents found us (awareness), weighted after the domain notes: mostly through the social
#: team and the GP, few through the media; ``None``: not asked or not answered.
FOUND_VIA_WEIGHTS: dict[str | None, int] = {
    "wijkteam": 30,
    "huisarts": 18,
    "family_friends": 14,
    "website": 12,
    "school": 7,
    "partner": 7,
    "media": 3,
    "other": 4,
    None: 5,
}
#: Age bands of residents asking for support (older residents ask more; ``None``: rather not say).
AGE_BAND_WEIGHTS: dict[str | None, int] = {
    "under_18": 2,
    "18_26": 9,
    "27_44": 24,
    "45_64": 27,
    "65_74": 15,
    "75_plus": 13,
    None: 10,
}


def _weighted(rng: random.Random, weights: dict[str | None, int]) -> str | None:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def demo_place(rng: random.Random, demo: Demo) -> str:
    """A municipality of the demo region, the larger ones more often (the region file's ``demo.weights``)."""
    places = list(demo.postcodes)
    return rng.choices(places, weights=[demo.weights.get(code, 1) for code in places])[0]


def demo_question(rng: random.Random, demo: Demo) -> dict[str, Any]:
    """One realistic question as a resident would submit it (fictional contact details)."""
    municipality = demo_place(rng, demo)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    number = rng.randint(1000, 9999)
    optional = {"found_via": _weighted(rng, FOUND_VIA_WEIGHTS), "age_band": _weighted(rng, AGE_BAND_WEIGHTS)}
    return {
        **{name: value for name, value in optional.items() if value is not None},
        "municipality": municipality,
        "life_domains": sorted(set(rng.sample(list(LIFE_DOMAINS), rng.choice([1, 1, 1, 2, 3])))),
        "description": rng.choice(DESCRIPTIONS),
        "preferred_supporter_kind": rng.choice(["any", "any", "professional", "volunteer", "experience_expert"]),
        "languages": rng.choice([["nl"], ["nl"], ["nl"], ["nl", "en"], ["ar", "nl"], ["tr", "nl"]]),
        "postcode": rng.choice(demo.postcodes[municipality]),
        "channel": rng.choice(["web", "web", "phone", "walk_in"]),
        "contact": {
            "name": f"{first} {last}",
            "email": f"inwoner{number}@example.nl",
            "phone": f"06{rng.randint(10_000_000, 99_999_999)}",
        },
        "consent": {"share_with_supporter": True},
    }


#: Signals supporters raise in the demo: (theme, life domain, level, text). The texts describe a
#: pattern, never a person (the signal text stays in intake; events carry no text at all).
SIGNALS: list[tuple[str, str | None, str, str]] = [
    ("waiting_times", "wmo", "local", "Inwoners wachten langer dan zes weken op het keukentafelgesprek."),
    ("waiting_times", "youth", "regional", "De wachtlijst voor jeugdhulp met begeleiding groeit in de hele regio."),
    ("waiting_times", "debts", "local", "Een afspraak bij de schuldhulpverlening duurt nu vaak twee maanden."),
    (
        "rules_and_regulations",
        "participation",
        "regional",
        "De regels voor bijverdienen naast een uitkering zijn onduidelijk.",
    ),
    ("rules_and_regulations", "wmo", "local", "Het formulier voor een Wmo-melding vraagt dingen die al bekend zijn."),
    ("reachability", None, "local", "Het wijkteam is na 16.00 uur telefonisch niet bereikbaar."),
    ("reachability", "health", "regional", "Inwoners zonder computer komen moeilijk aan een afspraak."),
    ("treatment", "participation", "local", "Inwoners voelen zich bij het eerste gesprek niet serieus genomen."),
    ("cooperation", "youth", "regional", "School en jeugdhulp verwijzen inwoners naar elkaar door."),
    (
        "cooperation",
        "housing",
        "local",
        "Bij een aangepaste woning weten woningcorporatie en gemeente niet wie beslist.",
    ),
    ("other", "education", "local", "Ouders weten niet dat cliëntondersteuning ook bij onderwijsvragen kan helpen."),
]
#: Why a supporter declines in the demo (a few questions), and why support ends: mostly because it is done.
DECLINE_REASON_WEIGHTS: dict[str, int] = {"no_time": 60, "expertise": 20, "distance": 10, "language": 10}
END_REASON_WEIGHTS: dict[str, int] = {"completed": 80, "resident_stopped": 10, "moved": 5, "other": 5}


def demo_signal(rng: random.Random, demo: Demo) -> dict[str, Any]:
    """One signal as a supporter raises it through ``POST /api/v1/signals``; waiting times come up most."""
    theme, life_domain, level, text = rng.choice(SIGNALS + SIGNALS[:3])
    municipality = demo_place(rng, demo)
    body: dict[str, Any] = {
        "theme": theme,
        "municipality": municipality,
        "level": level,
        "raised_by": "supporter",
        "text": text,
    }
    if life_domain:
        body["life_domain"] = life_domain
    return body


SIGNAL_ANSWERS = [
    "Dank voor uw signaal. We bespreken dit met de zorgaanbieders en laten in het volgende overleg weten wat we"
    " hebben afgesproken.",
    "We herkennen dit. De gemeente past de brieven aan zodat ze in eenvoudige taal zijn geschreven.",
    "Dit nemen we mee in de nieuwe afspraken over wachttijden. De adviesraad hoort in het voorjaar wat er verandert.",
]


def demo_signal_answer(rng: random.Random) -> str:
    """The municipality's answer to a signal (``POST /api/v1/signals/{id}/answer``)."""
    return rng.choice(SIGNAL_ANSWERS)


def demo_decline_reason(rng: random.Random) -> str:
    """The reason code of a supporter's decline (``POST /api/v1/assignments/{id}/decline``)."""
    return rng.choices(list(DECLINE_REASON_WEIGHTS), weights=list(DECLINE_REASON_WEIGHTS.values()))[0]


def demo_end_reason(rng: random.Random) -> str:
    """The reason code of an end of support (``POST /api/v1/assignments/{id}/end``)."""
    return rng.choices(list(END_REASON_WEIGHTS), weights=list(END_REASON_WEIGHTS.values()))[0]


#: How demo residents answer the three statements (mostly positive; waiting is the weak spot), and
#: what share of the invited fill in the form at all.
AGREEMENT_WEIGHTS: dict[str, dict[str, int]] = {
    "knew_where_to_go": {"agree": 55, "neutral": 25, "disagree": 15, "": 5},
    "helped_quickly": {"agree": 40, "neutral": 30, "disagree": 25, "": 5},
    "supporter_on_my_side": {"agree": 75, "neutral": 15, "disagree": 5, "": 5},
}
SHARE_RATE = 0.6


def demo_experience(rng: random.Random) -> dict[str, str] | None:
    """The experience form as a demo resident fills it in (no free text), or None: they skip it."""
    if rng.random() > SHARE_RATE:
        return None
    answers = {name: rng.choices(list(w), weights=list(w.values()))[0] for name, w in AGREEMENT_WEIGHTS.items()}
    positive = sum(answer == "agree" for answer in answers.values())
    score = min(10, max(1, round(rng.gauss(5.5 + positive, 1.2))))
    return {**answers, "score": str(score)}
