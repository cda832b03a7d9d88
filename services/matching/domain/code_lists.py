"""Matching's code lists with their standard Dutch sentences (B1): why an assignment is declined or
ends, and which specialisms and lived-experience themes a supporter may have."""

from __future__ import annotations

from contracts.codes import LIFE_DOMAINS

#: Why a supporter or resident declines an assignment: code → the standard Dutch sentence (B1).
DECLINE_REASONS: dict[str, str] = {
    "no_time": "De ondersteuner heeft nu geen tijd voor deze vraag.",
    "expertise": "De ondersteuner heeft niet de juiste kennis voor deze vraag.",
    "conflict_of_interest": "De ondersteuner kent de inwoner al of is in deze situatie niet onafhankelijk.",
    "no_click": "De inwoner en de ondersteuner passen niet goed bij elkaar.",
    "resident_preference": "De inwoner wil liever een andere ondersteuner.",
    "language": "De inwoner en de ondersteuner spreken geen gemeenschappelijke taal.",
    "distance": "De afstand tussen de inwoner en de ondersteuner is te groot.",
    "other": "Er is een andere reden.",
}
#: Why support ends: code → the standard Dutch sentence.
END_REASONS: dict[str, str] = {
    "completed": "De ondersteuning is klaar.",
    "resident_stopped": "De inwoner wil geen ondersteuning meer.",
    "moved": "De inwoner is verhuisd.",
    "transferred": "De vraag is overgedragen aan een andere organisatie.",
    "other": "De ondersteuning is om een andere reden gestopt.",
}
#: Specialisms a supporter may have: every life domain, plus target groups and skills.
SPECIALISMS: dict[str, str] = {
    **LIFE_DOMAINS,
    "lvb": "Licht verstandelijke beperking",
    "ggz": "Psychische problemen (ggz)",
    "nah": "Niet-aangeboren hersenletsel",
    "autism": "Autisme",
    "dementia": "Dementie",
    "sign_language": "Gebarentaal",
    "elderly": "Ouderen",
    "newcomers": "Statushouders en nieuwkomers",
    "addiction": "Verslaving",
    "chronic_illness": "Chronische ziekte",
    "visual_impairment": "Slechtziend of blind",
    "hearing_impairment": "Slechthorend of doof",
    "domestic_violence": "Huiselijk geweld",
    "informal_care": "Mantelzorg",
}
#: Lived-experience themes of experience experts.
EXPERIENCE_THEMES: dict[str, str] = {
    "parent_of_child_with_disability": "Ouder van een kind met een beperking",
    "youth_care": "Jeugdhulp",
    "debts": "Schulden",
    "poverty": "Armoede",
    "mental_health": "Psychische problemen",
    "lvb": "Licht verstandelijke beperking",
    "autism": "Autisme",
    "chronic_illness": "Chronische ziekte",
    "disability": "Lichamelijke beperking",
    "informal_care": "Mantelzorg",
    "migration": "Migratie en inburgering",
    "addiction": "Verslaving",
    "homelessness": "Dakloosheid",
    "unemployment": "Werkloosheid",
    "domestic_violence": "Huiselijk geweld",
}
