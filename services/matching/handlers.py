"""Event and command handlers of matching: one function per event or command, each in the caller's
transaction (the kit's inbox transaction for events, the request's transaction for HTTP commands).

The life of a question in matching::

    QuestionReceived ─► assigned ─► accepted ─► ended (SupportEnded)
                   │        └──────────┴─► declined (AssignmentDeclined) ─► matched again, without
                   │                                                      everyone who declined it
                   ├─► waiting ─► assigned by the waiting-list pass when a place frees
                   └─► consultation ─► assigned by hand by a coordinator (manual_override)

Capacity is only ever booked and freed through the SQL guards in :mod:`services.matching.store`.

**The waiting-list pass runs inside the transaction that freed the place** (support ended, a
decline, a capacity raised, a new or resumed supporter): the freed place and its new assignment
commit together or not at all, so a crash can never lose the trigger, and no second process or
queue is needed. The price is a longer transaction for the command that freed the place (the batch
optimiser takes well under a second for thousands of waiting questions). Whoever frees capacity
takes the pass's advisory lock *first* (:func:`store.lock_waiting_pass`), before any row lock, so
two instances never run the pass at once and can never deadlock on supporter rows. A periodic pass
(see ``app.py``) catches the one trigger no command sees: a pause whose end day has come.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from contracts.codes import LIFE_DOMAINS
from contracts.envelope import CloudEvent
from contracts.events import (
    AssignmentAccepted,
    AssignmentDeclined,
    ConsultationRequired,
    Event,
    QuestionReceived,
    QuestionWaiting,
    Reason,
    SupportEnded,
    SupporterAssigned,
    SupporterRegistered,
    SupporterUpdated,
)
from services.kit import erasure
from services.kit.db import Conn
from services.kit.dutch import today  # pauses end on a Dutch calendar day
from services.kit.messaging import PermanentError
from services.kit.messaging.subscriber import TransactionalHandler
from services.kit.outbox import publish
from services.matching import domain, store
from services.matching.live import LivePool, note_cases_everywhere

log = logging.getLogger(__name__)

#: Candidates tried per round; when all of them were just taken by another instance, reload and rank again.
TRY_PER_ROUND = 10
#: Rounds before giving up on booking and letting the question wait (only under extreme contention).
MAX_ROUNDS = 5
#: The oldest waiting questions one pass considers (the optimiser's design size).
WAITING_PASS_LIMIT = 10_000

# --- code lists -----------------------------------------------------------------------------------

#: Why a supporter or resident declines an assignment: code → the standard Dutch sentence (B1).
DECLINE_REASONS: dict[str, str] = {
    "no_time": "De ondersteuner heeft nu geen tijd voor deze vraag.",
    "expertise": "De ondersteuner heeft niet de juiste kennis voor deze vraag.",
    "conflict_of_interest": "De ondersteuner kent de inwoner al of is in deze situatie niet onafhankelijk.",
    "no_click": "De inwoner en de ondersteuner passen niet goed bij elkaar.",
    "resident_preference": "De inwoner wil liever een andere ondersteuner.",
    "language": "De inwoner en de ondersteuner spreken geen gemeenschappelijke taal.",
    "distance": "De afstand tussen de inwoner en de ondersteuner is te groot.",
    "other": "Er is een andere reden.",
}
#: Why support ends: code → the standard Dutch sentence.
END_REASONS: dict[str, str] = {
    "completed": "De ondersteuning is klaar.",
    "resident_stopped": "De inwoner wil geen ondersteuning meer.",
    "moved": "De inwoner is verhuisd.",
    "transferred": "De vraag is overgedragen aan een andere organisatie.",
    "other": "De ondersteuning is om een andere reden gestopt.",
}
#: Specialisms a supporter may have: every life domain, plus target groups and skills.
SPECIALISMS: dict[str, str] = {
    **LIFE_DOMAINS,
    "lvb": "Licht verstandelijke beperking",
    "ggz": "Psychische problemen (ggz)",
    "nah": "Niet-aangeboren hersenletsel",
    "autism": "Autisme",
    "dementia": "Dementie",
    "sign_language": "Gebarentaal",
    "elderly": "Ouderen",
    "newcomers": "Statushouders en nieuwkomers",
    "addiction": "Verslaving",
    "chronic_illness": "Chronische ziekte",
    "visual_impairment": "Slechtziend of blind",
    "hearing_impairment": "Slechthorend of doof",
    "domestic_violence": "Huiselijk geweld",
    "informal_care": "Mantelzorg",
}
#: Lived-experience themes of experience experts.
EXPERIENCE_THEMES: dict[str, str] = {
    "parent_of_child_with_disability": "Ouder van een kind met een beperking",
    "youth_care": "Jeugdhulp",
    "debts": "Schulden",
    "poverty": "Armoede",
    "mental_health": "Psychische problemen",
    "lvb": "Licht verstandelijke beperking",
    "autism": "Autisme",
    "chronic_illness": "Chronische ziekte",
    "disability": "Lichamelijke beperking",
    "informal_care": "Mantelzorg",
    "migration": "Migratie en inburgering",
    "addiction": "Verslaving",
    "homelessness": "Dakloosheid",
    "unemployment": "Werkloosheid",
    "domestic_violence": "Huiselijk geweld",
}

MANUAL_OVERRIDE = "manual_override"
#: Why the other member of a duo stops when one member declines.
DUO_DISSOLVED = "duo_dissolved"
#: What a coordinator can never override by hand: room, availability and independence.
NOT_OVERRIDABLE = frozenset({domain.NO_CAPACITY, domain.INACTIVE, domain.PAUSED, domain.NOT_INDEPENDENT})


def manual_override_reason() -> Reason:
    return Reason(
        code=MANUAL_OVERRIDE,
        text="Gekozen in het gezamenlijk overleg door een coördinator. De reden is vastgelegd bij de toewijzing.",
    )


# --- errors the entry points translate (HTTP status, or a dead letter for events) ------------------


class CommandError(Exception):
    """A command that cannot be done; ``text`` is Dutch for people, ``code`` stable for machines."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


