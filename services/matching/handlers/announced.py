"""Assignment steps announced by others: AssignmentAccepted, AssignmentDeclined and SupportEnded.

A supporter's case system or the resident's page may announce these on the assignments topic;
matching then applies them like the HTTP commands (:mod:`.lifecycle`), without announcing them again.
Matching's own announcements come back on the same topic and are skipped: they were applied when
made. An event about an unknown question or supporter, or a supporter who does not hold the question,
can never succeed: it goes to the dead-letter topic with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from contracts.envelope import CloudEvent
from contracts.events import AssignmentAccepted, AssignmentDeclined, Event, Reason, SupportEnded
from contracts.labels import END_REASON_TEXTS
from services.kit.db import Conn
from services.kit.messaging import PermanentError
from services.matching.container import Container, EventHandler
from services.matching.handlers.errors import CommandError
from services.matching.handlers.lifecycle import accept, decline, end


@contextmanager
def _refused_for_good(event: CloudEvent, payload: Event) -> Iterator[None]:
    try:
        yield
    except CommandError as exc:
        raise PermanentError(f"{type(payload).__name__} for question {event.subject}: {exc.text}") from exc


def on_assignment_accepted(c: Container) -> EventHandler[AssignmentAccepted]:
    async def assignment_accepted(conn: Conn, event: CloudEvent, payload: AssignmentAccepted) -> None:
        if event.source == c.source:
            return
        with _refused_for_good(event, payload):
            await accept(
                conn,
                payload.question_id,
                c.source,
                supporter_id=payload.supporter_id,
                assignment_id=payload.assignment_id,
                at=payload.accepted_at,
                announce=False,
            )

    return assignment_accepted


def on_assignment_declined(c: Container) -> EventHandler[AssignmentDeclined]:
    async def assignment_declined(conn: Conn, event: CloudEvent, payload: AssignmentDeclined) -> None:
        if event.source == c.source:
            return
        with _refused_for_good(event, payload):
            await decline(
                conn,
                payload.question_id,
                payload.declined_by,
                payload.reason,
                c.source,
                c.scoring,
                supporter_id=payload.supporter_id,
                assignment_id=payload.assignment_id,
                at=payload.declined_at,
                announce=False,
            )

    return assignment_declined


def on_support_ended(c: Container) -> EventHandler[SupportEnded]:
    async def support_ended(conn: Conn, event: CloudEvent, payload: SupportEnded) -> None:
        if event.source == c.source:
            return
        with _refused_for_good(event, payload):
            await end(
                conn,
                payload.question_id,
                payload.reason or Reason(code="other", text=END_REASON_TEXTS["other"]),
                c.source,
                c.scoring,
                supporter_id=payload.supporter_id,
                assignment_id=payload.assignment_id,
                at=payload.ended_at,
                announce=False,
            )

    return support_ended
