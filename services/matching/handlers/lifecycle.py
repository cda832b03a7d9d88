"""The life of an assignment: the supporter accepts, the supporter or resident declines (and the
question is matched again without them), support ends. Each step runs in the caller's transaction;
a step that frees a place lets the waiting list have it in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from contracts.events import AssignmentAccepted, AssignmentDeclined, QuestionReceived, Reason, SupportEnded
from services.kit.db import Conn
from services.kit.outbox import publish
from services.matching import store
from services.matching.domain.scoring import Scoring
from services.matching.handlers.booking import free
from services.matching.handlers.errors import Conflict, InvalidField, NotFound
from services.matching.handlers.questions import decide
from services.matching.handlers.waiting import waiting_pass

#: Why the other member of a duo stops when one member declines.
DUO_DISSOLVED = "duo_dissolved"


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
    scoring: Scoring | None = None,
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
    await free(conn, declining.supporter_id)
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
    outcome = await decide(conn, received, source, scoring, excluded)
    assigned = await waiting_pass(conn, source, scoring)
    new = await store.get_assignment(conn, question_id) if outcome == "assigned" else None
    return Rematched(replace(declining, status="declined", closed_at=at), outcome, new, assigned)


async def _close(conn: Conn, view: store.AssignmentView, reason: Reason, at: datetime, source: str) -> None:
    """End one open assignment: free its place and publish SupportEnded."""
    await store.close_assignment(conn, view.assignment_id, "ended", at, reason.code)
    await free(conn, view.supporter_id)
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
    scoring: Scoring | None = None,
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
            await free(conn, view.supporter_id)
    await waiting_pass(conn, source, scoring)
    return [replace(view, status="ended", closed_at=at) for view in current]
