"""Wiring of the reporting service: one subscription over every shared topic, the report API, and the
StatisticsPublished schedule."""

from __future__ import annotations

import asyncio
import contextlib

from contracts import topics
from contracts.events import ResidentErasureRequested
from services.kit.consumer import Subscription
from services.kit.runtime import Runtime, ServiceSpec
from services.reporting import erasure, handlers, http, publisher, web

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


_SCHEDULE = "statistics_schedule"


async def on_start(rt: Runtime) -> None:
    every = rt.settings.statistics_interval_seconds
    if every > 0:
        rt.state[_SCHEDULE] = asyncio.create_task(publisher.run_schedule(rt, every), name="reporting-statistics")


async def on_stop(rt: Runtime) -> None:
    task = rt.state.pop(_SCHEDULE, None)
    if isinstance(task, asyncio.Task):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="reporting",
        title="Samenloket reporting",
        routers=lambda rt: [http.router(rt), web.router(rt)],
        subscriptions=subscriptions,
        on_start=on_start,
        on_stop=on_stop,
    )
