"""Code lists shared by every service and partner (binding values, see ARCHITECTURE.md).

What people read for each code is in :mod:`contracts.labels`.
"""

from typing import Final, Literal

from contracts.labels import LIFE_DOMAIN_LABELS

LifeDomain = Literal["wmo", "youth", "participation", "debts", "housing", "education", "health", "wlz"]
SupporterKind = Literal["professional", "volunteer", "experience_expert"]
KindPreference = Literal["professional", "volunteer", "experience_expert", "any"]
Channel = Literal["web", "phone", "walk_in", "partner"]
AgeBand = Literal["under_18", "18_26", "27_44", "45_64", "65_74", "75_plus"]
#: How far the municipality got with a signal: raised, then read (acknowledged), then answered.
SignalStatus = Literal["raised", "acknowledged", "answered"]
#: What a resident may need from their supporter or the meeting (``QuestionReceived.needs``).
Need = Literal["sign_language", "easy_language", "interpreter", "wheelchair_access"]
#: How a supporter made first contact with the resident (``FirstContactMade``).
ContactMethod = Literal["phone", "visit", "video", "email"]
#: Who withdrew a question (``QuestionWithdrawn``).
WithdrawnBy = Literal["resident", "staff", "partner", "erasure"]
#: How late a first contact is (``FirstContactOverdue``): a reminder to the supporter after 2
#: working days, an escalation to their organisation's coordinator after 3.
OverdueStage = Literal["reminder", "escalation"]

#: The life domain codes, each with its Dutch label (the labels are written in :mod:`contracts.labels`).
LIFE_DOMAINS: Final[dict[str, str]] = LIFE_DOMAIN_LABELS
#: Age bands residents may give (self-declared, never a birth date).
AGE_BANDS: Final = ("under_18", "18_26", "27_44", "45_64", "65_74", "75_plus")
SUPPORTER_KINDS: Final = ("professional", "volunteer", "experience_expert")
KIND_PREFERENCES: Final = (*SUPPORTER_KINDS, "any")
CHANNELS: Final = ("web", "phone", "walk_in", "partner")
SIGNAL_STATUSES: Final[tuple[SignalStatus, ...]] = ("raised", "acknowledged", "answered")
NEEDS: Final[tuple[Need, ...]] = ("sign_language", "easy_language", "interpreter", "wheelchair_access")
CONTACT_METHODS: Final[tuple[ContactMethod, ...]] = ("phone", "visit", "video", "email")
WITHDRAWN_BY: Final[tuple[WithdrawnBy, ...]] = ("resident", "staff", "partner", "erasure")
OVERDUE_STAGES: Final[tuple[OverdueStage, ...]] = ("reminder", "escalation")

#: ISO 639-1 language codes residents may ask for (plus ``ngt``, Dutch sign language).
LANGUAGES: Final = (
    "nl",
    "en",
    "ar",
    "tr",
    "pl",
    "ber",
    "ti",
    "uk",
    "so",
    "fa",
    "de",
    "fr",
    "es",
    "pap",
    "ngt",
)
