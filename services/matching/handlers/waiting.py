"""The waiting-list pass: free places go to waiting questions, decided together by the batch optimiser.

**The pass runs inside the transaction that freed the place** (support ended, a decline, a capacity
raised, a new or resumed supporter): the freed place and its new assignment commit together or not at
all, so a crash can never lose the trigger, and no second process or queue is needed. The price is a
longer transaction for the command that freed the place (the batch optimiser takes well under a
second for thousands of waiting questions). Whoever frees capacity takes the pass's advisory lock
*first* (:func:`store.lock_waiting_pass`), before any row lock, so two instances never run the pass
at once and can never deadlock on supporter rows. A periodic pass (see ``app.py``) catches the one
trigger no command sees: a pause whose end day has come.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

from contracts.events import QuestionReceived
from services.kit.db import Conn
from services.kit.dutch import today
from services.matching import store
from services.matching.domain.columns import TooManyCodes
from services.matching.domain.model import Organisation, Question, SupporterRecord
from services.matching.domain.scoring import Scored, Scoring
from services.matching.handlers.booking import book_all, record_assignment, record_duo
from services.matching.optimise import assign_waiting, greedy_assign_waiting
from services.matching.postcodes import region_scoring

log = logging.getLogger(__name__)

#: The oldest waiting questions one pass considers (the optimiser's design size).
WAITING_PASS_LIMIT = 10_000


async def waiting_pass(
    conn: Conn, source: str, scoring: Scoring | None = None, *, limit: int = WAITING_PASS_LIMIT
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
        replace(Question.from_event(r), previous_supporters=tuple(earlier.get(qid, ()))) for qid, r in received.items()
    ]
    since = {w.question_id: w.since for w in waiting}
    excluded = await store.declined_supporters(conn, list(received))
    organisations = await store.load_organisations(conn)
    now = datetime.now(UTC)
    pairs = choose_for_waiting(questions, since, supporters, organisations, now, excluded, scoring, today=today())
    chosen: dict[str, list[Scored]] = {}
    for question_id, _supporter_id, scored in pairs:
        if question_id in received and len(chosen.setdefault(question_id, [])) < 2:
            chosen[question_id].append(scored)
    assigned = 0
    for question_id, members in chosen.items():
        if not await book_all(conn, [m.supporter.id for m in members]):
            continue
        await store.delete_waiting(conn, question_id)
        if len(members) == 2:
            await record_duo(conn, received[question_id], members, source)
        else:
            await record_assignment(conn, received[question_id], members[0], source)
        assigned += 1
    if assigned:
        log.info("waiting-list pass", extra={"assigned": assigned, "waiting": len(waiting)})
    return assigned


def choose_for_waiting(
    questions: Sequence[Question],
    waiting_since: Mapping[str, datetime],
    supporters: Sequence[SupporterRecord],
    organisations: Mapping[str, Organisation],
    now: datetime,
    excluded: Mapping[str, frozenset[str]],
    scoring: Scoring | None = None,
    *,
    today: date | None = None,
) -> list[tuple[str, str, Scored]]:
    """Rows for the waiting questions from the batch optimiser, never with a supporter who declined.

    The optimiser decides every question at once and is handed who declined which (``excluded``);
    ``scoring`` defaults to the region's.
    Only a pool it cannot index (more than 64 different codes of a kind) falls back to the greedy
    assignment, oldest question first, with the same exclusions. ``today`` decides who is paused in
    that fallback (default: the day of ``now``).
    """
    scoring = region_scoring(scoring)
    try:
        return assign_waiting(
            questions,
            waiting_since,
            supporters,
            organisations,
            now,
            weights=scoring.weights,
            exclude=excluded,
            places=scoring.places,
        )
    except TooManyCodes as exc:
        log.warning("waiting list decided greedily: the pool cannot be indexed", extra={"error": str(exc)})
    return greedy_assign_waiting(
        questions,
        waiting_since,
        supporters,
        organisations,
        now,
        excluded,
        scoring.weights,
        today=today,
        places=scoring.places,
    )