class NotFound(CommandError):
    pass


class Conflict(CommandError):
    pass


class InvalidField(CommandError):
    """Input that names something unknown (e.g. an organisation): a 422 naming ``field``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__("invalid_field", message)
        self.field = field


# --- QuestionReceived -----------------------------------------------------------------------------


def question_received(
    source: str, weights: domain.Weights = domain.DEFAULT_WEIGHTS, live: LivePool | None = None
) -> TransactionalHandler:
    """Build the handler of QuestionReceived that publishes as ``source``, deciding from ``live``'s
    in-memory pool when given."""

    async def handle(conn: Conn, event: CloudEvent, payload: Event) -> None:
        if not isinstance(payload, QuestionReceived):
            raise PermanentError(f"expected QuestionReceived, got {type(payload).__name__}")
        if await erasure.is_erased(conn, payload.resident_ref):
            log.info("question of an erased resident, not matched", extra={"question_id": payload.question_id})
            return
        await match_question(conn, payload, source, weights, live)

    return handle


async def match_question(
    conn: Conn,
    received: QuestionReceived,
    source: str,
    weights: domain.Weights = domain.DEFAULT_WEIGHTS,
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
    await decide(conn, received, source, weights, live=live)


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
    weights: domain.Weights = domain.DEFAULT_WEIGHTS,
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
    question = await question_of(conn, received)
    day = today()
    if live is not None and await _assign_from_memory(conn, live, received, question, source, weights, day, excluded):
        return "assigned"
    organisations = await store.load_organisations(conn)
    for _ in range(MAX_ROUNDS):
        candidates = await store.load_candidates(conn, question.municipality)
        if live is not None:
            live.note_rows(candidates)
        evaluation = domain.evaluate(
            question, candidates, organisations, limit=TRY_PER_ROUND, weights=weights, today=day, exclude=excluded
        )
        if evaluation.verdict is domain.Verdict.ASSIGN:
            for best in evaluation.ranked:
                if await store.book_capacity(conn, best.supporter.id):
                    await _assign(conn, received, best, source)
                    return "assigned"
            continue
        duo = domain.best_duo(question, candidates, organisations, weights=weights, today=day, exclude=excluded)
        if duo is None:
            break
        if await _book_duo(conn, duo.supporter_ids):
            await _assign_duo(conn, received, duo.as_scored(), source)
            return "assigned"
    if evaluation.verdict is domain.Verdict.CONSULT:
        waiting_duo = domain.best_duo(
            question, candidates, organisations, weights=weights, today=day, exclude=excluded, require_room=False
        )
        if waiting_duo is None:
            await _consult(conn, received, evaluation, source)
            return "consultation"
    await _wait(conn, received, evaluation.full_count + evaluation.eligible_count, source)
    if evaluation.verdict is domain.Verdict.ASSIGN:
        # Every round lost its bookings to other instances, yet places were left: let the
        # waiting-list pass (serialised across instances) hand them out now rather than never.
        await waiting_pass(conn, source, weights)
        return await store.question_outcome(conn, received.question_id) or "waiting"
    return "waiting"


async def _assign_from_memory(
    conn: Conn,
    live: LivePool,
    received: QuestionReceived,
    question: domain.Question,
    source: str,
    weights: domain.Weights,
    day: date,
    excluded: frozenset[str],
) -> bool:
    """Book and assign the best single supporter by the in-memory pool; False when that did not work
    out (nobody with room there, or every booking tried found the place taken)."""
    index = await live.current(conn)
    if index is None:
        return False
    evaluation = index.evaluate(question, limit=TRY_PER_ROUND, weights=weights, today=day, exclude=excluded)
    for best in evaluation.ranked:
        cases = await store.book_place(conn, best.supporter.id)
        if cases is not None:
            live.note_cases(best.supporter.id, cases)
            await _assign(conn, received, best, source)
            return True
    return False


async def _free(conn: Conn, supporter_id: str) -> None:
    """Give back one of the supporter's places (the in-memory pools of this process learn the count)."""
    note_cases_everywhere(supporter_id, await store.free_capacity(conn, supporter_id))


