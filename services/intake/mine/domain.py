"""Pure rules of the resident's own page: references, private links, and what the page says. No I/O.

The page speaks Dutch at B1 level: for every status a title, what it means, and what happens next
and by when. Working days here skip weekends only; the region's public holidays are not counted yet.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

from contracts.codes import WithdrawnBy
from contracts.events import Reason
from contracts.labels import WITHDRAWAL_REASON_RESIDENT_LABELS, WITHDRAWAL_REASON_TEXTS
from contracts.references import REFERENCE_ALPHABET, REFERENCE_LENGTH, format_reference
from services.intake.domain import QuestionStatus
from services.intake.signals.domain import looks_like_token, new_status_token, token_digest
from services.kit.dutch import DUTCH_TIME, dutch_date
from services.kit.workdays import CONSULTATION_WITHIN_WORKING_DAYS, CONTACT_WITHIN_WORKING_DAYS, add_working_days

__all__ = [
    "format_reference",
    "looks_like_token",
    "new_status_token",
    "token_digest",
]

#: What staff may type as a reference: letters and digits, with spaces or dashes anywhere.
_REFERENCE_INPUT: Final = re.compile(r"^[A-Za-z0-9 \-]{4,30}$")

#: Working days within which a supporter contacts the resident, and within which the joint
#: consultation answers (the same promises the mails make).
CONTACT_WORKING_DAYS: Final = CONTACT_WITHIN_WORKING_DAYS
CONSULTATION_WORKING_DAYS: Final = CONSULTATION_WITHIN_WORKING_DAYS
#: A resident may ask for a new link by e-mail once per this many minutes (per address).
LINK_REQUEST_MINUTES: Final = 15
#: The newest open questions a link request mails a link for.
LINK_REQUEST_QUESTIONS: Final = 5


# --- references -----------------------------------------------------------------------------------


def new_reference() -> str:
    """A fresh reference: 8 characters, about 5 * 10^11 possibilities (uniqueness is checked on store)."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def normalise_reference(value: str) -> str | None:
    """What someone typed or read out, as stored: upper case, no spaces or dashes; None when it cannot be one."""
    if not _REFERENCE_INPUT.fullmatch(value):
        return None
    return re.sub(r"[ \-]", "", value).upper() or None


# --- working days (the calendar and the 3-day promise are the kit's: services/kit/workdays.py) -------


def local_day(moment: datetime) -> date:
    return moment.astimezone(DUTCH_TIME).date()


# --- withdrawing ----------------------------------------------------------------------------------


def withdrawal_reason(code: str) -> Reason:
    """The standard reason of a withdrawal code (``other`` for a code not in the list)."""
    known = code if code in WITHDRAWAL_REASON_TEXTS else "other"
    return Reason(code=known, text=WITHDRAWAL_REASON_TEXTS[known])


def resident_withdrawal_code(value: str) -> str | None:
    """The reason a resident chose on their page, or None when it is not one of theirs."""
    return value if value in WITHDRAWAL_REASON_RESIDENT_LABELS else None


def withdrawn_by_api(is_referrer: bool) -> tuple[WithdrawnBy, str]:
    """Who withdrew through the API, and the reason code: the referring partner, else staff."""
    return ("partner", "by_referrer") if is_referrer else ("staff", "other")


# --- what the page says ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Supporter:
    """A supporter as the resident reads them: display names only."""

    name: str
    organisation: str
    kind: str
    assigned_at: datetime | None = None


@dataclass(frozen=True)
class StatusText:
    title: str
    explanation: str
    next_step: str


@dataclass(frozen=True)
class Appointment:
    """The conversation of the joint consultation: when it is (or was), and when it was held."""

    planned_for: datetime
    held_at: datetime | None = None


@dataclass(frozen=True)
class Facts:
    """What the page is made of (no personal data beyond the supporters' names)."""

    status: QuestionStatus
    received_at: datetime
    changed_at: datetime
    supporters: tuple[Supporter, ...] = ()
    choose_together: bool = False
    withdrawn_by_resident: bool = False
    appointment: Appointment | None = None
    #: The moment the page is shown (an appointment is ahead or behind): default the real now.
    now: datetime | None = None


WEEKDAYS: Final = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


def dutch_moment(moment: datetime) -> str:
    """``dinsdag 16 maart 2027, 10:00 uur``: a moment as a resident reads it, in Dutch time."""
    local = moment.astimezone(DUTCH_TIME)
    return f"{WEEKDAYS[local.weekday()]} {dutch_date(local)}, {local:%H:%M} uur"


#: The history lines of the conversation (the status itself stays ``consultation``).
APPOINTMENT_PLANNED_LABEL: Final = "Afspraak gemaakt om samen te kiezen, op {when}"
APPOINTMENT_HELD_LABEL: Final = "Gesprek gehad om samen te kiezen"


