"""Wiring of the matching service: routes, the coordinators' page, subscriptions, the periodic pass."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import APIRouter

from contracts import topics
from contracts.events import (
    AssignmentAccepted,
    AssignmentDeclined,
    QuestionReceived,
    ResidentErasureRequested,
    SupportEnded,
)
from services.kit.consumer import Subscription
from services.kit.runtime import Runtime, ServiceSpec
from services.matching import erasure, handlers, http, web
from services.matching.live import LivePool

log = logging.getLogger(__name__)

#: Seconds between waiting-list passes that no command triggered (a pause whose end day came).
PERIODIC_PASS_SECONDS = 300.0
_PERIODIC_TASK = "periodic_waiting_pass"


def subscriptions(rt: Runtime) -> list[Subscription]:
    return [
        Subscription(
            name="questions",
            topics=[topics.QUESTIONS],
            handlers={QuestionReceived.ce_type: handlers.question_received(rt.source, live=LivePool())},
        ),
        Subscription(
            name="privacy",
            topics=[topics.PRIVACY],
            handlers={ResidentErasureRequested.ce_type: erasure.erasure_requested(rt.source)},
        ),
        Subscription(
            name="assignments",
            topics=[topics.ASSIGNMENTS],
            handlers=dict.fromkeys(
                (AssignmentAccepted.ce_type, AssignmentDeclined.ce_type, SupportEnded.ce_type),
                handlers.assignment_steps(rt.source),
            ),
        ),
    ]


def routers(rt: Runtime) -> list[APIRouter]:
    return [*http.routers(rt), web.router(rt)]


async def periodic_pass(rt: Runtime, every: float = PERIODIC_PASS_SECONDS) -> None:
    """Run the waiting-list pass now and then: pauses end by the calendar, not by a command."""
    while True:
        await asyncio.sleep(every)
        try:
            async with rt.db.acquire() as conn, conn.transaction():
                await handlers.waiting_pass(conn, rt.source)
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
