"""Code lists shared by every service and partner (binding values, see ARCHITECTURE.md)."""

from typing import Final, Literal

LifeDomain = Literal["wmo", "youth", "participation", "debts", "housing", "education", "health", "wlz"]
SupporterKind = Literal["professional", "volunteer", "experience_expert"]
KindPreference = Literal["professional", "volunteer", "experience_expert", "any"]
Channel = Literal["web", "phone", "walk_in", "partner"]
AgeBand = Literal["under_18", "18_26", "27_44", "45_64", "65_74", "75_plus"]

LIFE_DOMAINS: Final[dict[str, str]] = {
    "wmo": "Hulp en zorg thuis (Wmo)",
    "youth": "Opvoeden en jeugdhulp",
    "participation": "Werk en inkomen",
    "debts": "Geldzorgen en schulden",
    "housing": "Wonen",
    "education": "School en onderwijs",
    "health": "Gezondheid",
    "wlz": "Langdurige zorg (Wlz)",
}
#: Age bands residents may give (self-declared, never a birth date); Dutch labels for pages.
AGE_BANDS: Final[dict[str, str]] = {
    "under_18": "jonger dan 18",
    "18_26": "18 tot en met 26",
    "27_44": "27 tot en met 44",
    "45_64": "45 tot en met 64",
    "65_74": "65 tot en met 74",
    "75_plus": "75 of ouder",
}
SUPPORTER_KINDS: Final = ("professional", "volunteer", "experience_expert")
KIND_PREFERENCES: Final = (*SUPPORTER_KINDS, "any")
CHANNELS: Final = ("web", "phone", "walk_in", "partner")

#: The municipalities this installation serves, by CBS code. The demo region is Drechtsteden.
MUNICIPALITIES: Final[dict[str, str]] = {
    "GM0505": "Dordrecht",
    "GM0642": "Zwijndrecht",
    "GM0590": "Papendrecht",
    "GM0610": "Sliedrecht",
    "GM0482": "Alblasserdam",
    "GM0531": "Hendrik-Ido-Ambacht",
    "GM1978": "Molenlanden",
}

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