async def _book_duo(conn: Conn, supporter_ids: Sequence[str]) -> bool:
    """Book a place with both members of a duo, or with neither."""
    booked: list[str] = []
    for supporter_id in supporter_ids:
        if not await store.book_capacity(conn, supporter_id):
            for done in booked:
                await _free(conn, done)
            return False
        booked.append(supporter_id)
    return True


async def _assign(
    conn: Conn,
    received: QuestionReceived,
    best: domain.Scored,
    source: str,
    *,
    lead: Sequence[Reason] = (),
    noted: Sequence[Reason] = (),
    role: str = "lead",
    partner_id: str | None = None,
    override_by: str | None = None,
    override_reason: str | None = None,
) -> str:
    """Record one assignment (capacity already booked) and publish SupporterAssigned; return its id.

    ``lead`` reasons come first, in the stored reasons and in the event's top reasons; ``noted``
    reasons are only stored (after ``lead``), e.g. the rules a coordinator overrode.
    """
    assignment_id = str(uuid.uuid4())
    assigned_at = datetime.now(UTC)
    supporter = best.supporter
    await store.insert_assignment(
        conn,
        assignment_id,
        received.question_id,
        supporter.id,
        best.score,
        [*lead, *noted, *(c.reason for c in best.components)],
        assigned_at,
        municipality=received.municipality,
        role=role,
        partner_id=partner_id,
        override_by=override_by,
        override_reason=override_reason,
    )
    event = SupporterAssigned(
        question_id=received.question_id,
        assignment_id=assignment_id,
        supporter_id=supporter.id,
        organisation=supporter.organisation,
        supporter_kind=supporter.kind,  # type: ignore[arg-type]  # validated when stored
        municipality=received.municipality,
        score=round(best.score, 4),
        reasons=[*lead, *best.top_reasons(3 - len(lead))],
        received_at=received.received_at,
        assigned_at=assigned_at,
        partner_supporter_id=partner_id,
    )
    await publish(conn, event, source)
    return assignment_id


async def _assign_duo(conn: Conn, received: QuestionReceived, members: Sequence[domain.Scored], source: str) -> None:
    """Record a duo (both places already booked): the professional as lead, the other as partner."""
    lead, partner = members
    await _assign(conn, received, lead, source, role="lead", partner_id=partner.supporter.id)
    await _assign(conn, received, partner, source, role="partner", partner_id=lead.supporter.id)


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


# --- accept, decline, end -------------------------------------------------------------------------


@dataclass(frozen=True)
class Rematched:
    """What a decline led to: the declined assignment, and where the question stands now."""

    declined: store.AssignmentView
    outcome: str
    assignment: store.AssignmentView | None
    waiting_pass_assigned: int


async def _open(
    conn: Conn, question_id: str, supporter_id: str | None = None, assignment_id: str | None = None
) -> list[store.AssignmentView]:
    """The question's open assignments, locked (a duo has two); explains clearly why there are none.

    With ``supporter_id`` or ``assignment_id`` only that one, which must be open.
    """
    current = await store.open_assignments(conn, question_id)
    if not current:
        outcome = await store.question_outcome(conn, question_id)
        if outcome is None:
            raise NotFound("unknown_question", f"Vraag {question_id} is onbekend bij matching.")
        raise Conflict("no_open_assignment", f"Vraag {question_id} heeft geen lopende toewijzing (status: {outcome}).")
    if supporter_id is not None:
        current = [a for a in current if a.supporter_id == supporter_id]
        if not current:
            if await store.get_supporter_row(conn, supporter_id) is None:
                raise NotFound("unknown_supporter", f"Ondersteuner {supporter_id} is onbekend bij matching.")
            raise Conflict(
                "other_supporter", f"Vraag {question_id} is niet toegewezen aan ondersteuner {supporter_id}."
            )
    if assignment_id is not None:
        current = [a for a in current if a.assignment_id == assignment_id]
        if not current:
            raise Conflict(
                "other_assignment", f"Toewijzing {assignment_id} is geen lopende toewijzing van vraag {question_id}."
            )
    return current


