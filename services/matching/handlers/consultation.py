"""The joint consultation (gezamenlijk overleg): the queue with its candidates now, and assigning by hand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from contracts.events import QuestionReceived, Reason
from services.kit.db import Conn
from services.kit.dutch import today
from services.matching import domain, store
from services.matching.domain.candidates import nearest_candidates
from services.matching.domain.scoring import Scoring
from services.matching.handlers.booking import book_all, record_assignment
from services.matching.handlers.errors import Conflict, InvalidField, NotFound
from services.matching.handlers.questions import question_of
from services.matching.postcodes import region_scoring

MANUAL_OVERRIDE = "manual_override"
#: What a coordinator can never override by hand: room, availability and independence.
NOT_OVERRIDABLE = frozenset({domain.NO_CAPACITY, domain.INACTIVE, domain.PAUSED, domain.NOT_INDEPENDENT})


def manual_override_reason() -> Reason:
    return Reason(
        code=MANUAL_OVERRIDE,
        text="Gekozen in het gezamenlijk overleg door een coördinator. De reden is vastgelegd bij de toewijzing.",
    )


async def ensure_in_area(conn: Conn, question_id: str, municipality: str | None) -> None:
    """NotFound, exactly as for an unknown question, unless a coordinator of ``municipality`` (None: every
    one) may see the question. Checked before anything about the question (its status, its supporter)
    is read, so another municipality's question reveals nothing."""
    if municipality is not None and await store.question_municipality(conn, question_id) != municipality:
        raise NotFound("unknown_question", f"Vraag {question_id} is onbekend.")


async def open_consultation(
    conn: Conn, question_id: str, municipality: str | None, *, for_update: bool = False
) -> store.ConsultationRow:
    """The question in the consultation queue, as a coordinator of ``municipality`` (None: every one)
    may see it; the question must be locked by the caller when ``for_update``.

    Raises NotFound for a question not in the queue of that municipality (another municipality's reads
    the same as an unknown one), Conflict for one that left the queue.
    """
    await ensure_in_area(conn, question_id, municipality)
    consultation = await store.get_consultation(conn, question_id, for_update=for_update)
    if consultation is None:
        outcome = await store.question_outcome(conn, question_id)
        if outcome is None:
            raise NotFound("unknown_question", f"Vraag {question_id} staat niet in het gezamenlijk overleg.")
        raise Conflict(
            "not_in_consultation", f"Vraag {question_id} staat niet (meer) in het overleg (status: {outcome})."
        )
    return consultation


async def assign_by_hand(
    conn: Conn,
    question_id: str,
    supporter_id: str,
    reason_text: str,
    by: str,
    source: str,
    scoring: Scoring | None = None,
    *,
    municipality: str | None = None,
) -> store.AssignmentView:
    """A coordinator assigns a question of the consultation queue by hand.

    Overrides the soft rules (municipality, life domains, language, kind) with a recorded reason,
    but never capacity, availability, independence or an earlier decline. ``municipality`` limits a
    coordinator to their own municipality's questions.
    """
    scoring = region_scoring(scoring)
    await store.lock_question(conn, question_id)
    received = await _received(conn, question_id, municipality)
    supporter = await _supporter(conn, question_id, supporter_id, "supporter_id")
    question = await question_of(conn, received)
    record = supporter.record()
    failures = await _failures(conn, question, record)
    if not await store.book_capacity(conn, supporter_id):
        raise Conflict(domain.NO_CAPACITY, "Deze ondersteuner heeft net geen plek meer vrij.")
    await store.delete_consultation(conn, question_id)
    scored = domain.score(question, record, scoring.weights, places=scoring.places)
    await record_assignment(
        conn,
        received,
        scored,
        source,
        lead=[manual_override_reason()],
        noted=failures,
        override_by=by,
        override_reason=reason_text,
    )
    found = await store.get_assignment(conn, question_id)
    assert found is not None
    return found


