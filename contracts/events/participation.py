"""Signals, experiences, councils' meetings and advices, and the panel of residents who think along."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts import topics
from contracts.codes import (
    AgeBand,
    LifeDomain,
    SupporterKind,
)
from contracts.events.base import (
    Event,
    Municipality,
)
from contracts.labels import STATEMENT_LABELS

# --- signals --------------------------------------------------------------------------------------

SignalTheme = Literal["waiting_times", "rules_and_regulations", "reachability", "treatment", "cooperation", "other"]
SignalLevel = Literal["local", "regional"]
SignalSource = Literal["supporter", "council", "resident", "partner", "staff"]


class SignalRaised(Event):
    """A systemic problem is signalled. The free text stays in intake; the event has none."""

    ce_type: ClassVar[str] = "nl.samenloket.signal.raised.v1"
    topic: ClassVar[str] = topics.SIGNALS

    signal_id: str
    theme: SignalTheme
    life_domain: LifeDomain | None = None
    municipality: Municipality
    level: SignalLevel
    raised_by: SignalSource
    raised_at: datetime

    def subject(self) -> str:
        return self.signal_id


class _SignalStep(Event):
    """What the municipality's steps on a signal share (topic signals, key: signal id)."""

    signal_id: str
    municipality: Municipality
    by_organisation: str = Field(description="the organisation (API key owner) that took the step")

    def subject(self) -> str:
        return self.signal_id


class SignalAcknowledged(_SignalStep):
    """The municipality has read the signal and will answer it."""

    ce_type: ClassVar[str] = "nl.samenloket.signal.acknowledged.v1"
    topic: ClassVar[str] = topics.SIGNALS

    acknowledged_at: datetime


class SignalAnswered(_SignalStep):
    """The municipality answered the signal. The answer's text stays in intake, shown to the raiser."""

    ce_type: ClassVar[str] = "nl.samenloket.signal.answered.v1"
    topic: ClassVar[str] = topics.SIGNALS

    answered_at: datetime


# --- participation --------------------------------------------------------------------------------

Agreement = Literal["agree", "neutral", "disagree"]
ParticipantRole = Literal["resident", "partner", "supporter", "council_member", "municipality", "other"]


class ExperienceStatements(BaseModel):
    """The client-survey statements (CEO Wmo style), each answered agree / neutral / disagree."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    knew_where_to_go: Agreement | None = Field(default=None, description=STATEMENT_LABELS["knew_where_to_go"])
    helped_quickly: Agreement | None = Field(default=None, description=STATEMENT_LABELS["helped_quickly"])
    supporter_on_my_side: Agreement | None = Field(default=None, description=STATEMENT_LABELS["supporter_on_my_side"])


class ExperienceShared(Event):
    """A resident shared how support went, after it ended. No question id, no text: not traceable.

    The optional free text stays in intake; ``has_text`` only says there is one.
    """

    ce_type: ClassVar[str] = "nl.samenloket.experience.shared.v1"
    topic: ClassVar[str] = topics.EXPERIENCES

    experience_id: str
    municipality: Municipality
    life_domains: list[LifeDomain] = Field(default_factory=list)
    age_band: AgeBand | None = None
    organisation: str | None = Field(default=None, description="the organisation that gave the support")
    supporter_kind: SupporterKind | None = None
    statements: ExperienceStatements
    score: int = Field(ge=1, le=10, description="report mark 1-10 for the support as a whole")
    has_text: bool = False
    shared_at: datetime

    def subject(self) -> str:
        return self.experience_id


class Participant(BaseModel):
    """One person who took part in a council meeting, described coarsely: never a name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: ParticipantRole
    organisation: str | None = None
    municipality: Municipality | None = None
    age_band: AgeBand | None = None
    life_domains: list[LifeDomain] = Field(default_factory=list)