def _municipality(view: store.AssignmentView) -> str:
    if view.municipality is None:
        raise Conflict("question_unknown", f"De gegevens van vraag {view.question_id} ontbreken bij matching.")
    return view.municipality


async def accept(
    conn: Conn,
    question_id: str,
    source: str,
    *,
    supporter_id: str | None = None,
    assignment_id: str | None = None,
    at: datetime | None = None,
    announce: bool = True,
) -> list[store.AssignmentView]:
    """The supporter accepts the question (both members of a duo unless one is named):
    AssignmentAccepted per assignment. Accepting again changes nothing."""
    await store.lock_question(conn, question_id)
    current = await _open(conn, question_id, supporter_id, assignment_id)
    at = at or datetime.now(UTC)
    result = []
    for view in current:
        if view.status == "accepted":
            result.append(view)
            continue
        await store.accept_assignment(conn, view.assignment_id, at)
        if announce:
            event = AssignmentAccepted(
                question_id=question_id,
                assignment_id=view.assignment_id,
                supporter_id=view.supporter_id,
                organisation=view.organisation,
                municipality=_municipality(view),
                accepted_at=at,
            )
            await publish(conn, event, source)
        result.append(replace(view, status="accepted", accepted_at=at))
    return result


async def decline(
    conn: Conn,
    question_id: str,
    declined_by: str,
    reason: Reason,
    source: str,
    weights: domain.Weights = domain.DEFAULT_WEIGHTS,
    *,
    reason_text: str | None = None,
    supporter_id: str | None = None,
    assignment_id: str | None = None,
    at: datetime | None = None,
    announce: bool = True,
) -> Rematched:
    """The supporter or the resident declines: free the place, never offer the question to this
    supporter again, match it again at once without everyone who declined it, then let the freed
    places go to the waiting list. All in the caller's transaction.

    In a duo, the declining member must be named; the duo then dissolves (the other member's
    assignment ends with reason ``duo_dissolved`` and their place frees too), since the pair covered
    the question only together. The other member may well be chosen again.
    """
    await store.lock_waiting_pass(conn)
    await store.lock_question(conn, question_id)
    everyone = await _open(conn, question_id)
    if len(everyone) > 1 and supporter_id is None and assignment_id is None:
        raise InvalidField("supporter_id", "this question has a duo: name the supporter who declines")
    declining = (await _open(conn, question_id, supporter_id, assignment_id))[0]
    payload = await store.get_question(conn, question_id)
    if payload is None:
        raise Conflict("question_unknown", f"De gegevens van vraag {question_id} ontbreken bij matching.")
    received = QuestionReceived.model_validate(payload)
    at = at or datetime.now(UTC)
    await store.close_assignment(conn, declining.assignment_id, "declined", at, reason.code)
    await store.insert_decline(
        conn, question_id, declining.supporter_id, declining.assignment_id, declined_by, reason.code, reason_text, at
    )
    await _free(conn, declining.supporter_id)
    if announce:
        event = AssignmentDeclined(
            question_id=question_id,
            assignment_id=declining.assignment_id,
            supporter_id=declining.supporter_id,
            organisation=declining.organisation,
            municipality=received.municipality,
            declined_by=declined_by,  # type: ignore[arg-type]  # checked at the entry point
            reason=reason,
            declined_at=at,
        )
        await publish(conn, event, source)
    dissolved = Reason(
        code=DUO_DISSOLVED, text="De andere ondersteuner van het duo stopte. De vraag wordt opnieuw gekoppeld."
    )
    for other in everyone:
        if other.assignment_id != declining.assignment_id:
            await _close(conn, other, dissolved, at, source)
    excluded = (await store.declined_supporters(conn, [question_id])).get(question_id, frozenset())
    outcome = await decide(conn, received, source, weights, excluded)
    assigned = await waiting_pass(conn, source, weights)
    new = await store.get_assignment(conn, question_id) if outcome == "assigned" else None
    return Rematched(replace(declining, status="declined", closed_at=at), outcome, new, assigned)


async def _close(conn: Conn, view: store.AssignmentView, reason: Reason, at: datetime, source: str) -> None:
    """End one open assignment: free its place and publish SupportEnded."""
    await store.close_assignment(conn, view.assignment_id, "ended", at, reason.code)
    await _free(conn, view.supporter_id)
    event = SupportEnded(
        question_id=view.question_id,
        assignment_id=view.assignment_id,
        supporter_id=view.supporter_id,
        organisation=view.organisation,
        municipality=_municipality(view),
        reason=reason,
        ended_at=at,
    )
    await publish(conn, event, source)


