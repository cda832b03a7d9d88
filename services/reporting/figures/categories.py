"""Categories reporting makes up itself, with their Dutch labels (the contracts' codes are labelled in
:mod:`contracts.labels`). Their codes are an interface too: ``StatisticsPublished`` cells name them."""

from __future__ import annotations

from typing import Final, get_args

from contracts.events import Agreement, ExperienceStatements

#: A row for "not given" (how the resident found us, an age band).
UNKNOWN: Final = "unknown"
NOT_KNOWN: Final = "Niet bekend"
#: The referrer row of residents who came on their own.
SELF: Final = "self"
SELF_LABEL: Final = "Zelf aangemeld"

#: How long questions on the waiting list have been waiting.
WAITING_AGES: Final = ("lt_1w", "1_2w", "2_4w", "ge_4w")
WAITING_AGE_LABELS: Final[dict[str, str]] = {
    "lt_1w": "Korter dan 1 week",
    "1_2w": "1 tot 2 weken",
    "2_4w": "2 tot 4 weken",
    "ge_4w": "4 weken of langer",
}

#: The two groups representativeness compares.
PARTICIPATION: Final = ("supported", "took_part")
PARTICIPATION_LABELS: Final[dict[str, str]] = {"supported": "Geholpen", "took_part": "Deden mee"}

#: The experience statements and their answers, in the contract's order.
STATEMENTS: Final[tuple[str, ...]] = tuple(ExperienceStatements.model_fields)
AGREEMENT: Final[tuple[str, ...]] = get_args(Agreement)

#: How soon a supporter first reached the resident, of the assignments made in a period (not declined
#: before contact): within the promise of 3 working days, later, not at all (the last day has passed or
#: support ended without a first contact), or not yet (the last day has not passed).
FIRST_CONTACT: Final = ("within", "later", "missing", "pending")
FIRST_CONTACT_LABELS: Final[dict[str, str]] = {
    "within": "Binnen 3 werkdagen",
    "later": "Later",
    "missing": "Geen contact",
    "pending": "Nog binnen termijn",
}
