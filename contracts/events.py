"""Event payloads (binding). One pydantic class per event type.

Rules for changing a class (enforced by ``tests/contract``):
- adding an optional field is fine;
- removing or renaming a field, changing its type, or making an optional field required breaks
  existing readers: publish a new major version (a new class with ``.v2`` in ``ce_type``) instead.

Shared topics never carry personal data: no names, contact details, birth dates, BSN or free text.
Only ``ReferralSubmitted`` (partner → intake, on the inbound topic that only intake may read) does.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, ClassVar, Final, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from contracts import topics
from contracts.bsn import BSN_MESSAGE, contains_bsn
from contracts.codes import (
    LANGUAGES,
    AgeBand,
    Channel,
    ContactMethod,
    KindPreference,
    LifeDomain,
    Need,
    OverdueStage,
    SupporterKind,
    WithdrawnBy,
)
from contracts.labels import STATEMENT_LABELS
from contracts.references import REFERENCE_PATTERN
from contracts.text import CleanText, SingleLine

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


# --- assignments ----------------------------------------------------------------------------------


class Reason(BaseModel):
    """One explained reason: a stable code for machines and a Dutch sentence for people."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: str
    text: str


class SupporterAssigned(Event):
    ce_type: ClassVar[str] = "nl.samenloket.supporter.assigned.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    question_id: str
    assignment_id: str
    supporter_id: str
    organisation: str
    supporter_kind: SupporterKind
    municipality: Municipality
    score: float
    reasons: list[Reason] = Field(default_factory=list)
    received_at: datetime
    assigned_at: datetime
    partner_supporter_id: str | None = Field(
        default=None, description="a duo: the other supporter, who gets a SupporterAssigned of their own"
    )

    def subject(self) -> str:
        return self.question_id


class QuestionWaiting(Event):
    """Eligible supporters exist but none has room: the question joins the waiting list."""

    ce_type: ClassVar[str] = "nl.samenloket.question.waiting.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    question_id: str
    municipality: Municipality
    eligible_supporters: int
    since: datetime

    def subject(self) -> str:
        return self.question_id


