"""Wiring of the matching service: routes, the coordinators' page, subscriptions, the periodic pass."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import cast

from fastapi import APIRouter

from contracts import topics
from contracts.events import (
    AssignmentAccepted,
    AssignmentDeclined,
    QuestionReceived,
    ResidentErasureRequested,
    SupportEnded,
)
from services.kit.consumer import Subscription, TransactionalHandler
from services.kit.runtime import Runtime, ServiceSpec
from services.matching import erasure, handlers, http, web
from services.matching.container import Container, E, EventHandler

log = logging.getLogger(__name__)

#: Seconds between waiting-list passes that no command triggered (a pause whose end day came).
PERIODIC_PASS_SECONDS = 300.0
_PERIODIC_TASK = "periodic_waiting_pass"
_CONTAINER = "container"


def container(rt: Runtime) -> Container:
    """The service's dependencies, built once per runtime."""
    found = rt.state.get(_CONTAINER)
    if not isinstance(found, Container):
        found = rt.state[_CONTAINER] = Container.build(rt.source)
    return found


def typed(model: type[E], handler: EventHandler[E]) -> tuple[str, TransactionalHandler]:
    """An entry of a subscription: the consumer decodes each payload by its ``ce_type`` into that
    type's model, so a handler of ``model`` gets exactly that."""
    return model.ce_type, cast(TransactionalHandler, handler)


def subscriptions(rt: Runtime) -> list[Subscription]:
    c = container(rt)
    return [
        Subscription(
            name="questions",
            topics=[topics.QUESTIONS],
            handlers=dict([typed(QuestionReceived, handlers.on_question_received(c))]),
        ),
        Subscription(
            name="privacy",
            topics=[topics.PRIVACY],
            handlers={ResidentErasureRequested.ce_type: erasure.erasure_requested(rt.source)},
        ),
        Subscription(
            name="assignments",
            topics=[topics.ASSIGNMENTS],
            handlers=dict(
                [
                    typed(AssignmentAccepted, handlers.on_assignment_accepted(c)),
                    typed(AssignmentDeclined, handlers.on_assignment_declined(c)),
                    typed(SupportEnded, handlers.on_support_ended(c)),
                ]
            ),
        ),
    ]


def routers(rt: Runtime) -> list[APIRouter]:
    return [*http.routers(rt, container(rt)), web.router(rt)]


async def periodic_pass(rt: Runtime, every: float = PERIODIC_PASS_SECONDS) -> None:
    """Run the waiting-list pass now and then: pauses end by the calendar, not by a command."""
    while True:
        await asyncio.sleep(every)
        try:
            async with rt.db.acquire() as conn, conn.transaction():
                await handlers.waiting_pass(conn, rt.source, container(rt).scoring)
        except Exception as exc:  # the next round tries again
            log.warning("periodic waiting-list pass failed", extra={"error": repr(exc)})


async def on_start(rt: Runtime) -> None:
    rt.state[_PERIODIC_TASK] = asyncio.create_task(periodic_pass(rt), name="matching-periodic-pass")


async def on_stop(rt: Runtime) -> None:
    task = rt.state.pop(_PERIODIC_TASK, None)
    if isinstance(task, asyncio.Task):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="matching",
        routers=routers,
        subscriptions=subscriptions,
        on_start=on_start,
        on_stop=on_stop,
        title="Samenloket matching",
    )
