"""The forms of one question's page in the joint consultation, read and checked with Dutch field errors.
Pure: no I/O. Each ``read_…`` answers the clean values, or the errors by field (the field's element id,
which the error summary links to)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final

from contracts.bsn import contains_bsn
from services.kit.dutch import DUTCH_TIME
from services.kit.web.forms import FormValues, first
from services.matching.handlers.meetings import GRACE, PLAN_AHEAD, VIEW_MAX, VIEW_MIN

#: The fields' element ids (also the names the forms post).
DATE: Final = "datum"
TIME: Final = "tijd"
VIEW: Final = "inwoner_wens"
SUPPORTER: Final = "supporter_id"
REASON: Final = "reason"
PROFESSIONAL: Final = "duo_beroepskracht"
PARTNER: Final = "duo_partner"
DUO_REASON: Final = "duo_reden"
REASON_MIN: Final = 5
REASON_MAX: Final = 1000

_ISO_DATE: Final = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DUTCH_DATE: Final = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_TIME: Final = re.compile(r"^(\d{1,2})[:.](\d{2})$")

Errors = dict[str, str]


@dataclass(frozen=True)
class Problem:
    """One line of the error summary: the field it links to, and what to do."""

    anchor: str
    message: str


def summary(errors: Errors) -> list[Problem]:
    return [Problem(anchor, message) for anchor, message in errors.items()]


def _date(value: str) -> date | None:
    """A date as a date field sends it (2027-03-16), or as people type it (16-03-2027)."""
    iso, dutch = _ISO_DATE.match(value), _DUTCH_DATE.match(value)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if dutch:
            return date(int(dutch[3]), int(dutch[2]), int(dutch[1]))
    except ValueError:
        return None
    return None


def _time(value: str) -> time | None:
    found = _TIME.match(value)
    if not found or int(found[1]) > 23 or int(found[2]) > 59:
        return None
    return time(int(found[1]), int(found[2]))


def read_appointment(values: FormValues, now: datetime) -> tuple[datetime | None, Errors]:
    """The planned moment (in Dutch time), or the errors."""
    day_text, time_text = first(values, DATE), first(values, TIME)
    errors: Errors = {}
    day = _date(day_text)
    at = _time(time_text)
    if not day_text:
        errors[DATE] = "Vul de datum van de afspraak in, bijvoorbeeld 16-03-2027."
    elif day is None:
        errors[DATE] = "Deze datum bestaat niet. Schrijf de datum zo: 16-03-2027."
    if not time_text:
        errors[TIME] = "Vul de tijd van de afspraak in, bijvoorbeeld 10:00."
    elif at is None:
        errors[TIME] = "Deze tijd klopt niet. Schrijf de tijd zo: 10:00."
    if errors or day is None or at is None:
        return None, errors
    moment = datetime.combine(day, at, tzinfo=DUTCH_TIME)
    if moment < now - GRACE:
        return None, {DATE: "Deze dag en tijd zijn al voorbij. Kies een moment dat nog moet komen."}
    if moment > now + PLAN_AHEAD:
        return None, {DATE: "Plan de afspraak binnen drie maanden."}
    return moment, {}


def read_view(values: FormValues) -> tuple[str, Errors]:
    """The note of the resident's own view, or the error."""
    text = first(values, VIEW)
    if len(text) < VIEW_MIN:
        return text, {VIEW: f"Schrijf in een paar woorden wat de inwoner wil (minstens {VIEW_MIN} tekens)."}
    if len(text) > VIEW_MAX:
        return text, {VIEW: f"Maak de notitie korter (hoogstens {VIEW_MAX} tekens)."}
    if contains_bsn(text):
        return text, {VIEW: "Schrijf geen burgerservicenummer (BSN) in de notitie."}
    return text, {}


def reason_problem(reason: str) -> str | None:
    """What is wrong with the reason for a choice (Dutch), or None."""
    if len(reason) < REASON_MIN:
        return f"Schrijf op waarom het overleg voor deze keuze gaat (minstens {REASON_MIN} tekens)."
    if len(reason) > REASON_MAX:
        return f"Maak de reden korter (hoogstens {REASON_MAX} tekens)."
    if contains_bsn(reason):
        return "Schrijf geen burgerservicenummer (BSN) in de reden."
    return None


def read_single(values: FormValues) -> tuple[str, str, Errors]:
    """One supporter: the supporter's id and the reason, or the errors."""
    supporter, reason = first(values, SUPPORTER), first(values, REASON)
    errors: Errors = {}
    if not supporter:
        errors[SUPPORTER] = "Kies een ondersteuner."
    if problem := reason_problem(reason):
        errors[REASON] = problem
    return supporter, reason, errors


def read_duo(values: FormValues) -> tuple[str, str, str, Errors]:
    """A duo: the professional's and the partner's ids and the reason, or the errors."""
    professional, partner, reason = first(values, PROFESSIONAL), first(values, PARTNER), first(values, DUO_REASON)
    errors: Errors = {}
    if not professional:
        errors[PROFESSIONAL] = "Kies een beroepskracht."
    if not partner:
        errors[PARTNER] = "Kies een vrijwilliger of ervaringsdeskundige."
    if problem := reason_problem(reason):
        errors[DUO_REASON] = problem
    return professional, partner, reason, errors


def typed_values(values: FormValues, *names: str) -> dict[str, str]:
    """What was typed in ``names``, to show it again with the errors."""
    return {name: first(values, name) for name in names}


def default_day(now: datetime) -> str:
    """A sensible first date to offer: the next working day (Dutch time), as a date field wants it."""
    day = now.astimezone(DUTCH_TIME).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.isoformat()
