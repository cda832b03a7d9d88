"""Notifications' outcomes, statistics for outside consumers, the closed loop to referrers and erasure."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts import topics
from contracts.events.base import (
    Event,
    Municipality,
    QuestionStatus,
    Reason,
)

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