class CandidateVerdict(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    supporter_id: str
    organisation: str
    failed_rules: list[Reason]


class ConsultationRequired(Event):
    """No supporter satisfies the hard rules: coordinators decide together (gezamenlijk overleg)."""

    ce_type: ClassVar[str] = "nl.samenloket.consultation.required.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    question_id: str
    municipality: Municipality
    reason: Reason
    candidates: list[CandidateVerdict] = Field(default_factory=list)
    required_at: datetime

    def subject(self) -> str:
        return self.question_id


class ConsultationAppointmentPlanned(Event):
    """A coordinator planned the conversation with the resident in which they choose together who
    supports them (the joint consultation). Planning again replaces the earlier moment.

    Only the moment: how to reach the resident, and what they said, stay in intake and matching.
    """

    ce_type: ClassVar[str] = "nl.samenloket.consultation_appointment.planned.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    question_id: str
    municipality: Municipality
    planned_for: datetime = Field(description="when the conversation takes place")
    planned_at: datetime = Field(description="when it was planned: the latest plan of a question holds")

    def subject(self) -> str:
        return self.question_id


class ConsultationAppointmentHeld(Event):
    """The conversation to choose together took place (the choice itself follows as SupporterAssigned)."""

    ce_type: ClassVar[str] = "nl.samenloket.consultation_appointment.held.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    question_id: str
    municipality: Municipality
    planned_for: datetime = Field(description="the moment that was planned")
    held_at: datetime = Field(description="when the coordinator recorded that it took place")

    def subject(self) -> str:
        return self.question_id


# --- notifications --------------------------------------------------------------------------------

RecipientRole = Literal["resident", "supporter", "coordinator", "partner", "municipality", "council"]
NotificationChannel = Literal["email", "sms", "webhook"]


class _NotificationOutcome(Event):
    """What NotificationSent and NotificationFailed share: which message, to whom, over what."""

    notification_id: str
    cause_event_id: str
    question_id: str | None = None
    recipient_role: RecipientRole
    channel: NotificationChannel
    template: str

    def subject(self) -> str:
        return self.notification_id


class NotificationSent(_NotificationOutcome):
    ce_type: ClassVar[str] = "nl.samenloket.notification.sent.v1"
    topic: ClassVar[str] = topics.NOTIFICATIONS

    sent_at: datetime


class NotificationFailed(_NotificationOutcome):
    ce_type: ClassVar[str] = "nl.samenloket.notification.failed.v1"
    topic: ClassVar[str] = topics.NOTIFICATIONS

    reason: str
    permanent: bool
    attempts: int
    failed_at: datetime


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


# --- statistics for outside consumers --------------------------------------------------------------


class StatisticCell(BaseModel):
    """One published figure. A count of fewer than the threshold, or one that would reveal one, is
    suppressed: ``value`` is null. A small count (``suppression`` "small") displays ``"<"`` and the
    threshold (``"<10"`` at the default 10); a figure hidden only so that a small one cannot be worked out
    (``suppression`` "secondary", any size from the threshold up) displays ``"×"``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str = Field(description="the table's stable key, e.g. questions_by_life_domain")
    row: str = Field(description="row category code; 'total' for a column total")
    column: str = Field(description="column category code; 'n' for a one-dimensional table, 'total' for a row total")
    value: float | None
    display: str
    suppressed: bool
    suppression: Literal["small", "secondary"] | None = Field(
        default=None, description="why the figure is hidden: small (1 to threshold-1) or secondary; null when shown"
    )


class StatisticsPublished(Event):
    """Suppressed figures for one municipality (or ``region``) and period, for outside consumers."""

    ce_type: ClassVar[str] = "nl.samenloket.statistics.published.v1"
    topic: ClassVar[str] = topics.STATISTICS

    statistics_id: str
    area: str = Field(description="CBS municipality code, or 'region' for the whole region")
    period_start: date
    period_end: date = Field(description="last day of the period (inclusive)")
    threshold: int = Field(description="counts below this are suppressed")
    cells: list[StatisticCell]
    published_at: datetime

    def subject(self) -> str:
        return self.area


# --- closed loop and privacy -----------------------------------------------------------------------

QuestionStatus = Literal["received", "waiting", "consultation", "assigned", "accepted", "closed", "withdrawn"]


class ReferralStatusChanged(Event):
    """The status of a referred question changed: tells the referring partner (closed loop).

    Key: the partner's own reference. No personal data; ``reason`` is a code plus a Dutch sentence.
    """

    ce_type: ClassVar[str] = "nl.samenloket.referral.status_changed.v1"
    topic: ClassVar[str] = topics.REFERRALS_STATUS

    question_id: str
    referrer: str
    partner_reference: str | None = None
    municipality: Municipality
    status: QuestionStatus
    previous_status: QuestionStatus | None = None
    reason: Reason | None = None
    changed_at: datetime

    def subject(self) -> str:
        return self.partner_reference or self.question_id


class ResidentErasureRequested(Event):
    """A privacy officer asked to erase a resident: every service deletes or shreds what it holds."""

    ce_type: ClassVar[str] = "nl.samenloket.resident.erasure_requested.v1"
    topic: ClassVar[str] = topics.PRIVACY

    resident_ref: str
    question_ids: list[str] = Field(default_factory=list)
    requested_at: datetime

    def subject(self) -> str:
        return self.resident_ref


class ResidentErased(Event):
    """A service finished erasing a resident (``service`` says which)."""

    ce_type: ClassVar[str] = "nl.samenloket.resident.erased.v1"
    topic: ClassVar[str] = topics.PRIVACY

    resident_ref: str
    service: str
    erased_at: datetime

    def subject(self) -> str:
        return self.resident_ref


# --- the supporter pool and the life of an assignment (matching) ------------------------------------

SupporterAvailability = Literal["active", "paused"]
DeclinedBy = Literal["supporter", "resident"]


class _SupporterProfile(Event):
    """What SupporterRegistered and SupporterUpdated share: the public profile, never name or e-mail.

    A supporter's contact details stay in matching; notifications fetch them over the internal call.
    """

    supporter_id: Identifier
    organisation: Identifier
    kind: SupporterKind
    municipalities: list[Municipality]
    life_domains: list[LifeDomain]
    languages: list[str]
    specialisms: list[str] = Field(default_factory=list)
    experience_themes: list[str] = Field(default_factory=list, description="lived-experience themes")
    capacity: int = Field(ge=0, description="most active cases at once")
    availability: SupporterAvailability = "active"
    paused_until: date | None = Field(default=None, description="paused until (and including) the day before")
    postcode: Postcode4 | None = None

    _languages = field_validator("languages")(check_languages)

    @field_validator("municipalities")
    @classmethod
    def _known_municipalities(cls, values: list[str]) -> list[str]:
        return [check_municipality(v) for v in values]

    def subject(self) -> str:
        return self.supporter_id


class SupporterRegistered(_SupporterProfile):
    ce_type: ClassVar[str] = "nl.samenloket.supporter.registered.v1"
    topic: ClassVar[str] = topics.SUPPORTERS

    registered_at: datetime


class SupporterUpdated(_SupporterProfile):
    """The profile after a change; ``changed`` names the profile fields that changed, and ``email`` when
    the supporter's e-mail address changed (the address itself is never on a topic)."""

    ce_type: ClassVar[str] = "nl.samenloket.supporter.updated.v1"
    topic: ClassVar[str] = topics.SUPPORTERS

    changed: list[str] = Field(default_factory=list)
    updated_at: datetime


class _AssignmentStep(Event):
    """What the steps in the life of an assignment share (topic assignments, key: question id)."""

    question_id: str
    assignment_id: str
    supporter_id: str
    organisation: str
    municipality: Municipality

    def subject(self) -> str:
        return self.question_id


class AssignmentAccepted(_AssignmentStep):
    ce_type: ClassVar[str] = "nl.samenloket.assignment.accepted.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    accepted_at: datetime


class AssignmentDeclined(_AssignmentStep):
    """The supporter or the resident declined; the question is never offered to this supporter again.

    ``reason`` is a code with its standard Dutch sentence; a person's own words stay in matching.
    """

    ce_type: ClassVar[str] = "nl.samenloket.assignment.declined.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    declined_by: DeclinedBy
    reason: Reason
    declined_at: datetime


class SupportEnded(_AssignmentStep):
    ce_type: ClassVar[str] = "nl.samenloket.support.ended.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    reason: Reason | None = None
    ended_at: datetime


class FirstContactMade(_AssignmentStep):
    """The supporter reached the resident for the first time (the promise: within 3 working days)."""

    ce_type: ClassVar[str] = "nl.samenloket.first_contact.made.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    method: ContactMethod
    reached_on: date = Field(description="the day the supporter reached the resident, as they recorded it")
    recorded_at: datetime


class FirstContactOverdue(_AssignmentStep):
    """No first contact yet: after 2 working days a reminder to the supporter, after 3 an escalation to
    the coordinator of the supporter's organisation (Dutch working days: no weekends, no public holidays)."""

    ce_type: ClassVar[str] = "nl.samenloket.first_contact.overdue.v1"
    topic: ClassVar[str] = topics.ASSIGNMENTS

    stage: OverdueStage
    assigned_at: datetime
    working_days: int = Field(ge=0, description="working days since the assignment")
    noticed_at: datetime


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


EVENT_TYPES: tuple[type[Event], ...] = (
    ReferralSubmitted,
    QuestionReceived,
    SupporterAssigned,
    QuestionWaiting,
    ConsultationRequired,
    ConsultationAppointmentPlanned,
    ConsultationAppointmentHeld,
    NotificationSent,
    NotificationFailed,
    SignalRaised,
    ReferralStatusChanged,
    ResidentErasureRequested,
    ResidentErased,
    SupporterRegistered,
    SupporterUpdated,
    AssignmentAccepted,
    AssignmentDeclined,
    SupportEnded,
    FirstContactMade,
    FirstContactOverdue,
    QuestionWithdrawn,
    QuestionClosed,
    StatusLinkRequested,
    SignalAcknowledged,
    SignalAnswered,
    ExperienceShared,
    CouncilMeetingPlanned,
    CouncilMeetingHeld,
    AdviceGiven,
    AdviceAnswered,
    PanelMemberInvited,
    StatisticsPublished,
)

#: ``ce_type`` → payload class, for decoding.
REGISTRY: dict[str, type[Event]] = {cls.ce_type: cls for cls in EVENT_TYPES}

_CE_TYPE = re.compile(r"^nl\.samenloket\.[a-z_]+\.[a-z_]+\.v[0-9]+$")
assert all(_CE_TYPE.match(t) for t in REGISTRY), "ce_type must be nl.samenloket.<entity>.<verb>.v<major>"