async def end(
    conn: Conn,
    question_id: str,
    reason: Reason,
    source: str,
    weights: domain.Weights = domain.DEFAULT_WEIGHTS,
    *,
    supporter_id: str | None = None,
    assignment_id: str | None = None,
    at: datetime | None = None,
    announce: bool = True,
) -> list[store.AssignmentView]:
    """Support ends (for both members of a duo unless one is named): SupportEnded per assignment,
    the places free and the waiting list gets them."""
    await store.lock_waiting_pass(conn)
    await store.lock_question(conn, question_id)
    current = await _open(conn, question_id, supporter_id, assignment_id)
    at = at or datetime.now(UTC)
    for view in current:
        if announce:
            await _close(conn, view, reason, at, source)
        else:
            await store.close_assignment(conn, view.assignment_id, "ended", at, reason.code)
            await _free(conn, view.supporter_id)
    await waiting_pass(conn, source, weights)
    return [replace(view, status="ended", closed_at=at) for view in current]


def assignment_steps(source: str, weights: domain.Weights = domain.DEFAULT_WEIGHTS) -> TransactionalHandler:
    """Handle AssignmentAccepted, AssignmentDeclined and SupportEnded published by *others*.

    A supporter's case system or the resident's page may announce these on the assignments topic;
    matching then applies them like the HTTP commands (without announcing them again). Matching's
    own announcements come back on the same topic and are skipped: they were applied when made.
    An event about an unknown question or supporter, or a supporter who does not hold the
    question, can never succeed: it goes to the dead-letter topic with the reason.
    """

    async def handle(conn: Conn, event: CloudEvent, payload: Event) -> None:
        if event.source == source:
            return
        try:
            await _apply_step(conn, payload, source, weights)
        except CommandError as exc:
            raise PermanentError(f"{type(payload).__name__} for question {event.subject}: {exc.text}") from exc

    return handle


async def _apply_step(conn: Conn, payload: Event, source: str, weights: domain.Weights) -> None:
    match payload:
        case AssignmentAccepted():
            await accept(
                conn,
                payload.question_id,
                source,
                supporter_id=payload.supporter_id,
                assignment_id=payload.assignment_id,
                at=payload.accepted_at,
                announce=False,
            )
        case AssignmentDeclined():
            await decline(
                conn,
                payload.question_id,
                payload.declined_by,
                payload.reason,
                source,
                weights,
                supporter_id=payload.supporter_id,
                assignment_id=payload.assignment_id,
                at=payload.declined_at,
                announce=False,
            )
        case SupportEnded():
            await end(
                conn,
                payload.question_id,
                payload.reason or Reason(code="other", text=END_REASONS["other"]),
                source,
                weights,
                supporter_id=payload.supporter_id,
                assignment_id=payload.assignment_id,
                at=payload.ended_at,
                announce=False,
            )
        case _:
            raise PermanentError(f"not an assignment step: {type(payload).__name__}")


# --- the waiting-list pass ------------------------------------------------------------------------

#: The batch optimiser's interface (``services.matching.optimise.assign_waiting``).
AssignWaiting = Callable[..., list[tuple[str, str, domain.Scored]]]


async def waiting_pass(
    conn: Conn, source: str, weights: domain.Weights = domain.DEFAULT_WEIGHTS, *, limit: int = WAITING_PASS_LIMIT
) -> int:
    """Give free places to waiting questions (oldest first, by the batch optimiser); return how many.

    Runs in the caller's transaction under the pass's advisory lock (re-entrant: a caller that
    freed a place already holds it). Each chosen supporter is booked with the SQL guard (a duo's two
    together or not at all); a question whose place was taken meanwhile by a new question keeps
    waiting.
    """
    await store.lock_waiting_pass(conn)
    supporters = await store.load_supporters_with_room(conn)
    if not supporters:
        return 0
    waiting = await store.load_waiting(conn, {m for s in supporters for m in s.municipalities}, limit)
    if not waiting:
        return 0
    received = {w.question_id: QuestionReceived.model_validate(w.question) for w in waiting}
    earlier = await store.previous_supporters_of(conn, list(received))
    questions = [
        replace(domain.Question.from_event(r), previous_supporters=tuple(earlier.get(qid, ())))
        for qid, r in received.items()
    ]
    since = {w.question_id: w.since for w in waiting}
    excluded = await store.declined_supporters(conn, list(received))
    organisations = await store.load_organisations(conn)
    pairs = choose_for_waiting(questions, since, supporters, organisations, datetime.now(UTC), excluded, weights)
    chosen: dict[str, list[domain.Scored]] = {}
    for question_id, _supporter_id, scored in pairs:
        if question_id in received and len(chosen.setdefault(question_id, [])) < 2:
            chosen[question_id].append(scored)
    assigned = 0
    for question_id, members in chosen.items():
        if not await _book_duo(conn, [m.supporter.id for m in members]):
            continue
        await store.delete_waiting(conn, question_id)
        if len(members) == 2:
            await _assign_duo(conn, received[question_id], members, source)
        else:
            await _assign(conn, received[question_id], members[0], source)
        assigned += 1
    if assigned:
        log.info("waiting-list pass", extra={"assigned": assigned, "waiting": len(waiting)})
    return assigned


