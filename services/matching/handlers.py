"""Event handlers of matching: one per event type, each run inside the kit's inbox transaction."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from contracts.envelope import CloudEvent
from contracts.events import ConsultationRequired, Event, QuestionReceived, QuestionWaiting, SupporterAssigned
from services.kit.consumer import PermanentError, TransactionalHandler
from services.kit.db import Conn
from services.kit.outbox import publish
from services.matching import domain, store

log = logging.getLogger(__name__)

#: Candidates tried per round; when all of them were just taken by another instance, reload and rank again.
TRY_PER_ROUND = 10
#: Rounds before giving up on booking and letting the question wait (only under extreme contention).
MAX_ROUNDS = 5


def question_received(source: str, weights: domain.Weights = domain.DEFAULT_WEIGHTS) -> TransactionalHandler:
    """Build the handler of QuestionReceived that publishes as ``source``."""

    async def handle(conn: Conn, event: CloudEvent, payload: Event) -> None:
        if not isinstance(payload, QuestionReceived):
            raise PermanentError(f"expected QuestionReceived, got {type(payload).__name__}")
        await match_question(conn, payload, source, weights)

    return handle


async def match_question(
    conn: Conn, received: QuestionReceived, source: str, weights: domain.Weights = domain.DEFAULT_WEIGHTS
) -> None:
    """Assign the best eligible supporter with room, or let the question wait, or ask for consultation.

    Runs in the caller's transaction. A question is decided once: a second QuestionReceived for it
    (a new event id for the same question) changes nothing.
    """
    await store.lock_question(conn, received.question_id)
    earlier = await store.question_outcome(conn, received.question_id)
    if earlier is not None:
        log.info("question already decided, skipped", extra={"question_id": received.question_id, "outcome": earlier})
        return
    question = domain.Question.from_event(received)
    organisations = await store.load_organisations(conn)
    for _ in range(MAX_ROUNDS):
        candidates = await store.load_candidates(conn, question.municipality)
        evaluation = domain.evaluate(question, candidates, organisations, limit=TRY_PER_ROUND, weights=weights)
        if evaluation.verdict is not domain.Verdict.ASSIGN:
            break
        for best in evaluation.ranked:
            if await store.book_capacity(conn, best.supporter.id):
                await _assign(conn, received, best, source)
                return
    if evaluation.verdict is domain.Verdict.CONSULT:
        await _consult(conn, received, evaluation, source)
    else:
        await _wait(conn, received, evaluation.full_count + evaluation.eligible_count, source)


async def _assign(conn: Conn, received: QuestionReceived, best: domain.Scored, source: str) -> None:
    assignment_id = str(uuid.uuid4())
    assigned_at = datetime.now(UTC)
    supporter = best.supporter
    await store.insert_assignment(
        conn,
        assignment_id,
        received.question_id,
        supporter.id,
        best.score,
        [c.reason for c in best.components],
        assigned_at,
    )
    event = SupporterAssigned(
        question_id=received.question_id,
        assignment_id=assignment_id,
        supporter_id=supporter.id,
        organisation=supporter.organisation,
        supporter_kind=supporter.kind,  # type: ignore[arg-type]  # validated when stored
        municipality=received.municipality,
        score=round(best.score, 4),
        reasons=best.top_reasons(3),
        received_at=received.received_at,
        assigned_at=assigned_at,
    )
    await publish(conn, event, source)


async def _wait(conn: Conn, received: QuestionReceived, eligible: int, source: str) -> None:
    since = datetime.now(UTC)
    await store.insert_waiting(conn, received.question_id, received.model_dump(mode="json"), since)
    event = QuestionWaiting(
        question_id=received.question_id, municipality=received.municipality, eligible_supporters=eligible, since=since
    )
    await publish(conn, event, source)


async def _consult(conn: Conn, received: QuestionReceived, evaluation: domain.Evaluation, source: str) -> None:
    required_at = datetime.now(UTC)
    reason = domain.consultation_reason()
    candidates = evaluation.consultation_candidates()
    await store.insert_consultation(conn, received.question_id, reason, candidates, required_at)
    event = ConsultationRequired(
        question_id=received.question_id,
        municipality=received.municipality,
        reason=reason,
        candidates=candidates,
        required_at=required_at,
    )
    await publish(conn, event, source)