async def assign_duo_by_hand(
    conn: Conn,
    question_id: str,
    supporter_ids: tuple[str, str],
    reason_text: str,
    by: str,
    source: str,
    scoring: Scoring | None = None,
    *,
    municipality: str | None = None,
) -> store.AssignmentView:
    """A coordinator assigns a duo by hand: a professional plus a volunteer or experience expert, in
    either order in ``supporter_ids``.

    The same rules as :func:`assign_by_hand` for each of the two (capacity, availability,
    independence and an earlier decline are never overridden); the pair's soft misses (a life domain
    neither covers, a resident who asked for one supporter) are recorded with the reason. Both places
    are booked through the SQL guard, or neither: when one is full nobody is assigned. Returns the
    professional's (the lead's) assignment.
    """
    scoring = region_scoring(scoring)
    await store.lock_question(conn, question_id)
    received = await _received(conn, question_id, municipality)
    fields = ("supporter_id", "partner_supporter_id")
    if supporter_ids[0] == supporter_ids[1]:
        raise InvalidField("partner_supporter_id", "choose two different supporters")
    rows = [await _supporter(conn, question_id, sid, field) for sid, field in zip(supporter_ids, fields, strict=True)]
    pair = domain.as_pair(rows[0].record(), rows[1].record())
    if pair is None:
        raise InvalidField("partner_supporter_id", "a duo is one professional and one volunteer or experience expert")
    pro, partner = pair
    question = await question_of(conn, received)
    noted = domain.pair_notes(question, pro, partner)
    for member in pair:
        failures = await _failures(conn, question, member, name=next(r.name for r in rows if r.id == member.id))
        noted.extend(f for f in failures if f.code != domain.LIFE_DOMAIN_NOT_COVERED)
    if not await book_all(conn, [pro.id, partner.id]):
        raise Conflict(
            domain.NO_CAPACITY, "Een van de twee ondersteuners heeft net geen plek meer vrij. Er is niemand toegewezen."
        )
    await store.delete_consultation(conn, question_id)
    members = [domain.score(question, m, scoring.weights, places=scoring.places) for m in pair]
    at = datetime.now(UTC)
    for scored, role, other in ((members[0], "lead", partner.id), (members[1], "partner", pro.id)):
        await record_assignment(
            conn,
            received,
            scored,
            source,
            lead=[manual_override_reason()],
            noted=noted,
            role=role,
            partner_id=other,
            override_by=by,
            override_reason=reason_text,
            assigned_at=at,
        )
    found = await store.get_assignment(conn, question_id)
    assert found is not None
    return found


async def _received(conn: Conn, question_id: str, municipality: str | None) -> QuestionReceived:
    """The question of the consultation queue, locked, as matching received it."""
    consultation = await open_consultation(conn, question_id, municipality, for_update=True)
    if consultation.question is None:
        raise Conflict("question_unknown", f"De gegevens van vraag {question_id} ontbreken bij matching.")
    return QuestionReceived.model_validate(consultation.question)


async def _supporter(conn: Conn, question_id: str, supporter_id: str, field: str) -> store.SupporterRow:
    """A supporter who may be chosen for the question: known, and not one who declined it before."""
    supporter = await store.get_supporter_row(conn, supporter_id)
    if supporter is None:
        raise InvalidField(field, f"unknown supporter {supporter_id!r}")
    if supporter_id in (await store.declined_supporters(conn, [question_id])).get(question_id, frozenset()):
        raise Conflict(
            "declined_before",
            f"{supporter.name} heeft deze vraag al afgewezen. De vraag gaat niet opnieuw naar hen.",
        )
    return supporter


async def _failures(
    conn: Conn, question: domain.Question, record: domain.SupporterRecord, *, name: str | None = None
) -> list[Reason]:
    """The rules the supporter fails for the question; raises Conflict for one no coordinator may override
    (naming the supporter when ``name`` is given: one of a duo)."""
    failures = domain.failed_rules(question, record, await store.load_organisations(conn), today())
    blocking = [f for f in failures if f.code in NOT_OVERRIDABLE]
    if blocking:
        raise Conflict(blocking[0].code, f"{name}: {blocking[0].text}" if name else blocking[0].text)
    return failures


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
    scoring: Scoring | None = None,
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
    scoring = region_scoring(scoring)
    question = domain.Question.from_event(QuestionReceived.model_validate(row.question))
    rows = {s.id: s for s in supporters if s.id not in declined}
    nearest = nearest_candidates(
        question,
        [s.record() for s in rows.values()],
        organisations,
        limit=limit,
        weights=scoring.weights,
        today=today(),
        places=scoring.places,
    )
    return [_view(rows[c.supporter.id], c.failed_rules, c.score) for c in nearest]


def _view(supporter: store.SupporterRow, failed_rules: list[Reason], score: float) -> CandidateView:
    return CandidateView(
        supporter_id=supporter.id,
        name=supporter.name,
        organisation=supporter.organisation,
        kind=supporter.kind,
        free_places=max(supporter.capacity - supporter.active_cases, 0),
        failed_rules=failed_rules,
        score=score,
    )


@dataclass(frozen=True)
class QueueItem:
    """One question of the consultation queue with its live candidates."""

    consultation: store.ConsultationRow
    question: QuestionReceived | None
    candidates: list[CandidateView]


async def consultation_queue(
    conn: Conn, municipality: str | None = None, scoring: Scoring | None = None
) -> list[QueueItem]:
    """The questions that need the joint consultation, oldest first, each with its candidates now."""
    rows = await store.list_consultations(conn, municipality)
    if not rows:
        return []
    scoring = region_scoring(scoring)
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
            row, pools[place], organisations, declined.get(row.question_id, frozenset()), scoring
        )
        items.append(QueueItem(row, question, candidates))
    return items