def choose_for_waiting(
    questions: list[domain.Question],
    waiting_since: dict[str, datetime],
    supporters: list[domain.SupporterRecord],
    organisations: Mapping[str, domain.Organisation],
    now: datetime,
    excluded: Mapping[str, frozenset[str]],
    weights: domain.Weights = domain.DEFAULT_WEIGHTS,
) -> list[tuple[str, str, domain.Scored]]:
    """Rows for the waiting questions from the batch optimiser, never with a supporter who declined.

    An optimiser that accepts ``excluded`` gets it and decides everything. One that does not is
    given only the questions nobody declined; the few that were declined are placed first, greedily
    (oldest first, never with a decliner): they already waited through a decline.
    """
    optimiser = batch_optimiser()
    if optimiser is None:
        return greedy_assign_waiting(questions, waiting_since, supporters, organisations, now, excluded, weights)
    if "excluded" in inspect.signature(optimiser).parameters:
        return optimiser(questions, waiting_since, supporters, organisations, now, weights=weights, excluded=excluded)
    declined = [q for q in questions if excluded.get(q.question_id)]
    if not declined:
        return optimiser(questions, waiting_since, supporters, organisations, now, weights=weights)
    first = greedy_assign_waiting(declined, waiting_since, supporters, organisations, now, excluded, weights)
    used: dict[str, int] = {}
    for _, supporter_id, _ in first:
        used[supporter_id] = used.get(supporter_id, 0) + 1
    left = [replace(s, active_cases=s.active_cases + used.get(s.id, 0)) for s in supporters]
    rest = [q for q in questions if not excluded.get(q.question_id)]
    return first + optimiser(rest, waiting_since, left, organisations, now, weights=weights)


def batch_optimiser() -> AssignWaiting | None:
    """``services.matching.optimise.assign_waiting`` when that module exists (it is built separately)."""
    try:
        module = importlib.import_module("services.matching.optimise")
    except ImportError:
        return None
    found: AssignWaiting | None = getattr(module, "assign_waiting", None)
    return found


def greedy_assign_waiting(
    questions: list[domain.Question],
    waiting_since: dict[str, datetime],
    supporters: list[domain.SupporterRecord],
    organisations: Mapping[str, domain.Organisation],
    now: datetime,
    excluded: Mapping[str, frozenset[str]] | None = None,
    weights: domain.Weights = domain.DEFAULT_WEIGHTS,
) -> list[tuple[str, str, domain.Scored]]:
    """Oldest question first, each to its best eligible single supporter with room (the fallback of
    the optimiser, and its second chance for questions it paired with someone who declined).

    Respects every hard rule (via :func:`domain.evaluate`) and capacity (counting its own choices).
    """
    excluded = excluded or {}
    pool = {s.id: s for s in supporters}
    chosen: list[tuple[str, str, domain.Scored]] = []
    day = today()
    for question in sorted(questions, key=lambda q: (waiting_since.get(q.question_id, now), q.question_id)):
        skip = excluded.get(question.question_id, frozenset())
        candidates = [s for s in pool.values() if s.active_cases < s.capacity]
        evaluation = domain.evaluate(
            question, candidates, organisations, limit=1, weights=weights, today=day, exclude=skip
        )
        if not evaluation.ranked:
            continue
        best = evaluation.ranked[0]
        chosen.append((question.question_id, best.supporter.id, best))
        pool[best.supporter.id] = replace(best.supporter, active_cases=best.supporter.active_cases + 1)
    return chosen


# --- the joint consultation: assigning by hand ----------------------------------------------------


