"""Capacity safety under scale-out (issue 4, item 5): three matching instances in one consumer group,
1,000 questions and a total capacity of 400 — exactly 400 are assigned, the rest wait or go to the
consultation, and no supporter is ever over capacity (checked in SQL and against the events).
"""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import pytest

from contracts import topics
from contracts.envelope import header_map
from contracts.events import ConsultationRequired, QuestionReceived, QuestionWaiting, SupporterAssigned
from services.kit.settings import Settings
from services.matching import store
from services.matching.domain import SupporterRecord
from tests.support.harness import events_of, eventually, owns_partitions, read_topic, run_service
from tests.support.matching import publish_all

pytestmark = pytest.mark.integration

INSTANCES = 3
QUESTIONS = 1_000
#: Questions in Tigrinya, which no supporter speaks: they go to the consultation.
NOBODY_FITS = 100
SUPPORTERS = 80
CAPACITY = 5
PLACES = SUPPORTERS * CAPACITY  # 400
PLACES_MUNICIPALITIES = ("GM0505", "GM0642")


def supporter(n: int) -> SupporterRecord:
    return SupporterRecord(
        id=f"scale-{n:03d}",
        name=f"Ondersteuner {n}",
        email=f"s{n}@mee.example",
        kind="professional" if n % 2 else "volunteer",
        organisation="mee",
        municipalities=list(PLACES_MUNICIPALITIES),
        life_domains=["wmo", "youth", "debts"],
        languages=["nl", "en"],
        capacity=CAPACITY,
        postcode=f"{3300 + n % 40}",
    )


def questions() -> list[QuestionReceived]:
    run = uuid.uuid4().hex[:6]
    return [
        QuestionReceived(
            question_id=f"scale-q-{n:04d}-{run}",
            resident_ref=f"r-{n}-{run}",
            municipality=PLACES_MUNICIPALITIES[n % 2],
            life_domains=[("wmo", "youth", "debts")[n % 3]],
            preferred_supporter_kind="any",
            languages=["ti"] if n % 10 == 0 else ["nl"],
            postcode=f"{3300 + n % 50}",
            channel="web",
            received_at=datetime.now(UTC),
        )
        for n in range(QUESTIONS)
    ]


async def test_three_instances_assign_exactly_the_capacity(settings: Settings) -> None:
    async with AsyncExitStack() as stack:
        one_each = settings.model_copy(update={"consumer_concurrency": 1})  # one consumer per group and instance
        instances = [await stack.enter_async_context(run_service("matching", one_each)) for _ in range(INSTANCES)]
        db = instances[0].runtime.db
        async with db.acquire() as conn:
            await store.upsert_organisation(conn, "mee", "MEE Plus", False)
            for n in range(SUPPORTERS):
                await store.upsert_supporter(conn, supporter(n))
        # Every instance must own partitions of every group, or this would not prove anything about three.
        await eventually(lambda: all(owns_partitions(svc) for svc in instances), timeout=60)

        sent = questions()
        await publish_all(settings, list(sent))
        await eventually(
            lambda: db.fetchval(
                "SELECT (SELECT count(*) FROM assignments) + (SELECT count(*) FROM waiting)"
                " + (SELECT count(*) FROM consultations) = $1",
                QUESTIONS,
            ),
            timeout=120,
        )
        await eventually(lambda: db.fetchval("SELECT count(*) = 0 FROM outbox"), timeout=60)

        # The books: exactly the capacity assigned, nobody over it, each place backed by one assignment.
        assert await db.fetchval("SELECT count(*) FROM assignments") == PLACES
        assert await db.fetchval("SELECT count(DISTINCT question_id) FROM assignments") == PLACES
        assert await db.fetchval("SELECT count(*) FROM consultations") == NOBODY_FITS
        assert await db.fetchval("SELECT count(*) FROM waiting") == QUESTIONS - PLACES - NOBODY_FITS
        assert await db.fetchval("SELECT count(*) FROM supporters WHERE active_cases > capacity") == 0
        assert await db.fetchval("SELECT sum(active_cases) FROM supporters") == PLACES
        mismatched = await db.fetchval(
            "SELECT count(*) FROM supporters s WHERE s.active_cases <>"
            " (SELECT count(*) FROM assignments a WHERE a.supporter_id = s.id AND a.status IN ('assigned', 'accepted'))"
        )
        assert mismatched == 0
        # Each question was handled exactly once, spread over the three instances' partitions.
        handled = await db.fetchval("SELECT count(*) FROM inbox WHERE consumer = 'matching.questions'")
        assert handled == QUESTIONS

        # The events agree with the books: one outcome per question, 400 of them assignments.
        outcomes = {SupporterAssigned.ce_type, QuestionWaiting.ce_type, ConsultationRequired.ce_type}
        records = await read_topic(
            settings,
            topics.ASSIGNMENTS,
            until=lambda rs: sum(header_map(r.headers).get("ce_type") in outcomes for r in rs) >= QUESTIONS,
            timeout=60,
        )
        assigned = events_of(records, SupporterAssigned.ce_type)
        waiting = events_of(records, QuestionWaiting.ce_type)
        consulted = events_of(records, ConsultationRequired.ce_type)
        assert len(assigned) == len({e.subject for e in assigned}) == PLACES
        assert len(consulted) == NOBODY_FITS
        assert len(waiting) == QUESTIONS - PLACES - NOBODY_FITS
        assert {e.subject for e in assigned} | {e.subject for e in waiting} | {e.subject for e in consulted} == {
            q.question_id for q in sent
        }
        per_supporter: dict[str, int] = {}
        for event in assigned:
            per_supporter[event.data["supporter_id"]] = per_supporter.get(event.data["supporter_id"], 0) + 1
        assert max(per_supporter.values()) <= CAPACITY