class CouncilMeetingPlanned(Event):
    """A council plans a meeting with residents and partners (about twice a year)."""

    ce_type: ClassVar[str] = "nl.samenloket.council_meeting.planned.v1"
    topic: ClassVar[str] = topics.EXPERIENCES

    meeting_id: str
    council: str = Field(description="the council's organisation id")
    municipality: Municipality | None = Field(default=None, description="null: a regional meeting")
    planned_for: date
    themes: list[SignalTheme] = Field(default_factory=list)
    invited_organisations: list[str] = Field(default_factory=list)
    co_organisers: list[str] = Field(
        default_factory=list, description="other councils organising the meeting together with `council`"
    )
    planned_at: datetime

    def subject(self) -> str:
        return self.meeting_id


class CouncilMeetingHeld(Event):
    """Who took part in a council meeting, for the representativeness view."""

    ce_type: ClassVar[str] = "nl.samenloket.council_meeting.held.v1"
    topic: ClassVar[str] = topics.EXPERIENCES

    meeting_id: str
    council: str
    municipality: Municipality | None = None
    held_on: date
    participants: list[Participant] = Field(default_factory=list)
    recorded_at: datetime

    def subject(self) -> str:
        return self.meeting_id


# --- advice: a council's advice and what became of it ---------------------------------------------

AdviceAddressee = Literal["college", "board"]
AdviceDecision = Literal["adopted", "partly_adopted", "not_adopted"]


class AdviceGiven(Event):
    """A council gave an advice to the College (B&W) or to an organisation's board. No text: subject,
    text and response stay in intake; reporting lists advices by date, addressee, themes and outcome."""

    ce_type: ClassVar[str] = "nl.samenloket.advice.given.v1"
    topic: ClassVar[str] = topics.EXPERIENCES

    advice_id: str
    council: str = Field(description="the council's organisation id")
    municipality: Municipality | None = Field(default=None, description="null: a regional advice")
    recipient: AdviceAddressee = Field(description="college: the municipality's College; board: an organisation's")
    recipient_organisation: str | None = Field(default=None, description="the organisation id when recipient=board")
    given_on: date
    response_due: date = Field(description="the day the response is due (working days after given_on)")
    themes: list[SignalTheme] = Field(default_factory=list)
    life_domains: list[LifeDomain] = Field(default_factory=list, description="the experience themes it draws on")
    signal_count: int = Field(ge=0, description="how many signals the advice links")
    recorded_at: datetime

    def subject(self) -> str:
        return self.advice_id


class AdviceAnswered(Event):
    """The addressee decided on an advice and responded. Recording again corrects it (latest wins)."""

    ce_type: ClassVar[str] = "nl.samenloket.advice.answered.v1"
    topic: ClassVar[str] = topics.EXPERIENCES

    advice_id: str
    council: str
    municipality: Municipality | None = None
    decision: AdviceDecision
    decided_on: date
    responded_on: date
    answered_at: datetime

    def subject(self) -> str:
        return self.advice_id


# --- the panel: residents who want to think along ("Ik wil meedenken") -------------------------------

PanelInvitationKind = Literal["meeting", "poll"]


class PanelMemberInvited(Event):
    """A council invites a panel member (a resident who opted in) to a meeting or a short poll.

    Notifications mails the resident, reading their contact from intake by ``question_id`` like any
    resident message; the council never learns who was invited. No contact data, no free text.
    """

    ce_type: ClassVar[str] = "nl.samenloket.panel_member.invited.v1"
    topic: ClassVar[str] = topics.EXPERIENCES

    invitation_id: str
    question_id: str = Field(description="the question through which the resident joined the panel")
    council: str = Field(description="the inviting council's organisation id")
    municipality: Municipality
    kind: PanelInvitationKind
    meeting_on: date | None = Field(default=None, description="the meeting's date (kind=meeting)")
    poll_id: str | None = Field(default=None, description="the poll (kind=poll)")
    life_domains: list[LifeDomain] = Field(default_factory=list, description="what the meeting or poll is about")
    invited_at: datetime

    def subject(self) -> str:
        return self.invitation_id
