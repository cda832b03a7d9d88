"""A question that ends in intake (QuestionWithdrawn, QuestionClosed) against real PostgreSQL and a real
broker: matching frees the booked place, drops the question from the waiting list and the consultation
queue, never assigns it again, and gives the freed place to a waiting question. Also the race: a
withdrawal arriving while matching books a supporter for the question ends with the place free.

Each test uses a municipality of its own, so the waiting-list passes of one test never see another's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from contracts import topics
from contracts.events import (
    ConsultationRequired,
    QuestionClosed,
    QuestionWaiting,
    QuestionWithdrawn,
    Reason,
    SupporterAssigned,
)
from services.kit.settings import Settings
from services.matching import handlers, store
from tests.support.harness import RunningService, eventually, publish, run_service
from tests.support.matching import INTERNAL, envelope, events_about, question, supporter_body, types_about

pytestmark = pytest.mark.integration

NO_LONGER_NEEDED = Reason(code="no_longer_needed", text="De inwoner heeft geen hulp meer nodig.")


@pytest.fixture(scope="module")
async def matching(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("matching", settings) as svc:
        async with svc.runtime.db.acquire() as conn:
            await store.upsert_organisation(conn, "mee", "MEE Plus", False)
        yield svc


async def register(svc: RunningService, municipality: str, **changes: Any) -> str:
    answer = await svc.client.post("/api/v1/supporters", json=supporter_body(municipality, **changes), headers=INTERNAL)
    assert answer.status_code == 201, answer.text
    supporter_id: str = answer.json()["supporter_id"]
    return supporter_id


async def cases(svc: RunningService, supporter_id: str) -> int:
    value: int = await svc.runtime.db.fetchval("SELECT active_cases FROM supporters WHERE id = $1", supporter_id)
    return value


def withdrawn(question_id: str, municipality: str) -> QuestionWithdrawn:
    return QuestionWithdrawn(
        question_id=question_id,
        municipality=municipality,
        withdrawn_by="resident",
        reason=NO_LONGER_NEEDED,
        previous_status="assigned",
        withdrawn_at=datetime.now(UTC),
    )


async def ended(svc: RunningService, question_id: str) -> bool:
    return bool(await svc.runtime.db.fetchval("SELECT 1 FROM question_ends WHERE question_id = $1", question_id))


async def test_a_withdrawn_question_frees_its_place_which_goes_to_a_waiting_question(
    settings: Settings, matching: RunningService
) -> None:
    sid = await register(matching, "GM0505", capacity=1)
    first, second = question("GM0505"), question("GM0505")
    await publish(settings, topics.QUESTIONS, envelope(first))
    await events_about(settings, first.question_id, SupporterAssigned.ce_type)
    await publish(settings, topics.QUESTIONS, envelope(second))
    await events_about(settings, second.question_id, QuestionWaiting.ce_type)
    assert await cases(matching, sid) == 1
    shown = await matching.client.get(f"/internal/v1/questions/{first.question_id}/supporters", headers=INTERNAL)
    assert shown.status_code == 200
    assert [(s["name"], s["organisation_name"]) for s in shown.json()] == [("Anna de Wit", "MEE Plus")]

    await publish(settings, topics.QUESTIONS, envelope(withdrawn(first.question_id, "GM0505")))

    # The place freed (SQL guard) and went to the waiting question in the same transaction.
    [event] = await events_about(settings, second.question_id, SupporterAssigned.ce_type)
    assert event.data["supporter_id"] == sid
    assert await cases(matching, sid) == 1
    db = matching.runtime.db
    row = await db.fetchrow("SELECT status, close_reason FROM assignments WHERE question_id = $1", first.question_id)
    assert (row["status"], row["close_reason"]) == ("ended", "withdrawn")
    assert await db.fetchval("SELECT count(*) FROM waiting WHERE question_id = $1", second.question_id) == 0
    gone = await matching.client.get(f"/internal/v1/questions/{first.question_id}/supporters", headers=INTERNAL)
    assert gone.json() == []
    # No SupportEnded: the end is the question's (no experience invitation for support that never was).
    types = await types_about(settings, first.question_id, SupporterAssigned.ce_type)
    assert "nl.samenloket.support.ended.v1" not in types


async def test_a_withdrawn_question_is_never_assigned_again(settings: Settings, matching: RunningService) -> None:
    sid = await register(matching, "GM0642", capacity=1)
    blocker, waiting = question("GM0642"), question("GM0642")
    await publish(settings, topics.QUESTIONS, envelope(blocker))
    await events_about(settings, blocker.question_id, SupporterAssigned.ce_type)
    await publish(settings, topics.QUESTIONS, envelope(waiting))
    await events_about(settings, waiting.question_id, QuestionWaiting.ce_type)

    await publish(settings, topics.QUESTIONS, envelope(withdrawn(waiting.question_id, "GM0642")))
    await eventually(lambda: ended(matching, waiting.question_id))
    db = matching.runtime.db
    assert await db.fetchval("SELECT count(*) FROM waiting WHERE question_id = $1", waiting.question_id) == 0

    # A place frees: the withdrawn question is not given it.
    done = await matching.client.post(f"/api/v1/assignments/{blocker.question_id}/end", headers=INTERNAL)
    assert done.status_code == 200
    assert await cases(matching, sid) == 0
    # The same question announced again (a replay) is not matched either, though the place is free.
    async with db.acquire() as conn, conn.transaction():
        await handlers.match_question(conn, waiting, "/samenloket/matching")
    assert await cases(matching, sid) == 0
    assert await db.fetchval("SELECT count(*) FROM assignments WHERE question_id = $1", waiting.question_id) == 0
    assert await store.question_outcome(db, waiting.question_id) == "withdrawn"  # type: ignore[arg-type]


async def test_a_withdrawn_question_leaves_the_consultation_queue(settings: Settings, matching: RunningService) -> None:
    await register(matching, "GM0590")
    q = question("GM0590", languages=["so"])
    await publish(settings, topics.QUESTIONS, envelope(q))
    await events_about(settings, q.question_id, ConsultationRequired.ce_type)
    somali = await register(matching, "GM0590", languages=["nl", "so"])

    await publish(settings, topics.QUESTIONS, envelope(withdrawn(q.question_id, "GM0590")))
    await eventually(lambda: ended(matching, q.question_id))

    listed = await matching.client.get("/api/v1/consultations", params={"municipality": "GM0590"}, headers=INTERNAL)
    assert q.question_id not in {c["question_id"] for c in listed.json()}
    by_hand = await matching.client.post(
        f"/api/v1/consultations/{q.question_id}/assign",
        json={"supporter_id": somali, "reason": "Spreekt Somalisch."},
        headers=INTERNAL,
    )
    assert by_hand.status_code == 409 and "withdrawn" in by_hand.json()["detail"]
    assert await cases(matching, somali) == 0


async def test_a_question_closed_by_staff_ends_its_open_support(settings: Settings, matching: RunningService) -> None:
    sid = await register(matching, "GM0610")
    q = question("GM0610")
    await publish(settings, topics.QUESTIONS, envelope(q))
    await events_about(settings, q.question_id, SupporterAssigned.ce_type)
    assert await cases(matching, sid) == 1

    closed = QuestionClosed(
        question_id=q.question_id,
        municipality="GM0610",
        reason=Reason(code="closed_by_staff", text="Het Samenloket heeft de vraag afgesloten."),
        closed_at=datetime.now(UTC),
    )
    await publish(settings, topics.QUESTIONS, envelope(closed))
    await eventually(lambda: ended(matching, q.question_id))
    assert await cases(matching, sid) == 0
    row = await matching.runtime.db.fetchrow(
        "SELECT status, close_reason FROM assignments WHERE question_id = $1", q.question_id
    )
    assert (row["status"], row["close_reason"]) == ("ended", "closed")
    # The same end again changes nothing (and frees nothing twice).
    async with matching.runtime.db.acquire() as conn, conn.transaction():
        assert await handlers.let_go(conn, q.question_id, "closed", "closed_by_staff", datetime.now(UTC), "/t") == 0
    assert await cases(matching, sid) == 0


async def test_a_withdrawal_arriving_while_matching_books_a_supporter_ends_with_the_place_free(
    matching: RunningService,
) -> None:
    """Matching's transaction books the supporter and records the assignment; before it commits, the
    withdrawal arrives in another transaction. It waits for the booking, then frees the place."""
    sid = await register(matching, "GM0482", capacity=1)
    q = question("GM0482")
    db = matching.runtime.db
    booking_conn = await db.acquire()
    try:
        booking = booking_conn.transaction()
        await booking.start()
        await handlers.match_question(booking_conn, q, "/samenloket/matching")
        assert await booking_conn.fetchval("SELECT active_cases FROM supporters WHERE id = $1", sid) == 1

        async def withdraw() -> int:
            async with db.acquire() as conn, conn.transaction():
                return await handlers.let_go(
                    conn, q.question_id, "withdrawn", "no_longer_needed", datetime.now(UTC), "/t"
                )

        arriving = asyncio.create_task(withdraw())
        await asyncio.sleep(0.5)
        assert not arriving.done(), "the withdrawal must wait for the booking of the same question"
        await booking.commit()
    finally:
        await db.release(booking_conn)
    assert await asyncio.wait_for(arriving, 10) == 1
    assert await cases(matching, sid) == 0
    status = await db.fetchval("SELECT status FROM assignments WHERE question_id = $1", q.question_id)
    assert status == "ended"
    assert await store.question_outcome(db, q.question_id) == "withdrawn"  # type: ignore[arg-type]