async def assign_by_hand(
    conn: Conn,
    question_id: str,
    supporter_id: str,
    reason_text: str,
    by: str,
    source: str,
    weights: domain.Weights = domain.DEFAULT_WEIGHTS,
    *,
    municipality: str | None = None,
) -> store.AssignmentView:
    """A coordinator assigns a question of the consultation queue by hand.

    Overrides the soft rules (municipality, life domains, language, kind) with a recorded reason,
    but never capacity, availability, independence or an earlier decline. ``municipality`` limits a
    coordinator to their own municipality's questions.
    """
    await store.lock_question(conn, question_id)
    consultation = await store.get_consultation(conn, question_id, for_update=True)
    if consultation is None or (municipality is not None and consultation.municipality != municipality):
        outcome = await store.question_outcome(conn, question_id)
        if outcome is None or consultation is not None:
            raise NotFound("unknown_question", f"Vraag {question_id} staat niet in het gezamenlijk overleg.")
        raise Conflict(
            "not_in_consultation", f"Vraag {question_id} staat niet (meer) in het overleg (status: {outcome})."
        )
    if consultation.question is None:
        raise Conflict("question_unknown", f"De gegevens van vraag {question_id} ontbreken bij matching.")
    supporter = await store.get_supporter_row(conn, supporter_id)
    if supporter is None:
        raise InvalidField("supporter_id", f"unknown supporter {supporter_id!r}")
    if supporter_id in (await store.declined_supporters(conn, [question_id])).get(question_id, frozenset()):
        raise Conflict(
            "declined_before", "Deze ondersteuner heeft deze vraag al afgewezen. De vraag gaat niet opnieuw naar hen."
        )
    received = QuestionReceived.model_validate(consultation.question)
    question = await question_of(conn, received)
    record = supporter.record()
    failures = domain.failed_rules(question, record, await store.load_organisations(conn), today())
    blocking = [f for f in failures if f.code in NOT_OVERRIDABLE]
    if blocking:
        raise Conflict(blocking[0].code, blocking[0].text)
    if not await store.book_capacity(conn, supporter_id):
        raise Conflict(domain.NO_CAPACITY, "Deze ondersteuner heeft net geen plek meer vrij.")
    await store.delete_consultation(conn, question_id)
    scored = domain.score(question, record, weights)
    override = manual_override_reason()
    await _assign(
        conn,
        received,
        scored,
        source,
        lead=[override],
        noted=failures,
        override_by=by,
        override_reason=reason_text,
    )
    found = await store.get_assignment(conn, question_id)
    assert found is not None
    return found


@dataclass(frozen=True)
class CandidateView:
    """A supporter as the consultation sees them for one question; no failed rules: eligible."""

    supporter_id: str
    name: str
    organisation: str
    kind: str
    free_places: int
    failed_rules: list[Reason]
    score: float


def consultation_candidates(
    row: store.ConsultationRow,
    supporters: Sequence[store.SupporterRow],
    organisations: Mapping[str, domain.Organisation],
    declined: frozenset[str] = frozenset(),
    weights: domain.Weights = domain.DEFAULT_WEIGHTS,
    limit: int = domain.CONSULTATION_CANDIDATES,
) -> list[CandidateView]:
    """The candidates for a question in consultation, now: fewest failed rules first, then the best score.

    Computed live from ``supporters`` (those serving the question's municipality; they change while
    a question waits for the meeting), leaving out whoever declined the question. Falls back to the
    candidates stored with the question when its details are missing.
    """
    if row.question is None:
        return [
            CandidateView(c.supporter_id, c.supporter_id, c.organisation, "", 0, list(c.failed_rules), 0.0)
            for c in row.candidates
        ]
    question = domain.Question.from_event(QuestionReceived.model_validate(row.question))
    day = today()
    views = []
    for supporter in supporters:
        if supporter.id in declined:
            continue
        record = supporter.record()
        views.append(
            CandidateView(
                supporter_id=supporter.id,
                name=supporter.name,
                organisation=supporter.organisation,
                kind=supporter.kind,
                free_places=max(supporter.capacity - supporter.active_cases, 0),
                failed_rules=domain.failed_rules(question, record, organisations, day),
                score=round(domain.score(question, record, weights).score, 4),
            )
        )
    views.sort(key=lambda v: (len(v.failed_rules), -v.score, v.supporter_id))
    return views[:limit]


@dataclass(frozen=True)
class QueueItem:
    """One question of the consultation queue with its live candidates."""

    consultation: store.ConsultationRow
    question: QuestionReceived | None
    candidates: list[CandidateView]


