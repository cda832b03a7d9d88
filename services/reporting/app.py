"""Wiring of the reporting service: one subscription over every shared topic, the report API and
dashboard, and the StatisticsPublished schedule."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter

from contracts import topics
from contracts.events import Event
from services.kit.messaging import EventSubscriber, erasure_subscriber
from services.kit.messaging.subscriber import subscriber
from services.kit.runtime import Loop, Runtime, ServiceSpec
from services.reporting import erasure, handlers, http, publisher, web
from services.reporting.organisations import OrganisationNames
from services.reporting.settings import ReportingSettings

NAME = "reporting"

#: Every shared topic except the inbound referrals (personal data, intake only) and the DLQs.
TOPICS = (
    topics.QUESTIONS,
    topics.ASSIGNMENTS,
    topics.SIGNALS,
    topics.NOTIFICATIONS,
    topics.SUPPORTERS,
    topics.REFERRALS_STATUS,
    topics.EXPERIENCES,
)


@dataclass(frozen=True)
class ReportingContainer:
    rt: Runtime
    settings: ReportingSettings
    #: Organisations' display names (from matching), for the pages, the API's labels and the CSV.
    organisations: OrganisationNames


def container(rt: Runtime) -> ReportingContainer:
    settings = rt.settings
    assert isinstance(settings, ReportingSettings)
    organisations = OrganisationNames(settings, rt.region)
    rt.closing(organisations.aclose)
    return ReportingContainer(rt, settings, organisations)


def subscribers(c: ReportingContainer) -> list[EventSubscriber]:
    """Every registered type goes to the one projecting handler; unknown types go to the DLQ."""
    return [
        subscriber("projections", *TOPICS).handle(Event, handlers.record_event),
        erasure_subscriber(NAME, c.rt.source, erasure.erase),
    ]


def routers(c: ReportingContainer) -> list[APIRouter]:
    return [http.router(c.rt, c.organisations), web.router(c.rt, c.organisations)]


def background(c: ReportingContainer) -> list[Loop]:
    every = c.settings.statistics_interval_seconds
    if every <= 0:
        return []

    async def statistics_schedule() -> None:
        await publisher.run_schedule(c.rt, every)

    return [statistics_schedule]


def spec() -> ServiceSpec[ReportingContainer]:
    return ServiceSpec(
        name=NAME,
        title="Samenloket reporting",
        settings=ReportingSettings,
        container=container,
        routers=routers,
        subscribers=subscribers,
        background=background,
    )
