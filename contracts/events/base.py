"""What every event shares: the base class, code formats and the validators of free text and codes."""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Final, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from contracts.bsn import BSN_MESSAGE, contains_bsn
from contracts.codes import (
    LANGUAGES,
)

Municipality = Annotated[str, Field(description="CBS municipality code, e.g. GM0505", examples=["GM0505"])]
Postcode4 = Annotated[str, Field(pattern=r"^[1-9][0-9]{3}$", description="4-digit postcode area")]
Identifier = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:\-]+$")]


FoundVia = Literal["wijkteam", "huisarts", "school", "website", "family_friends", "media", "partner", "other"]
MeetingPreference = Literal["home", "phone", "video", "office", "no_preference"]
PreferredChannel = Literal["email", "sms", "none"]


MUNICIPALITY_CODE: Final = re.compile(r"^GM[0-9]{4}$")


def check_municipality(value: str) -> str:
    """Refuse what is not a CBS municipality code (GM and 4 digits). Which municipalities a deployment
    serves is its region's business (``services.kit.region``), not the contract's."""
    if not MUNICIPALITY_CODE.fullmatch(value):
        raise ValueError(f"{value!r} is not a CBS municipality code (GM and 4 digits, e.g. GM0505)")
    return value


def refuse_bsn(value: str) -> str:
    """Refuse free text holding a citizen service number (BSN): we may not store it (Dutch message)."""
    if contains_bsn(value):
        raise PydanticCustomError("bsn_found", BSN_MESSAGE)
    return value


def check_languages(values: list[str]) -> list[str]:
    unknown = [v for v in values if v not in LANGUAGES]
    if unknown:
        raise ValueError(f"unknown language code(s) {unknown}; allowed: {', '.join(LANGUAGES)}")
    return values


class Event(BaseModel):
    """Base of every payload. Readers ignore fields they do not know (forward compatibility)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    ce_type: ClassVar[str]
    topic: ClassVar[str]

    def subject(self) -> str:
        """The aggregate id: the CloudEvents subject and the Kafka key."""
        raise NotImplementedError


#: Where a question stands, as intake tells referrers.
QuestionStatus = Literal["received", "waiting", "consultation", "assigned", "accepted", "closed", "withdrawn"]


class Reason(BaseModel):
    """One explained reason: a stable code for machines and a Dutch sentence for people."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: str
    text: str