def appointment_text(appointment: Appointment, now: datetime) -> StatusText:
    """What the page says while the question is in the consultation and a conversation is planned."""
    when = dutch_moment(appointment.planned_for)
    if appointment.held_at is not None:
        return StatusText(
            "U heeft met ons gesproken",
            f"U heeft op {dutch_date(appointment.held_at)} met een coördinator gesproken. Samen heeft u gekeken"
            " wie u het beste kan helpen.",
            "Wij vragen de ondersteuner die u samen heeft gekozen. U krijgt een bericht zodra die u gaat helpen.",
        )
    if appointment.planned_for >= now:
        return StatusText(
            "U heeft een afspraak om samen te kiezen",
            f"U heeft een afspraak op {when} om samen te kiezen wie u gaat helpen. Een coördinator praat dan"
            " met u over uw vraag en over wat u belangrijk vindt.",
            "Kunt u niet op deze dag of dit uur? Neem dan contact met ons op. Dan maken wij een nieuwe afspraak.",
        )
    return StatusText(
        "Uw afspraak om samen te kiezen is geweest",
        f"U had een afspraak op {when} om samen te kiezen wie u gaat helpen.",
        "U hoort snel wie u gaat helpen. Is het gesprek niet doorgegaan? Neem dan contact met ons op.",
    )


def _names(supporters: tuple[Supporter, ...]) -> str:
    parts = [f"{s.name} van {s.organisation}" if s.organisation else s.name for s in supporters]
    return " en ".join(parts)


def status_text(facts: Facts) -> StatusText:
    """Title, meaning and next step of the question's status, with the dates that apply."""
    status = facts.status
    names = _names(facts.supporters)
    if status == "received":
        if facts.choose_together:
            by = dutch_date(add_working_days(local_day(facts.received_at), CONSULTATION_WORKING_DAYS))
            return StatusText(
                "Wij hebben uw vraag ontvangen",
                "U wilt eerst kennismaken en samen kiezen wie u helpt. Wij zoeken een paar ondersteuners die bij"
                " uw vraag passen.",
                f"Wij bellen of mailen u uiterlijk {by} om een afspraak te maken voor een kort gesprek.",
            )
        by = dutch_date(add_working_days(local_day(facts.received_at), CONTACT_WORKING_DAYS))
        return StatusText(
            "Wij hebben uw vraag ontvangen",
            "Wij zoeken een cliëntondersteuner die goed bij uw vraag past.",
            f"Een cliëntondersteuner neemt uiterlijk {by} contact met u op.",
        )
    if status == "waiting":
        return StatusText(
            "Uw vraag staat op de wachtlijst",
            "Er is nu geen cliëntondersteuner vrij die bij uw vraag past. Zodra er iemand vrij is, koppelen wij"
            " die aan u. U hoeft daar niets voor te doen.",
            "U krijgt een bericht zodra er een cliëntondersteuner voor u is.",
        )
    if status == "consultation" and facts.appointment is not None:
        return appointment_text(facts.appointment, facts.now or datetime.now(UTC))
    if status == "consultation":
        by = dutch_date(add_working_days(local_day(facts.changed_at), CONSULTATION_WORKING_DAYS))
        if facts.choose_together:
            return StatusText(
                "Wij maken een afspraak om samen te kiezen",
                "U wilt eerst kennismaken en samen kiezen wie u helpt. Een coördinator bespreekt met u welke"
                " ondersteuners bij u passen.",
                f"Wij nemen uiterlijk {by} contact met u op voor een afspraak.",
            )
        return StatusText(
            "Wij bespreken uw vraag samen",
            "Een paar organisaties kijken samen wie u het beste kan helpen.",
            f"U hoort uiterlijk {by} wie u gaat helpen.",
        )
    if status == "assigned":
        assigned = max((s.assigned_at for s in facts.supporters if s.assigned_at), default=facts.changed_at)
        by = dutch_date(add_working_days(local_day(assigned), CONTACT_WORKING_DAYS))
        if len(facts.supporters) > 1:  # a duo
            return StatusText(
                "Er zijn twee cliëntondersteuners voor u",
                f"{names} gaan u samen helpen.",
                f"{names} nemen uiterlijk {by} contact met u op.",
            )
        who = names or "Uw cliëntondersteuner"
        return StatusText(
            "Er is een cliëntondersteuner voor u",
            f"{names} gaat u helpen." if names else "Wij hebben een cliëntondersteuner voor u gevonden.",
            f"{who} neemt uiterlijk {by} contact met u op.",
        )
    if status == "accepted":
        if len(facts.supporters) > 1:
            return StatusText(
                "Uw cliëntondersteuners helpen u",
                f"{names} helpen u samen met uw vraag.",
                "Heeft u nog geen contact gehad, of heeft u een vraag? Neem dan contact met ons op.",
            )
        return StatusText(
            "Uw cliëntondersteuner helpt u",
            f"{names} helpt u met uw vraag." if names else "Uw cliëntondersteuner helpt u met uw vraag.",
            "Heeft u nog geen contact gehad, of heeft u een vraag? Neem dan contact met ons op.",
        )
    if status == "closed":
        return StatusText(
            "Uw vraag is afgerond",
            "De ondersteuning voor deze vraag is klaar.",
            "Heeft u opnieuw hulp nodig? Stel dan een nieuwe vraag. Dat mag altijd.",
        )
    return StatusText(
        "Uw vraag is ingetrokken",
        "U heeft deze vraag ingetrokken. Wij doen er niets meer mee."
        if facts.withdrawn_by_resident
        else "Deze vraag is ingetrokken. Wij doen er niets meer mee.",
        "Heeft u later toch hulp nodig? Stel dan een nieuwe vraag. Dat mag altijd.",
    )


def may_withdraw(status: QuestionStatus) -> bool:
    return status not in ("closed", "withdrawn")
