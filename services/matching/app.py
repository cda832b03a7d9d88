"""Wiring of the matching service: routes, and the subscription to questions."""

from __future__ import annotations

from contracts import topics
from contracts.events import QuestionReceived
from services.kit.consumer import Subscription
from services.kit.runtime import Runtime, ServiceSpec
from services.matching import handlers, http


def subscriptions(rt: Runtime) -> list[Subscription]:
    return [
        Subscription(
            name="questions",
            topics=[topics.QUESTIONS],
            handlers={QuestionReceived.ce_type: handlers.question_received(rt.source)},
        )
    ]


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="matching",
        routers=http.routers,
        subscriptions=subscriptions,
        title="Samenloket matching",
    )
