"""Wiring of the matching service: its container, routes, the coordinators' page, subscriptions and
the periodic waiting-list pass."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from fastapi import APIRouter

from contracts import topics
from contracts.events import (
    AssignmentAccepted,
    AssignmentDeclined,
    FirstContactMade,
    QuestionClosed,
    QuestionReceived,
    QuestionWithdrawn,
    SupportEnded,
)
from services.kit.messaging import EventSubscriber, erasure_subscriber
from services.kit.messaging.subscriber import subscriber
from services.kit.runtime import Loop, Runtime, ServiceSpec
from services.matching import erasure, handlers, http, web, workspace
from services.matching.container import Container
from services.matching.handlers.overdue import FirstContactWatch, on_first_contact_made
from services.matching.settings import MatchingSettings

log = logging.getLogger(__name__)

NAME = "matching"


@dataclass(frozen=True)
class MatchingContainer:
    """Matching's objects, built once per process: the runtime, its settings, and what the use cases
    are built with (scoring with the region's postcode table, the in-memory supporter pool)."""

    rt: Runtime[MatchingSettings]
    settings: MatchingSettings
    matching: Container
    #: Notices late first contacts (its clock can be moved in tests).
    first_contact: FirstContactWatch


def container(rt: Runtime[MatchingSettings]) -> MatchingContainer:
    watch = FirstContactWatch(rt, rt.source, interval=rt.settings.first_contact_pass_seconds)
    return MatchingContainer(
        rt=rt, settings=rt.settings, matching=Container.build(rt.source, rt.region), first_contact=watch
    )


def subscribers(c: MatchingContainer) -> list[EventSubscriber]:
    workers = c.settings.consumer_concurrency
    questions = subscriber("questions", topics.QUESTIONS, workers=workers)
    questions.handle(QuestionReceived, handlers.on_question_received(c.matching))
    # The end of a question, on the same topic and key: it always comes after its QuestionReceived.
    questions.handle(QuestionWithdrawn, handlers.on_question_withdrawn(c.matching))
    questions.handle(QuestionClosed, handlers.on_question_closed(c.matching))
    assignments = subscriber("assignments", topics.ASSIGNMENTS, workers=workers)
    assignments.handle(AssignmentAccepted, handlers.on_assignment_accepted(c.matching))
    assignments.handle(AssignmentDeclined, handlers.on_assignment_declined(c.matching))
    assignments.handle(SupportEnded, handlers.on_support_ended(c.matching))
    # A group of its own: the first-contact watch hears FirstContactMade whoever else reads the topic.
    first_contacts = subscriber("first-contacts", topics.ASSIGNMENTS).handle(FirstContactMade, on_first_contact_made)
    return [questions, erasure_subscriber(NAME, c.rt.source, erasure.erase), assignments, first_contacts]


def routers(c: MatchingContainer) -> list[APIRouter]:
    return [*http.routers(c.rt, c.matching), web.router(c.rt, c.first_contact), workspace.router(c.rt, c.matching)]


def background(c: MatchingContainer) -> list[Loop]:
    async def periodic_waiting_pass() -> None:
        """Run the waiting-list pass now and then: pauses end by the calendar, not by a command."""
        while True:
            await asyncio.sleep(c.settings.waiting_pass_seconds)
            try:
                async with c.rt.db.acquire() as conn, conn.transaction():
                    await handlers.waiting_pass(conn, c.rt.source, c.matching.scoring)
            except Exception as exc:  # the next round tries again
                log.warning("periodic waiting-list pass failed", extra={"error": repr(exc)})

    async def first_contact_watch() -> None:
        """Remind supporters and tell coordinators when first contact is late (a pass on start, then periodic)."""
        await c.first_contact.run()

    return [periodic_waiting_pass, first_contact_watch]


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
