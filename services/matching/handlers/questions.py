"""A new question (QuestionReceived): assign the best supporter or duo with room, or let it wait, or
ask the joint consultation.

The life of a question in matching::

    QuestionReceived ─► assigned ─► accepted ─► ended (SupportEnded)
                   │        └──────────┴─► declined (AssignmentDeclined) ─► matched again, without
                   │                                                      everyone who declined it
                   ├─► waiting ─► assigned by the waiting-list pass when a place frees
                   └─► consultation ─► assigned by hand by a coordinator (manual_override)
                         (also when the resident asked to meet first and choose together)
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, date, datetime

from contracts.envelope import CloudEvent
from contracts.events import CandidateVerdict, ConsultationRequired, QuestionReceived, QuestionWaiting, Reason
from services.kit import erasure
from services.kit.db import Conn
from services.kit.dutch import today  # pauses end on a Dutch calendar day
from services.kit.outbox import publish
from services.matching import domain, store
from services.matching.container import Container, EventHandler
from services.matching.domain.scoring import Scoring
from services.matching.handlers.booking import book_all, record_assignment, record_duo
from services.matching.handlers.waiting import waiting_pass
from services.matching.live import LivePool
from services.matching.postcodes import region_scoring

log = logging.getLogger(__name__)

#: Candidates tried per round; when all of them were just taken by another instance, reload and rank again.
TRY_PER_ROUND = 10
#: Rounds before giving up on booking and letting the question wait (only under extreme contention).
MAX_ROUNDS = 5


def on_question_received(c: Container) -> EventHandler[QuestionReceived]:
    """The handler of QuestionReceived, deciding from the container's in-memory pool where it can."""

    async def question_received(conn: Conn, event: CloudEvent, payload: QuestionReceived) -> None:
        if await erasure.is_erased(conn, payload.resident_ref):
            log.info("question of an erased resident, not matched", extra={"question_id": payload.question_id})
            return
        await match_question(conn, payload, c.source, c.scoring, c.live)

    return question_received


async def match_question(
    conn: Conn,
    received: QuestionReceived,
    source: str,
    scoring: Scoring | None = None,
    live: LivePool | None = None,
) -> None:
    """Assign the best eligible supporter (or duo) with room, or let the question wait, or ask for
    consultation.

    Runs in the caller's transaction. A question is decided once: a second QuestionReceived for it
    (a new event id for the same question) changes nothing.
    """
    await store.lock_question(conn, received.question_id)
    earlier = await store.question_outcome(conn, received.question_id)
    if earlier is not None:
        log.info("question already decided, skipped", extra={"question_id": received.question_id, "outcome": earlier})
        return
    await store.insert_question(conn, received.question_id, received.municipality, received.model_dump(mode="json"))
    await decide(conn, received, source, scoring, live=live)


async def question_of(conn: Conn, received: QuestionReceived) -> domain.Question:
    """The domain's question, with the resident's earlier supporters (continuity)."""
    question = domain.Question.from_event(received)
    if not received.resident_ref:
        return question
    earlier = await store.previous_supporters(conn, received.resident_ref, received.question_id)
    return replace(question, previous_supporters=tuple(earlier)) if earlier else question


