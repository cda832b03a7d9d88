"""How matching's explanations name codes: the Dutch words of languages, supporter kinds, life domains
and specialisms, from the one place every service takes them (``contracts.labels``). Codes without a
word are shown as they are."""

from __future__ import annotations

from collections.abc import Iterable

from contracts.labels import (
    EXPERIENCE_THEME_WORDS,
    LANGUAGE_LABELS,
    LIFE_DOMAIN_LABELS,
    SPECIALISM_WORDS,
    SUPPORTER_KIND_WORDS,
)

#: Specialisms (life domains included) and lived-experience themes, as words in a sentence.
_SPECIALISM_OR_THEME = {**EXPERIENCE_THEME_WORDS, **SPECIALISM_WORDS}


def language_name(code: str) -> str:
    return LANGUAGE_LABELS.get(code, code)


def domain_names(codes: Iterable[str]) -> str:
    return ", ".join(LIFE_DOMAIN_LABELS.get(c, c) for c in codes)


def language_names(codes: Iterable[str]) -> str:
    return ", ".join(language_name(c) for c in codes)


def specialism_names(codes: Iterable[str]) -> str:
    return ", ".join(_SPECIALISM_OR_THEME.get(c, c) for c in codes)


def kind_name(code: str) -> str:
    return SUPPORTER_KIND_WORDS.get(code, code)