async def consultation_queue(
    conn: Conn, municipality: str | None = None, weights: domain.Weights = domain.DEFAULT_WEIGHTS
) -> list[QueueItem]:
    """The questions that need the joint consultation, oldest first, each with its candidates now."""
    rows = await store.list_consultations(conn, municipality)
    if not rows:
        return []
    organisations = await store.load_organisations(conn)
    declined = await store.declined_supporters(conn, [r.question_id for r in rows])
    pools: dict[str, list[store.SupporterRow]] = {}
    items = []
    for row in rows:
        place = row.municipality or ""
        if place not in pools:
            pools[place] = await store.list_supporter_rows(conn, place) if place else []
        question = QuestionReceived.model_validate(row.question) if row.question is not None else None
        candidates = consultation_candidates(
            row, pools[place], organisations, declined.get(row.question_id, frozenset()), weights
        )
        items.append(QueueItem(row, question, candidates))
    return items


# --- the supporter registry -----------------------------------------------------------------------

#: Profile fields published in SupporterRegistered/SupporterUpdated (never name or e-mail).
PUBLIC_FIELDS = (
    "organisation",
    "kind",
    "municipalities",
    "life_domains",
    "languages",
    "specialisms",
    "experience_themes",
    "capacity",
    "availability",
    "paused_until",
    "postcode",
)


def _profile(row: store.SupporterRow) -> dict[str, Any]:
    return {
        "supporter_id": row.id,
        "organisation": row.organisation,
        "kind": row.kind,
        "municipalities": list(row.municipalities),
        "life_domains": list(row.life_domains),
        "languages": list(row.languages),
        "specialisms": list(row.specialisms),
        "experience_themes": list(row.experience_themes),
        "capacity": row.capacity,
        "availability": row.availability,
        "paused_until": None if row.available else row.paused_until,
        "postcode": row.postcode,
    }


async def _known_organisation(conn: Conn, organisation: str) -> None:
    known = await store.load_organisations(conn)
    if organisation not in known:
        listed = ", ".join(sorted(known)) or "(none yet: POST /api/v1/organisations first)"
        raise InvalidField("organisation", f"unknown organisation {organisation!r}; known: {listed}")


async def register_supporter(
    conn: Conn, values: dict[str, Any], source: str, weights: domain.Weights = domain.DEFAULT_WEIGHTS
) -> store.SupporterRow:
    """Register a supporter: SupporterRegistered, then the waiting list may get their places.

    ``values`` are the columns of :data:`store.EDITABLE` plus ``id``; a taken id is a Conflict.
    """
    await store.lock_waiting_pass(conn)
    await _known_organisation(conn, values["organisation"])
    row = await store.insert_supporter(conn, values)
    if row is None:
        raise Conflict("supporter_exists", f"Ondersteuner {values['id']} bestaat al. Wijzig deze met PUT.")
    event = SupporterRegistered(**_profile(row), registered_at=row.registered_at or datetime.now(UTC))
    await publish(conn, event, source)
    if await waiting_pass(conn, source, weights):
        row = await store.get_supporter_row(conn, row.id) or row
    return row


async def update_supporter(
    conn: Conn,
    supporter_id: str,
    changes: dict[str, Any],
    source: str,
    weights: domain.Weights = domain.DEFAULT_WEIGHTS,
    *,
    municipality: str | None = None,
) -> store.SupporterRow:
    """Change a supporter's profile: SupporterUpdated naming what changed, then the waiting-list pass
    (a raised capacity, a resumed supporter or a wider profile may free a place for someone waiting).

    ``municipality`` limits a coordinator to supporters serving it, before and after the change.
    A change of contact details only (name, e-mail) is not announced: nothing public changed.
    """
    await store.lock_waiting_pass(conn)
    before = await store.get_supporter_row(conn, supporter_id, for_update=True)
    if before is None or (municipality is not None and municipality not in before.municipalities):
        raise NotFound("unknown_supporter", f"Ondersteuner {supporter_id} is onbekend.")
    if municipality is not None and municipality not in changes.get("municipalities", [municipality]):
        raise InvalidField("municipalities", f"must keep {municipality}: this key manages only that municipality")
    if "organisation" in changes:
        await _known_organisation(conn, changes["organisation"])
    try:
        after = await store.update_supporter(conn, supporter_id, changes) if changes else before
    except store.CapacityBelowCases as exc:
        raise InvalidField("capacity", str(exc)) from exc
    assert after is not None
    old, new = _profile(before), _profile(after)
    changed = [f for f in PUBLIC_FIELDS if old[f] != new[f]]
    if changed:
        event = SupporterUpdated(**new, changed=changed, updated_at=after.updated_at or datetime.now(UTC))
        await publish(conn, event, source)
        if await waiting_pass(conn, source, weights):
            after = await store.get_supporter_row(conn, supporter_id) or after
    return after


async def create_organisation(conn: Conn, id: str, name: str, decides_on_provisions: bool) -> None:
    if not await store.insert_organisation(conn, id, name, decides_on_provisions):
        raise Conflict("organisation_exists", f"Organisatie {id} bestaat al.")
