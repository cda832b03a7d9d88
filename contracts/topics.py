"""Kafka topic names (binding, see ARCHITECTURE.md)."""

from typing import Final

REFERRALS_INBOUND: Final = "samenloket.referrals.inbound"
QUESTIONS: Final = "samenloket.questions"
SUPPORTERS: Final = "samenloket.supporters"
ASSIGNMENTS: Final = "samenloket.assignments"
NOTIFICATIONS: Final = "samenloket.notifications"
REFERRALS_STATUS: Final = "samenloket.referrals.status"
SIGNALS: Final = "samenloket.signals"
EXPERIENCES: Final = "samenloket.experiences"
PRIVACY: Final = "samenloket.privacy"
STATISTICS: Final = "samenloket.statistics"

ALL_TOPICS: Final = (
    REFERRALS_INBOUND,
    QUESTIONS,
    SUPPORTERS,
    ASSIGNMENTS,
    NOTIFICATIONS,
    REFERRALS_STATUS,
    SIGNALS,
    EXPERIENCES,
    PRIVACY,
    STATISTICS,
)

DLQ_SUFFIX: Final = ".dlq"


def dlq(topic: str) -> str:
    """The dead-letter topic of ``topic``."""
    return topic + DLQ_SUFFIX
