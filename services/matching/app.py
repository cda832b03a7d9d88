"""Wiring of the matching service: its container, routes, the coordinators' page, subscriptions and
the periodic waiting-list pass."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from fastapi import APIRouter

from contracts import topics
from contracts.events import AssignmentAccepted, AssignmentDeclined, QuestionReceived, SupportEnded
from services.kit.messaging import EventSubscriber, erasure_subscriber
from services.kit.messaging.subscriber import subscriber
from services.kit.runtime import Loop, Runtime, ServiceSpec
from services.matching import erasure, handlers, http, web
from services.matching.live import LivePool
from services.matching.settings import MatchingSettings

log = logging.getLogger(__name__)

NAME = "matching"


@dataclass(frozen=True)
class MatchingContainer:
    """Matching's objects, built once per process."""

    rt: Runtime
    settings: MatchingSettings
    #: The in-memory supporter pool new questions are decided from (booking stays guarded in SQL).
    live: LivePool


def container(rt: Runtime) -> MatchingContainer:
    settings = rt.settings
    assert isinstance(settings, MatchingSettings)
    return MatchingContainer(rt=rt, settings=settings, live=LivePool())


def subscribers(c: MatchingContainer) -> list[EventSubscriber]:
    source = c.rt.source
    workers = c.settings.consumer_concurrency
    questions = subscriber("questions", topics.QUESTIONS, workers=workers)
    questions.handle(QuestionReceived, handlers.question_received(source, live=c.live))
    steps = handlers.assignment_steps(source)
    assignments = subscriber("assignments", topics.ASSIGNMENTS, workers=workers)
    for model in (AssignmentAccepted, AssignmentDeclined, SupportEnded):
        assignments.handle(model, steps)
    return [questions, erasure_subscriber(NAME, source, erasure.erase), assignments]


def routers(c: MatchingContainer) -> list[APIRouter]:
    return [*http.routers(c.rt), web.router(c.rt)]


def background(c: MatchingContainer) -> list[Loop]:
    async def periodic_waiting_pass() -> None:
        """Run the waiting-list pass now and then: pauses end by the calendar, not by a command."""
        while True:
            await asyncio.sleep(c.settings.waiting_pass_seconds)
            try:
                async with c.rt.db.acquire() as conn, conn.transaction():
                    await handlers.waiting_pass(conn, c.rt.source)
            except Exception as exc:  # the next round tries again
                log.warning("periodic waiting-list pass failed", extra={"error": repr(exc)})

    return [periodic_waiting_pass]


def spec() -> ServiceSpec[MatchingContainer]:
    return ServiceSpec(
        name=NAME,
        title="Samenloket matching",
        settings=MatchingSettings,
        container=container,
        routers=routers,
        subscribers=subscribers,
        background=background,
    )
