"""Council meetings' pure rules: what a plan and a record of who took part must be, and which council
key may plan or see which meeting. No I/O here (``today`` is passed in).

A council (the organisation of a ``council`` key) meets residents and partners about twice a year.
A key tied to a municipality plans that municipality's meetings only; a key without one also plans
regional meetings (``municipality`` null). Participants are described coarsely (role, organisation,
municipality, age band, life domains), never by name: the list feeds reporting's view of who takes
part. Recording participants again replaces the list (a correction), and is announced again.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from contracts.codes import LifeDomain
from contracts.events import Participant, SignalTheme, check_municipality, refuse_bsn
from contracts.text import CleanText, MunicipalityCode
from services.kit.access import Principal
from services.kit.region import check_served

#: Organisation ids as API keys have them: 2-100 lower-case letters, digits, '.', '_' or '-'.
OrganisationId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{1,99}$")]

MAX_INVITED: Final = 100
MAX_PARTICIPANTS: Final = 500

NOT_FOUND: Final = "Deze bijeenkomst is niet bekend. / This meeting is not known."
OTHER_MUNICIPALITY: Final = (
    "Deze sleutel hoort bij gemeente {mine}: kies die gemeente. / This key may only plan meetings for {mine}."
)
IN_THE_PAST: Final = "Deze datum is al voorbij. / planned_for may not be in the past."
IN_THE_FUTURE: Final = "Deze datum moet nog komen. / held_on may not be in the future."


class MeetingRefused(Exception):
    """A plan or record the key may not make; ``field`` names what to change (None: the key itself)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _known_municipality(value: str | None) -> str | None:
    return value if value is None else check_served(check_municipality(value))


class MeetingPlan(CleanText):
    """``POST /api/v1/council/meetings``."""

    model_config = ConfigDict(extra="forbid")

    planned_for: date = Field(description="the meeting's date; not in the past")
    municipality: MunicipalityCode | None = Field(default=None, description="null: a regional meeting")
    themes: list[SignalTheme] = Field(default_factory=list, max_length=6, description="the signal themes to discuss")
    invited_organisations: list[OrganisationId] = Field(
        default_factory=list, max_length=MAX_INVITED, description="ids of the invited partner organisations"
    )
    co_organisers: list[OrganisationId] = Field(
        default_factory=list, max_length=10, description="other councils organising the meeting together"
    )

    _municipality = field_validator("municipality")(_known_municipality)
    _themes = field_validator("themes")(_unique)
    _invited = field_validator("invited_organisations", "co_organisers")(_unique)


class MeetingOutcome(CleanText):
    """``POST /api/v1/council/meetings/{id}/outcome``: what came of the meeting. Never a resident's name."""

    model_config = ConfigDict(extra="forbid")

    outcomes: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)]
    follow_up: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=30, description="follow-up actions, one line each"
    )

    _outcomes = field_validator("outcomes")(refuse_bsn)

    @field_validator("follow_up")
    @classmethod
    def _no_bsn(cls, values: list[str]) -> list[str]:
        return [refuse_bsn(v) for v in values]


class ParticipantEntry(Participant, CleanText):
    """One participant as recorded: the contract's Participant, with ids and codes checked and bounded."""

    organisation: OrganisationId | None = None
    municipality: MunicipalityCode | None = None
    life_domains: list[LifeDomain] = Field(default_factory=list, max_length=8)

    _municipality = field_validator("municipality")(_known_municipality)


class MeetingHeld(CleanText):
    """``POST /api/v1/council/meetings/{id}/participants``: who took part. Never names."""

    model_config = ConfigDict(extra="forbid")

    held_on: date = Field(description="the day the meeting took place; not in the future")
    participants: list[ParticipantEntry] = Field(max_length=MAX_PARTICIPANTS)

    def contract_participants(self) -> list[Participant]:
        return [Participant.model_validate(p.model_dump()) for p in self.participants]


def check_plan(principal: Principal, plan: MeetingPlan, today: date) -> None:
    """MeetingRefused when the key may not plan this meeting, or its date has passed."""
    if principal.municipality is not None and plan.municipality != principal.municipality:
        raise MeetingRefused(OTHER_MUNICIPALITY.format(mine=principal.municipality))
    if plan.planned_for < today:
        raise MeetingRefused(IN_THE_PAST, field="planned_for")


def check_held(held: MeetingHeld, today: date) -> None:
    if held.held_on > today:
        raise MeetingRefused(IN_THE_FUTURE, field="held_on")


def may_see(
    principal: Principal, council: str, municipality: str | None, co_organisers: list[str] | None = None
) -> bool:
    """A council sees the meetings it organises (alone or together); a key tied to a municipality only
    that municipality's."""
    organises = council == principal.organisation or principal.organisation in (co_organisers or [])
    return organises and principal.may_see_municipality(municipality)
