"""The resident forms' rules: Dutch choices, form fields → submission, errors in plain Dutch. No I/O.

The forms validate with the very models the API uses (``QuestionSubmission``, ``SignalSubmission``),
so a form can never accept what the API refuses. On top of those the question form has two rules of
its own: a way to reach the resident (e-mail or phone) and ticked consent. Pydantic's English
messages never reach a resident: every error is translated per field, with a generic Dutch
sentence for anything not foreseen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from pydantic import ValidationError

from contracts.bsn import BSN_MESSAGE
from contracts.codes import LANGUAGES
from contracts.events import QuestionSubmission
from contracts.labels import (
    AGE_BAND_LABELS,
    FOUND_VIA_LABELS,
    KIND_PREFERENCE_LABELS,
    LANGUAGE_LABELS,
    LIFE_DOMAIN_LABELS,
    MEETING_PREFERENCE_RESIDENT_LABELS,
    NEED_RESIDENT_LABELS,
    PREFERRED_CHANNEL_RESIDENT_LABELS,
    SIGNAL_LEVEL_RESIDENT_LABELS,
    SIGNAL_SOURCE_LABELS,
    SIGNAL_THEME_RESIDENT_LABELS,
)
from services.intake.domain import SignalSubmission
from services.kit.region import Region
from services.kit.web.forms import first

#: A choice in a list: (code, label, hint or "").
Choice = tuple[str, str, str]


def choices(labels: Mapping[str, str], hints: Mapping[str, str] | None = None) -> tuple[Choice, ...]:
    """``labels`` (from :mod:`contracts.labels`) as choices, in their order, each with its hint if any."""
    return tuple((code, label, (hints or {}).get(code, "")) for code, label in labels.items())


DOMAIN_HINTS: Final[dict[str, str]] = {
    "wmo": "Bijvoorbeeld hulp in het huishouden, begeleiding, een rolstoel of een aanpassing in huis.",
    "youth": "Vragen over uw kind, over opvoeden of over jeugdhulp.",
    "participation": "Bijvoorbeeld een uitkering, werk zoeken of meedoen in de buurt.",
    "debts": "Rekeningen die u niet kunt betalen, of hulp bij het regelen van uw geld.",
    "housing": "Een huis zoeken, of problemen met uw huis of de huur.",
    "education": "Bijvoorbeeld passend onderwijs, vervoer naar school of problemen op school.",
    "health": "Vragen over uw gezondheid of over hoe u zich voelt.",
    "wlz": "Als u altijd zorg dichtbij nodig heeft, bijvoorbeeld in een zorginstelling.",
}
LIFE_DOMAIN_CHOICES: Final[tuple[Choice, ...]] = choices(LIFE_DOMAIN_LABELS, DOMAIN_HINTS)

KIND_HINTS: Final[dict[str, str]] = {
    "professional": "Iemand die dit als werk doet en veel weet van regels en hulp.",
    "volunteer": "Iemand die hiervoor is opgeleid en u helpt in zijn of haar vrije tijd.",
    "experience_expert": "Iemand die zelf hetzelfde heeft meegemaakt als u.",
    "any": "Wij zoeken iemand die goed bij uw vraag past.",
}
KIND_CHOICES: Final[tuple[Choice, ...]] = choices(KIND_PREFERENCE_LABELS, KIND_HINTS)

LANGUAGE_CHOICES: Final[tuple[Choice, ...]] = tuple((code, LANGUAGE_LABELS[code], "") for code in LANGUAGES)

MEETING_CHOICES: Final[tuple[Choice, ...]] = choices(MEETING_PREFERENCE_RESIDENT_LABELS)

#: What the resident may need (``contracts.codes.Need``), in their own words.
NEED_CHOICES: Final[tuple[Choice, ...]] = choices(
    NEED_RESIDENT_LABELS,
    {
        "easy_language": "Korte zinnen en gewone woorden, en de tijd om alles goed uit te leggen.",
        "interpreter": "Wij regelen een tolk voor de gesprekken. Dat is gratis.",
    },
)
#: Two supporters at once (``wants_duo``): one tick box.
DUO_CHOICES: Final[tuple[Choice, ...]] = (
    (
        "ja",
        "Ik wil graag twee ondersteuners: een beroepskracht en een vrijwilliger of ervaringsdeskundige",
        "Zij helpen u dan samen.",
    ),
)
#: First meet and choose together (``choose_together``): one tick box.
TOGETHER_CHOICES: Final[tuple[Choice, ...]] = (
    (
        "ja",
        "Ik wil eerst kennismaken en samen kiezen",
        "Wij nemen dan binnen 5 werkdagen contact met u op voor een kort gesprek. Daarin kiest u samen met ons"
        " wie u gaat helpen.",
    ),
)

#: How the resident wants to hear from us; choosing none of these means we choose (e-mail, else SMS).
CONTACT_CHANNEL_CHOICES: Final[tuple[Choice, ...]] = choices(
    PREFERRED_CHANNEL_RESIDENT_LABELS, {"none": "Wij sturen u dan geen berichten over uw vraag."}
)

#: How the resident found us; ``partner`` is not theirs to choose (a partner's referral says so itself).
FOUND_VIA_CHOICES: Final[tuple[Choice, ...]] = choices(
    {code: label for code, label in FOUND_VIA_LABELS.items() if code != "partner"}
)

#: The resident's age band (optional; leaving the select at "Zeg ik liever niet" sends none).
AGE_BAND_CHOICES: Final[tuple[Choice, ...]] = choices(AGE_BAND_LABELS)


def municipality_choices(region: Region) -> tuple[Choice, ...]:
    """The municipalities the region serves, by name (the forms offer no other)."""
    return tuple((m.code, m.name, "") for m in sorted(region.municipalities, key=lambda m: m.name))


def not_served_message(region: Region) -> str:
    """What a resident reads when they chose a municipality the region does not serve (B1)."""
    names = [m.name for m in sorted(region.municipalities, key=lambda m: m.name)]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} en {names[-1]}"
    return (
        f"{region.loket.name} helpt alleen inwoners van {listed}. Woont u ergens anders?"
        " Vraag dan bij uw eigen gemeente naar gratis cliëntondersteuning."
    )


THEME_CHOICES: Final[tuple[Choice, ...]] = choices(
    SIGNAL_THEME_RESIDENT_LABELS,
    {
        "waiting_times": "Bijvoorbeeld lang wachten op een gesprek, een besluit of hulp.",
        "rules_and_regulations": "Regels die niet kloppen of formulieren die te moeilijk zijn.",
        "reachability": "U kon niemand te pakken krijgen, of wist niet waar u heen moest.",
        "treatment": "Bijvoorbeeld of er goed naar u werd geluisterd.",
        "cooperation": "Organisaties die niet goed samenwerken, zodat u steeds opnieuw moet beginnen.",
    },
)

LEVEL_CHOICES: Final[tuple[Choice, ...]] = choices(
    SIGNAL_LEVEL_RESIDENT_LABELS, {"regional": "Ook in andere gemeenten in de buurt."}
)

#: Who may raise a signal on the form (``staff`` raise theirs through the API).
RAISED_BY_CHOICES: Final[tuple[Choice, ...]] = choices(
    {code: SIGNAL_SOURCE_LABELS[code] for code in ("resident", "supporter", "council", "partner")},
    {"partner": "Bijvoorbeeld van het wijkteam, de huisarts of een school."},
)

_POSTCODE: Final = re.compile(r"^\s*([1-9][0-9]{3})\s*(?:[A-Za-z]{2})?\s*$")
_BSN_WORDS: Final = ("bsn", "burgerservicenummer")


# --- Dutch error messages ---------------------------------------------------------------------------

QUESTION_MESSAGES: Final[dict[str, str]] = {
    "life_domains": "Kies minstens één onderwerp uit de lijst.",
    "description": "Beschrijf in een paar zinnen waar u hulp bij zoekt.",
    "preferred_supporter_kind": "Kies wie u het liefst als ondersteuner wilt.",
    "language": "Kies een taal uit de lijst.",
    "needs": "Kies uit de lijst wat u nodig heeft.",
    "wants_duo": "Dit klopt nog niet. Kijk het na en probeer het opnieuw.",
    "choose_together": "Dit klopt nog niet. Kijk het na en probeer het opnieuw.",
    "meeting_preference": "Kies waar of hoe u wilt afspreken.",
    "name": "Vul uw naam in.",
    "email": "Dit e-mailadres klopt niet. Een e-mailadres ziet er zo uit: naam@voorbeeld.nl",
    "phone": "Dit telefoonnummer klopt niet. Gebruik alleen cijfers, bijvoorbeeld 0612345678.",
    "preferred_channel": (
        "U koos voor berichten per e-mail of per sms. Vul dan ook uw e-mailadres of telefoonnummer in."
        " Of kies een andere manier."
    ),
    "postcode": "Vul een goede postcode in: 4 cijfers, bijvoorbeeld 3311 of 3311 AB.",
    "municipality": "Kies uw gemeente uit de lijst.",
    "found_via": "Kies een antwoord uit de lijst.",
    "age_band": "Kies uw leeftijd uit de lijst, of kies 'Zeg ik liever niet'.",
    "consent": "Zet een vinkje als u akkoord gaat. Zonder uw toestemming kunnen wij u niet helpen.",
}
QUESTION_TOO_LONG: Final[dict[str, str]] = {
    "description": "Uw beschrijving is te lang. Gebruik niet meer dan 4000 tekens.",
    "name": "Uw naam is te lang. Gebruik niet meer dan 200 tekens.",
    "life_domains": "Kies niet meer dan 8 onderwerpen.",
}
REACH_ME: Final = "Vul uw e-mailadres of uw telefoonnummer in, zodat wij u kunnen bereiken."

SIGNAL_MESSAGES: Final[dict[str, str]] = {
    "theme": "Kies waar uw signaal of ervaring over gaat.",
    "life_domain": "Kies een onderwerp uit de lijst.",
    "municipality": "Kies de gemeente uit de lijst.",
    "level": "Kies of het over uw gemeente gaat of over de hele regio.",
    "raised_by": "Kies wie u bent.",
    "text": "Schrijf op wat er gebeurde of wat u opviel.",
}
SIGNAL_TOO_LONG: Final[dict[str, str]] = {"text": "Uw tekst is te lang. Gebruik niet meer dan 2000 tekens."}

GENERIC_MESSAGE: Final = "Dit klopt nog niet. Kijk het na en probeer het opnieuw."
#: The key of an error that belongs to no single field; the summary links to the form itself.
FORM: Final = "form"

#: Where a field's error in the summary links to: its input, or the first option of a group.
QUESTION_ANCHORS: Final[dict[str, str]] = {
    "life_domains": f"life_domains-{LIFE_DOMAIN_CHOICES[0][0]}",
    "preferred_supporter_kind": f"preferred_supporter_kind-{KIND_CHOICES[0][0]}",
    "meeting_preference": f"meeting_preference-{MEETING_CHOICES[0][0]}",
    "needs": f"needs-{NEED_CHOICES[0][0]}",
    "wants_duo": "wants_duo-ja",
    "choose_together": "choose_together-ja",
    "preferred_channel": f"preferred_channel-{CONTACT_CHANNEL_CHOICES[0][0]}",
    "found_via": f"found_via-{FOUND_VIA_CHOICES[0][0]}",
}
SIGNAL_ANCHORS: Final[dict[str, str]] = {
    "theme": f"theme-{THEME_CHOICES[0][0]}",
    "level": f"level-{LEVEL_CHOICES[0][0]}",
    "raised_by": f"raised_by-{RAISED_BY_CHOICES[0][0]}",
}

#: Model locations → form field names.
_QUESTION_FIELDS: Final[dict[str, str]] = {
    "languages": "language",
    "contact.name": "name",
    "contact.email": "email",
    "contact.phone": "phone",
    "contact.preferred_channel": "preferred_channel",
    "contact": "name",
    "consent": "consent",
    "consent.share_with_supporter": "consent",
}


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    anchor: str


def normalise_postcode(value: str) -> str:
    """``3311``, ``3311AB`` and ``3311 ab`` all become ``3311``; anything else is left for validation."""
    match = _POSTCODE.match(value)
    return match.group(1) if match else value.strip()


def _mentions_bsn(err: Mapping[str, Any]) -> bool:
    """The model refused a citizen service number (``contracts.bsn``) in a free text."""
    return err.get("type") == "bsn_found" or any(word in str(err.get("msg", "")).lower() for word in _BSN_WORDS)


def translate(
    exc: ValidationError,
    fields: Mapping[str, str],
    messages: Mapping[str, str],
    too_long: Mapping[str, str],
) -> dict[str, str]:
    """Pydantic errors as ``{form field: Dutch message}``, the first error of each field.

    An error on no known field (a rule on the whole model) is filed under ``form``.
    """
    result: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
        name = fields.get(".".join(loc)) or (fields.get(loc[0]) or loc[0] if loc else FORM)
        if name not in messages:
            name = FORM
        if name in result:
            continue
        if _mentions_bsn(err):
            result[name] = BSN_MESSAGE
        elif err.get("type") in ("too_long", "string_too_long") and name in too_long:
            result[name] = too_long[name]
        else:
            result[name] = messages.get(name, GENERIC_MESSAGE)
    return result


def ordered(errors: Mapping[str, str], order: Sequence[str], anchors: Mapping[str, str]) -> list[FieldError]:
    """Errors in the order the fields appear on the page, each with the id its summary link targets."""
    rank = {name: i for i, name in enumerate(order)}
    names = sorted(errors, key=lambda n: rank.get(n, len(rank)))
    return [FieldError(n, errors[n], anchors.get(n, n)) for n in names]


# --- the question form ------------------------------------------------------------------------------


@dataclass
class QuestionForm:
    """What the resident typed, kept as typed so the form can be shown again."""

    life_domains: list[str] = field(default_factory=list)
    description: str = ""
    preferred_supporter_kind: str = "any"
    language: str = "nl"
    #: More languages the resident speaks, in their order (the first choice is ``language``).
    other_languages: list[str] = field(default_factory=lambda: ["", ""])
    needs: list[str] = field(default_factory=list)
    wants_duo: bool = False
    choose_together: bool = False
    meeting_preference: str = "no_preference"
    name: str = ""
    email: str = ""
    phone: str = ""
    preferred_channel: str = ""
    postcode: str = ""
    municipality: str = ""
    found_via: str = ""
    age_band: str = ""
    consent: bool = False

    ORDER: ClassVar[tuple[str, ...]] = (
        "life_domains",
        "description",
        "preferred_supporter_kind",
        "wants_duo",
        "language",
        "needs",
        "choose_together",
        "meeting_preference",
        "name",
        "email",
        "phone",
        "preferred_channel",
        "postcode",
        "municipality",
        "found_via",
        "age_band",
        "consent",
    )

    @classmethod
    def parse(cls, values: Mapping[str, Sequence[str]]) -> QuestionForm:
        return cls(
            life_domains=[v for v in values.get("life_domains", []) if v],
            description=first(values, "description"),
            preferred_supporter_kind=first(values, "preferred_supporter_kind"),
            language=first(values, "language"),
            other_languages=[first(values, "language_2"), first(values, "language_3")],
            needs=[v for v in values.get("needs", []) if v],
            wants_duo=first(values, "wants_duo") == "ja",
            choose_together=first(values, "choose_together") == "ja",
            meeting_preference=first(values, "meeting_preference"),
            name=first(values, "name"),
            email=first(values, "email"),
            phone=first(values, "phone"),
            preferred_channel=first(values, "preferred_channel"),
            postcode=first(values, "postcode"),
            municipality=first(values, "municipality"),
            found_via=first(values, "found_via"),
            age_band=first(values, "age_band"),
            consent=first(values, "consent") == "ja",
        )

    def payload(self) -> dict[str, Any]:
        """The API body this form stands for (channel ``web``)."""
        return {
            "municipality": self.municipality,
            "life_domains": self.life_domains,
            "description": self.description,
            "preferred_supporter_kind": self.preferred_supporter_kind or "any",
            "languages": [self.language or "nl", *(code for code in self.other_languages if code)],
            "needs": self.needs,
            "wants_duo": True if self.wants_duo else None,
            "choose_together": self.choose_together,
            "postcode": normalise_postcode(self.postcode),
            "channel": "web",
            "contact": {
                "name": self.name,
                "email": self.email or None,
                "phone": self.phone or None,
                "preferred_channel": self.preferred_channel or None,
            },
            "consent": {"share_with_supporter": self.consent},
            "found_via": self.found_via or None,
            "meeting_preference": self.meeting_preference or None,
            "age_band": self.age_band or None,
        }

    def validate(self, region: Region) -> tuple[QuestionSubmission | None, list[FieldError]]:
        """The submission, or the errors to show (in page order); only for a municipality ``region`` serves."""
        errors: dict[str, str] = {}
        submission: QuestionSubmission | None = None
        try:
            submission = QuestionSubmission.model_validate(self.payload())
        except ValidationError as exc:
            errors = translate(exc, _QUESTION_FIELDS, QUESTION_MESSAGES, QUESTION_TOO_LONG)
        if not self.email and not self.phone:
            errors.setdefault("email", REACH_ME)
        if not self.consent:
            errors.setdefault("consent", QUESTION_MESSAGES["consent"])
        if submission is not None and not region.serves(submission.municipality):
            errors["municipality"] = not_served_message(region)
        if errors:
            return None, ordered(errors, self.ORDER, QUESTION_ANCHORS)
        return submission, []


# --- the signal form --------------------------------------------------------------------------------


@dataclass
class SignalForm:
    theme: str = ""
    life_domain: str = ""
    municipality: str = ""
    level: str = "local"
    raised_by: str = "resident"
    text: str = ""

    ORDER: ClassVar[tuple[str, ...]] = ("theme", "life_domain", "municipality", "level", "raised_by", "text")

    @classmethod
    def parse(cls, values: Mapping[str, Sequence[str]]) -> SignalForm:
        return cls(
            theme=first(values, "theme"),
            life_domain=first(values, "life_domain"),
            municipality=first(values, "municipality"),
            level=first(values, "level"),
            raised_by=first(values, "raised_by"),
            text=first(values, "text"),
        )

    def payload(self) -> dict[str, Any]:
        return {
            "theme": self.theme,
            "life_domain": self.life_domain or None,
            "municipality": self.municipality,
            "level": self.level,
            "raised_by": self.raised_by,
            "text": self.text,
        }

    def validate(self, region: Region) -> tuple[SignalSubmission | None, list[FieldError]]:
        """The signal, or the errors to show; only about a municipality ``region`` serves."""
        try:
            signal = SignalSubmission.model_validate(self.payload())
        except ValidationError as exc:
            errors = translate(exc, {}, SIGNAL_MESSAGES, SIGNAL_TOO_LONG)
            return None, ordered(errors, self.ORDER, SIGNAL_ANCHORS)
        if not region.serves(signal.municipality):
            return None, ordered({"municipality": not_served_message(region)}, self.ORDER, SIGNAL_ANCHORS)
        return signal, []
