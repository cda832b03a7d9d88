"""The question: as partners and residents send it, as intake announces it, and how it ends."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import ConfigDict, EmailStr, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from contracts import topics
from contracts.codes import (
    AgeBand,
    Channel,
    KindPreference,
    LifeDomain,
    Need,
    WithdrawnBy,
)
from contracts.events.base import (
    Event,
    FoundVia,
    Identifier,
    MeetingPreference,
    Municipality,
    Postcode4,
    PreferredChannel,
    QuestionStatus,
    Reason,
    check_languages,
    check_municipality,
    refuse_bsn,
)
from contracts.references import REFERENCE_PATTERN
from contracts.text import CleanText, SingleLine

# --- the question, as partners and residents send it -------------------------------------------


class Contact(CleanText):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200), SingleLine]
    email: EmailStr | None = None
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ()\-]{6,20}$")
    preferred_channel: PreferredChannel | None = Field(
        default=None,
        description="how the resident wants to hear from us: email, sms or none; absent means we choose",
    )

    _name = field_validator("name")(refuse_bsn)

    @field_validator("preferred_channel")
    @classmethod
    def _channel_reachable(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Refuse a channel we cannot use: e-mail without an address, SMS without a phone number.

        A missing key in ``info.data`` means that field failed its own validation: reported there.
        """
        needed = {"email": "email", "sms": "phone"}.get(value or "")
        if needed and needed in info.data and info.data[needed] is None:
            raise PydanticCustomError(
                "channel_unreachable",
                "preferred_channel {channel} needs contact.{field}",
                {"channel": value, "field": needed},
            )
        return value


class Consent(CleanText):
    model_config = ConfigDict(extra="forbid")

    share_with_supporter: bool


class QuestionSubmission(CleanText):
    """The binding minimal shape of ``POST /api/v1/questions``; more optional fields may follow."""

    model_config = ConfigDict(extra="forbid")

    municipality: Municipality
    life_domains: list[LifeDomain] = Field(min_length=1, max_length=8)
    description: str = Field(min_length=1, max_length=4000)
    preferred_supporter_kind: KindPreference = "any"
    languages: list[str] = Field(default_factory=lambda: ["nl"], min_length=1, max_length=5)
    postcode: Postcode4
    channel: Channel = "web"
    contact: Contact
    consent: Consent
    found_via: FoundVia | None = Field(default=None, description="how the resident found us (awareness)")
    meeting_preference: MeetingPreference | None = Field(default=None, description="where or how to meet")
    age_band: AgeBand | None = Field(
        default=None, description="the resident's age band, if they want to say (for representativeness)"
    )
    needs: list[Need] = Field(
        default_factory=list,
        max_length=4,
        description="what the resident needs: sign_language, easy_language (LVB), interpreter, wheelchair_access",
    )
    wants_duo: bool | None = Field(
        default=None,
        description="true: two supporters, a professional and a volunteer or experience expert;"
        " false: one supporter; null: not asked",
    )
    choose_together: bool = Field(
        default=False,
        description="true: the resident first wants a short conversation to choose their supporter together"
        " (joint consultation with the resident)",
    )

    _municipality = field_validator("municipality")(check_municipality)
    _languages = field_validator("languages")(check_languages)
    _description = field_validator("description")(refuse_bsn)

    @field_validator("languages")
    @classmethod
    def _unique_languages(cls, values: list[str]) -> list[str]:
        """Each language once, the first choice first."""
        return list(dict.fromkeys(values))

    @field_validator("needs")
    @classmethod
    def _unique_needs(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))

    @field_validator("life_domains")
    @classmethod
    def _unique_domains(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))


class ReferralSubmitted(QuestionSubmission, Event):
    """A partner system refers a resident (topic ``samenloket.referrals.inbound``, key: partner_reference).

    The only event that carries personal data; only intake reads it.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)
    ce_type: ClassVar[str] = "nl.samenloket.referral.submitted.v1"
    topic: ClassVar[str] = topics.REFERRALS_INBOUND

    partner_reference: Identifier
    referrer: Identifier
    channel: Channel = "partner"

    def subject(self) -> str:
        return self.partner_reference


# --- questions ------------------------------------------------------------------------------------


class QuestionReceived(Event):
    ce_type: ClassVar[str] = "nl.samenloket.question.received.v1"
    topic: ClassVar[str] = topics.QUESTIONS

    question_id: str
    resident_ref: str
    municipality: Municipality
    life_domains: list[LifeDomain]
    preferred_supporter_kind: KindPreference
    languages: list[str]
    postcode: Postcode4
    channel: Channel
    referrer: str | None = None
    received_at: datetime
    found_via: FoundVia | None = None
    meeting_preference: MeetingPreference | None = None
    needs: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]] = Field(
        default_factory=list,
        max_length=10,
        description="specialisms the supporter must have (codes, e.g. sign_language, lvb); never free text",
    )
    wants_duo: bool | None = Field(
        default=None,
        description="true: the resident asks for a professional plus a volunteer or experience expert;"
        " false: one supporter only; null: not asked (a duo only when the kind is left open)",
    )
    age_band: AgeBand | None = Field(default=None, description="self-declared age band; null: not given")
    choose_together: bool = Field(
        default=False,
        description="the resident first wants a short conversation to choose together: the joint consultation",
    )
    reference: str | None = Field(
        default=None,
        pattern=REFERENCE_PATTERN,
        description="the question's short reference, the number the resident reads out (K7QM3XPA, shown as"
        " K7QM-3XPA); random, no personal data; null on questions from before it travelled",
    )

    def subject(self) -> str:
        return self.question_id


class QuestionWithdrawn(Event):
    """The question is withdrawn, whoever did it; ``reason`` is a code with its standard sentence (a
    person's own words stay in intake)."""

    ce_type: ClassVar[str] = "nl.samenloket.question.withdrawn.v1"
    topic: ClassVar[str] = topics.QUESTIONS

    question_id: str
    municipality: Municipality
    withdrawn_by: WithdrawnBy
    reason: Reason
    previous_status: QuestionStatus | None = None
    withdrawn_at: datetime

    def subject(self) -> str:
        return self.question_id


class QuestionClosed(Event):
    """The question is closed: the last support of it ended, or staff closed it."""

    ce_type: ClassVar[str] = "nl.samenloket.question.closed.v1"
    topic: ClassVar[str] = topics.QUESTIONS

    question_id: str
    municipality: Municipality
    reason: Reason | None = None
    closed_at: datetime

    def subject(self) -> str:
        return self.question_id


class StatusLinkRequested(Event):
    """A resident asked for a new link to their question's page (they lost it): notifications mails it.

    The address the resident typed stays in intake; the event names only the question.
    """

    ce_type: ClassVar[str] = "nl.samenloket.question.link_requested.v1"
    topic: ClassVar[str] = topics.QUESTIONS

    question_id: str
    municipality: Municipality
    requested_at: datetime

    def subject(self) -> str:
        return self.question_id
