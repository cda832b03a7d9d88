"""Dutch names of the codes matching explains with: languages, supporter kinds, specialisms.

Kept apart so that moving these names into ``contracts`` (shared by every service) changes this one
module only. Codes without a name are shown as they are.
"""

from __future__ import annotations

from collections.abc import Iterable

from contracts.codes import LIFE_DOMAINS

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


def domain_names(codes: Iterable[str]) -> str:
    return ", ".join(LIFE_DOMAINS.get(c, c) for c in codes)


def language_names(codes: Iterable[str]) -> str:
    return ", ".join(LANGUAGE_NAMES.get(c, c) for c in codes)


def specialism_names(codes: Iterable[str]) -> str:
    return ", ".join(SPECIALISM_NAMES.get(c, LIFE_DOMAINS.get(c, c)) for c in codes)


def kind_name(code: str) -> str:
    return KIND_NAMES.get(code, code)
