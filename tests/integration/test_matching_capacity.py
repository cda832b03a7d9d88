"""Capacity safety: two matching instances in one consumer group never overbook a supporter."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from contracts import topics
from contracts.envelope import encode, from_model, header_map
from contracts.events import QuestionReceived, QuestionWaiting, SupporterAssigned
from services.kit import broker
from services.kit.settings import Settings
from services.matching import store
from services.matching.domain import SupporterRecord
from tests.support.harness import events_of, eventually, owns_partitions, read_topic, run_service

pytestmark = pytest.mark.integration

QUESTIONS = 40
SUPPORTERS = 3
CAPACITY = 5


async def publish_questions(settings: Settings, questions: list[QuestionReceived]) -> None:
    """Publish all questions at once with one producer, so both instances get work together."""
    producer = broker.make_producer(settings)
    await producer.start()
    try:
        for q in questions:
            key, value, headers = encode(from_model(q, source="/samenloket/intake"))
            await producer.send(topics.QUESTIONS, value=value, key=key, headers=headers)
        await producer.flush()
    finally:
        await producer.stop()


async def test_two_instances_book_exactly_the_capacity(settings: Settings) -> None:
    one_each = settings.model_copy(update={"consumer_concurrency": 1})  # one consumer per group and instance
    async with run_service("matching", one_each) as one, run_service("matching", one_each) as two:
        db = one.runtime.db
        async with db.acquire() as conn:
            await store.upsert_organisation(conn, "mee", "MEE Plus", False)
            for i in range(SUPPORTERS):
                await store.upsert_supporter(
                    conn,
                    SupporterRecord(
                        id=f"cap-{i}",
                        name=f"Ondersteuner {i}",
                        email=f"s{i}@mee.example",
                        kind="professional",
                        organisation="mee",
                        municipalities=["GM0505"],
                        life_domains=["wmo"],
                        languages=["nl"],
                        capacity=CAPACITY,
                        postcode="3311",
                    ),
                )
        # Both instances must own partitions, or this test would not prove anything about two of them.
        await eventually(lambda: owns_partitions(one) and owns_partitions(two), timeout=30)

        questions = [
            QuestionReceived(
                question_id=f"cap-q-{n:02d}-{uuid.uuid4().hex[:6]}",
                resident_ref=f"r-{n}",
                municipality="GM0505",
                life_domains=["wmo"],
                preferred_supporter_kind="any",
                languages=["nl"],
                postcode="3311",
                channel="web",
                received_at=datetime.now(UTC),
            )
            for n in range(QUESTIONS)
        ]
        await publish_questions(settings, questions)

        await eventually(
            lambda: db.fetchval(
                "SELECT (SELECT count(*) FROM assignments) + (SELECT count(*) FROM waiting) = $1", QUESTIONS
            ),
            timeout=60,
        )
        await eventually(lambda: db.fetchval("SELECT count(*) = 0 FROM outbox"), timeout=30)

        slots = SUPPORTERS * CAPACITY
        assert await db.fetchval("SELECT count(*) FROM assignments") == slots
        assert await db.fetchval("SELECT count(*) FROM waiting") == QUESTIONS - slots
        assert await db.fetchval("SELECT count(*) FROM supporters WHERE active_cases > capacity") == 0
        assert await db.fetchval("SELECT sum(active_cases) FROM supporters") == slots
        per_supporter = await db.fetch(
            "SELECT s.id, s.active_cases, count(a.*) AS assigned FROM supporters s"
            " LEFT JOIN assignments a ON a.supporter_id = s.id GROUP BY s.id, s.active_cases"
        )
        assert all(r["active_cases"] == r["assigned"] == CAPACITY for r in per_supporter)

        relevant = {SupporterAssigned.ce_type, QuestionWaiting.ce_type}
        records = await read_topic(
            settings,
            topics.ASSIGNMENTS,
            until=lambda rs: sum(header_map(r.headers).get("ce_type") in relevant for r in rs) >= QUESTIONS,
            timeout=30,
        )
        assigned = events_of(records, SupporterAssigned.ce_type)
        waiting = events_of(records, QuestionWaiting.ce_type)
        assert len(assigned) == slots and len({e.subject for e in assigned}) == slots
        assert len(waiting) == QUESTIONS - slots
        assert {e.subject for e in assigned} | {e.subject for e in waiting} == {q.question_id for q in questions}
