"""The advice register's pure rules: what an advice and its answer must be, who may see or answer
which advice, and when a response is late. No I/O here (``today`` is passed in).

- A council (scope ``council``) records its own advices. A key tied to a municipality gives advices
  for that municipality; a key without one gives regional advices (``municipality`` null).
- The addressee is the College (``college``) or an organisation's board (``board``, naming the
  organisation, e.g. MEE Plus's board for its client council).
- The decision and response are recorded by the council itself or by the municipality's desk
  (scope ``municipality``) of the advice's municipality (a regional advice: the region's desk).
  Recording again corrects it; AdviceAnswered is announced again.
- The response is due ``advice_response_weeks`` weeks of working days after the advice was given;
  an advice without a response after that day is late.
- Anyone else, and any other council, gets 404 as for an unknown advice.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Final

from pydantic import ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from contracts.codes import LifeDomain
from contracts.events import AdviceAddressee, AdviceDecision, SignalTheme, refuse_bsn
from contracts.text import CleanText, SingleLine
from services.intake.councils.domain import OrganisationId
from services.kit.access import Principal
from services.kit.workdays import add_working_days

COUNCIL: Final = "council"
DESK: Final = "municipality"
WORKING_DAYS_A_WEEK: Final = 5
MAX_SIGNALS: Final = 50
NOT_FOUND: Final = "Dit advies is niet bekend. / This advice is not known."
IN_THE_FUTURE: Final = "Deze datum moet al voorbij zijn. / {field} may not be in the future."
BEFORE_ADVICE: Final = "Deze datum ligt voor de datum van het advies. / {field} may not be before given_on."
UNKNOWN_SIGNALS: Final = "Deze signalen zijn niet bekend: {ids}. / Unknown signals: {ids}."
NEEDS_ORGANISATION: Final = (
    "Kies de organisatie als het advies naar een bestuur gaat. / addressee_organisation is required for board."
)
NO_ORGANISATION: Final = (
    "Een advies aan het College noemt geen organisatie. / addressee_organisation must be null for college."
)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class AdviceRefused(Exception):
    """An advice or answer that cannot be recorded as given; ``field`` names what to change."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class AdviceBody(CleanText):
    """``POST /api/v1/advices``: a council's advice."""

    model_config = ConfigDict(extra="forbid")

    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200), SingleLine]
    given_on: date = Field(description="the day the advice was given; not in the future")
    text: Text
    addressee: AdviceAddressee
    addressee_organisation: OrganisationId | None = Field(default=None, validate_default=True)
    signal_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_SIGNALS)
    themes: list[SignalTheme] = Field(default_factory=list, max_length=6)
    life_domains: list[LifeDomain] = Field(default_factory=list, max_length=8, description="experience themes")

    _subject = field_validator("subject")(refuse_bsn)
    _text = field_validator("text")(refuse_bsn)
    _themes = field_validator("themes", "life_domains")(_unique)

    @field_validator("signal_ids")
    @classmethod
    def _unique_signals(cls, values: list[uuid.UUID]) -> list[uuid.UUID]:
        return list(dict.fromkeys(values))

    @field_validator("addressee_organisation")
    @classmethod
    def _addressee(cls, value: str | None, info: ValidationInfo) -> str | None:
        addressee = info.data.get("addressee")
        if addressee == "board" and value is None:
            raise ValueError(NEEDS_ORGANISATION)
        if addressee == "college" and value is not None:
            raise ValueError(NO_ORGANISATION)
        return value


class AnswerBody(CleanText):
    """``POST /api/v1/advices/{id}/answer``: the addressee's decision and response."""

    model_config = ConfigDict(extra="forbid")

    decision: AdviceDecision
    decided_on: date
    response: Text
    responded_on: date

    _response = field_validator("response")(refuse_bsn)


def check_advice(body: AdviceBody, today: date) -> None:
    if body.given_on > today:
        raise AdviceRefused(IN_THE_FUTURE.format(field="given_on"), "given_on")


def check_answer(body: AnswerBody, given_on: date, today: date) -> None:
    for name in ("decided_on", "responded_on"):
        day: date = getattr(body, name)
        if day > today:
            raise AdviceRefused(IN_THE_FUTURE.format(field=name), name)
        if day < given_on:
            raise AdviceRefused(BEFORE_ADVICE.format(field=name), name)


def response_due(given_on: date, weeks: int) -> date:
    return add_working_days(given_on, weeks * WORKING_DAYS_A_WEEK)


def is_late(due: date, responded_on: date | None, today: date) -> bool:
    return responded_on is None and today > due


def may_see(principal: Principal, council: str, municipality: str | None) -> bool:
    """The council that gave it; the desk of its municipality (a regional advice: the region's desk)."""
    if principal.has(COUNCIL) and council == principal.organisation and principal.may_see_municipality(municipality):
        return True
    return principal.has(DESK) and principal.may_see_municipality(municipality)
