"""The step forms on a case page, read and checked (pure): decline, first contact, end.

Each ``read_*`` returns the values for the use case, or the Dutch message per field (the field's id is
the key, so the error summary can link to it). Fields are named as the page names them: ``reden`` and
``toelichting`` (decline), ``datum`` and ``manier`` (first contact), ``uitkomst`` (end).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, cast

from contracts.bsn import contains_bsn
from contracts.codes import CONTACT_METHODS, ContactMethod
from contracts.labels import (
    CONTACT_METHOD_LABELS,
    DECLINE_REASON_SUPPORTER_LABELS,
    END_REASON_SUPPORTER_LABELS,
)
from services.kit.web.forms import first

NOTE_MAX: Final = 500
NOTE_MIN_FOR_OTHER: Final = 5
DECLINE_CHOICES: Final = tuple(DECLINE_REASON_SUPPORTER_LABELS.items())
END_CHOICES: Final = tuple(END_REASON_SUPPORTER_LABELS.items())
METHOD_CHOICES: Final = tuple((code, CONTACT_METHOD_LABELS[code]) for code in CONTACT_METHODS)
_ISO_DAY: Final = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DUTCH_DAY: Final = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")

Values = Mapping[str, Sequence[str]]
#: Field id → Dutch message.
Errors = dict[str, str]


@dataclass(frozen=True)
class Decline:
    reason: str
    note: str | None


@dataclass(frozen=True)
class Contact:
    reached_on: date
    method: ContactMethod


def read_decline(values: Values) -> Decline | Errors:
    reason = first(values, "reden")
    note = first(values, "toelichting")
    errors: Errors = {}
    if reason not in DECLINE_REASON_SUPPORTER_LABELS:
        errors["reden-no_time"] = "Kies waarom u deze vraag afwijst."
    if len(note) > NOTE_MAX:
        errors["toelichting"] = f"Maak de toelichting korter: hoogstens {NOTE_MAX} tekens."
    elif contains_bsn(note):
        errors["toelichting"] = "Schrijf geen burgerservicenummer (BSN) in de toelichting."
    elif reason == "other" and len(note) < NOTE_MIN_FOR_OTHER:
        errors["toelichting"] = "Schrijf in een paar woorden waarom u de vraag afwijst."
    return errors or Decline(reason, note or None)


def parse_day(text: str) -> date | None:
    """``2026-03-02`` (a date field) or ``2-3-2026`` (typed by hand); None when it is no date."""
    match = _ISO_DAY.match(text)
    parts = (match.group(1), match.group(2), match.group(3)) if match else None
    if parts is None and (dutch := _DUTCH_DAY.match(text)):
        parts = (dutch.group(3), dutch.group(2), dutch.group(1))
    if parts is None:
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def read_contact(values: Values) -> Contact | Errors:
    text = first(values, "datum")
    method = first(values, "manier")
    errors: Errors = {}
    day = parse_day(text)
    if not text:
        errors["datum"] = "Vul de dag in waarop u de inwoner voor het eerst sprak."
    elif day is None:
        errors["datum"] = "Vul een datum in zoals 2-3-2026."
    if method not in CONTACT_METHODS:
        errors["manier-phone"] = "Kies hoe u de inwoner sprak."
    if errors or day is None:
        return errors
    return Contact(day, cast(ContactMethod, method))


def read_end(values: Values) -> str | Errors:
    outcome = first(values, "uitkomst")
    if outcome not in END_REASON_SUPPORTER_LABELS:
        return {"uitkomst-completed": "Kies waarom de ondersteuning stopt."}
    return outcome
