"""Wiring of the reporting service: one subscription over every shared topic, and the report API."""

from __future__ import annotations

from contracts import topics
from contracts.events import ResidentErasureRequested
from services.kit.consumer import Subscription
from services.kit.runtime import Runtime, ServiceSpec
from services.reporting import erasure, handlers, http

#: Every shared topic except the inbound referrals (personal data, intake only) and the DLQs.
TOPICS = [
    topics.QUESTIONS,
    topics.ASSIGNMENTS,
    topics.SIGNALS,
    topics.NOTIFICATIONS,
    topics.SUPPORTERS,
    topics.REFERRALS_STATUS,
    topics.EXPERIENCES,
]


def subscriptions(rt: Runtime) -> list[Subscription]:
    """All registered types go to one handler (the fallback); unknown types go to the DLQ."""
    return [
        Subscription("projections", TOPICS, handlers={}, fallback=handlers.record_event),
        Subscription(
            "privacy",
            [topics.PRIVACY],
            handlers={ResidentErasureRequested.ce_type: erasure.erasure_requested(rt.source)},
        ),
    ]


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="reporting",
        title="Samenloket reporting",
        routers=lambda rt: [http.router(rt)],
        subscriptions=subscriptions,
    )