async def decide(
    conn: Conn,
    received: QuestionReceived,
    source: str,
    scoring: Scoring | None = None,
    excluded: frozenset[str] = frozenset(),
    live: LivePool | None = None,
) -> str:
    """Match once, never offering the question to a supporter in ``excluded``; return the outcome.

    The best single supporter with room; else the best duo with room (when the resident may get
    one); else wait when someone eligible (or a duo) is only full; else the consultation. The
    outcome is ``assigned``, ``waiting`` or ``consultation``; the caller holds the question's lock.
    Bookings that lose a race with another instance are tried again on fresh rows.

    With ``live``, the common case (a single supporter with room) is decided from the in-memory
    pool; anything else, or a booking that finds no room after all, is decided from fresh rows.
    """
    scoring = region_scoring(scoring)
    weights, places = scoring.weights, scoring.places
    question = await question_of(conn, received)
    day = today()
    if received.choose_together:
        # The resident wants to meet first and choose together: the consultation, with the best candidates.
        candidates = await store.load_candidates(conn, question.municipality)
        evaluation = domain.evaluate(
            question,
            candidates,
            await store.load_organisations(conn),
            limit=domain.CONSULTATION_CANDIDATES,
            weights=weights,
            today=day,
            exclude=excluded,
            places=places,
        )
        await _consult(conn, received, evaluation, source, domain.choose_together_reason())
        return "consultation"
    if live is not None and await _assign_from_memory(conn, live, received, question, source, scoring, day, excluded):
        return "assigned"
    organisations = await store.load_organisations(conn)
    for _ in range(MAX_ROUNDS):
        candidates = await store.load_candidates(conn, question.municipality)
        if live is not None:
            live.note_rows(candidates)
        evaluation = domain.evaluate(
            question,
            candidates,
            organisations,
            limit=TRY_PER_ROUND,
            weights=weights,
            today=day,
            exclude=excluded,
            places=places,
        )
        if evaluation.verdict is domain.Verdict.ASSIGN:
            for best in evaluation.ranked:
                if await store.book_capacity(conn, best.supporter.id):
                    await record_assignment(conn, received, best, source)
                    return "assigned"
            continue
        duo = domain.best_duo(
            question, candidates, organisations, weights=weights, today=day, exclude=excluded, places=places
        )
        if duo is None:
            break
        if await book_all(conn, duo.supporter_ids):
            await record_duo(conn, received, duo.as_scored(), source)
            return "assigned"
    if evaluation.verdict is domain.Verdict.CONSULT:
        waiting_duo = domain.best_duo(
            question,
            candidates,
            organisations,
            weights=weights,
            today=day,
            exclude=excluded,
            require_room=False,
            places=places,
        )
        if waiting_duo is None:
            await _consult(conn, received, evaluation, source)
            return "consultation"
    await _wait(conn, received, evaluation.full_count + evaluation.eligible_count, source)
    if evaluation.verdict is domain.Verdict.ASSIGN:
        # Every round lost its bookings to other instances, yet places were left: let the
        # waiting-list pass (serialised across instances) hand them out now rather than never.
        await waiting_pass(conn, source, scoring)
        return await store.question_outcome(conn, received.question_id) or "waiting"
    return "waiting"


async def _assign_from_memory(
    conn: Conn,
    live: LivePool,
    received: QuestionReceived,
    question: domain.Question,
    source: str,
    scoring: Scoring,
    day: date,
    excluded: frozenset[str],
) -> bool:
    """Book and assign the best single supporter by the in-memory pool; False when that did not work
    out (nobody with room there, or every booking tried found the place taken)."""
    index = await live.current(conn, scoring.places)
    if index is None:
        return False
    evaluation = index.evaluate(question, limit=TRY_PER_ROUND, weights=scoring.weights, today=day, exclude=excluded)
    for best in evaluation.ranked:
        cases = await store.book_place(conn, best.supporter.id)
        if cases is not None:
            live.note_cases(best.supporter.id, cases)
            await record_assignment(conn, received, best, source)
            return True
    return False


async def _wait(conn: Conn, received: QuestionReceived, eligible: int, source: str) -> None:
    since = datetime.now(UTC)
    await store.insert_waiting(conn, received.question_id, received.model_dump(mode="json"), since)
    event = QuestionWaiting(
        question_id=received.question_id, municipality=received.municipality, eligible_supporters=eligible, since=since
    )
    await publish(conn, event, source)


async def _consult(
    conn: Conn,
    received: QuestionReceived,
    evaluation: domain.Evaluation,
    source: str,
    reason: Reason | None = None,
) -> None:
    """Put the question in the consultation queue with its best candidates: the eligible ones first
    (best score first), then the nearest misses with the rules they fail."""
    required_at = datetime.now(UTC)
    reason = reason or domain.consultation_reason()
    eligible = [
        CandidateVerdict(supporter_id=s.supporter.id, organisation=s.supporter.organisation, failed_rules=[])
        for s in evaluation.ranked
    ]
    candidates = [*eligible, *evaluation.consultation_candidates()][: domain.CONSULTATION_CANDIDATES]
    await store.insert_consultation(conn, received.question_id, reason, candidates, required_at)
    event = ConsultationRequired(
        question_id=received.question_id,
        municipality=received.municipality,
        reason=reason,
        candidates=candidates,
        required_at=required_at,
    )
    await publish(conn, event, source)
