"""``samenloket dlq list`` and ``samenloket dlq replay`` on a real broker and database.

A consumer dead-letters a question its handler cannot take; once the cause is gone, the replay
puts it back on its original topic (without the ``dlq_*`` headers), the consumer handles it, and a
second replay sends nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord

from contracts import topics
from contracts.envelope import CloudEvent, from_model
from contracts.events import QuestionReceived
from services.kit import broker, db
from services.kit.db import Conn
from services.kit.messaging import PermanentError
from services.kit.messaging.subscriber import subscriber
from services.kit.settings import Settings
from tests.support.consuming import consuming
from tests.support.harness import eventually, publish, publish_raw, read_topic

pytestmark = pytest.mark.integration

SCHEMA = "dlqtest"
ROOT = Path(__file__).resolve().parents[2]


class Handler:
    """Takes questions, except those it is told it can never take."""

    def __init__(self) -> None:
        self.refused: set[str] = set()

    async def __call__(self, conn: Conn, event: CloudEvent, payload: QuestionReceived) -> None:
        if payload.question_id in self.refused:
            raise PermanentError("no supporter register for this municipality yet")
        await conn.execute("INSERT INTO effects VALUES ($1)", payload.question_id)


@pytest.fixture(scope="module")
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    await db.migrate(settings.database_url, SCHEMA, package="")
    pool = await db.create_pool(settings.database_url, SCHEMA)
    await pool.execute("CREATE TABLE IF NOT EXISTS effects (question_id text PRIMARY KEY)")
    await broker.create_topics(settings)
    yield pool
    await pool.close()


def question() -> QuestionReceived:
    return QuestionReceived(
        question_id=f"q-{uuid.uuid4()}",
        resident_ref=str(uuid.uuid4()),
        municipality="GM0505",
        life_domains=["wmo"],
        preferred_supporter_kind="any",
        languages=["nl"],
        postcode="3311",
        channel="web",
        received_at=datetime.now(UTC),
    )


async def samenloket(settings: Settings, *args: str) -> str:
    """Run the real command line in a child process against this module's broker."""
    env = {**os.environ, "SAMENLOKET_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode == 0, err.decode()
    return out.decode()


def of_question(records: list[ConsumerRecord], question_id: str) -> list[ConsumerRecord]:
    return [r for r in records if r.key == question_id.encode()]


async def test_dead_letter_is_listed_replayed_once_and_then_handled(
    settings: Settings, pool: asyncpg.Pool, producer: AIOKafkaProducer
) -> None:
    handler = Handler()
    questions = subscriber("questions", topics.QUESTIONS).handle(QuestionReceived, handler)
    stuck = question()
    handler.refused.add(stuck.question_id)
    await publish(settings, topics.QUESTIONS, from_model(stuck, source="/samenloket/intake"))
    [original] = of_question(
        await read_topic(settings, topics.QUESTIONS, lambda rs: bool(of_question(rs, stuck.question_id))),
        stuck.question_id,
    )
    async with consuming(settings, pool, questions, producer, service="dlqtest"):
        await read_topic(settings, topics.dlq(topics.QUESTIONS), lambda rs: bool(of_question(rs, stuck.question_id)))
    # A dead letter of another topic that landed here is never sent to the wrong place.
    await publish_raw(
        settings,
        topics.dlq(topics.QUESTIONS),
        b"elsewhere",
        b"{}",
        [("dlq_original_topic", topics.ASSIGNMENTS.encode()), ("dlq_reason", b"misrouted")],
    )
    # A letter sent without its value (too large to send as it came) can never be replayed: skipped.
    omitted = [("dlq_original_topic", topics.QUESTIONS.encode()), ("dlq_value_omitted", b"2097152 bytes: test")]
    await producer.send_and_wait(topics.dlq(topics.QUESTIONS), value=None, key=b"too-large", headers=omitted)
    await read_topic(settings, topics.dlq(topics.QUESTIONS), lambda rs: len(of_question(rs, stuck.question_id)) == 1)

    listed = [json.loads(line) for line in (await samenloket(settings, "dlq", "list", topics.QUESTIONS)).splitlines()]
    [letter] = [entry for entry in listed if entry["event_id"] == original_id(original)]
    assert letter["type"] == QuestionReceived.ce_type
    assert letter["reason"] == "no supporter register for this municipality yet"
    assert letter["exception"] == "PermanentError"
    assert letter["consumer"] == "dlqtest.questions"
    assert (letter["original_topic"], letter["original_partition"], letter["original_offset"]) == (
        topics.QUESTIONS,
        original.partition,
        original.offset,
    )
    assert letter["attempts"] == 1
    assert not {"value", "data", "payload"} & set(letter), "a listing never shows the payload"
    assert letter["value_omitted"] is None
    assert [e["value_omitted"] for e in listed if e["value_omitted"]] == ["2097152 bytes: test"]

    dry = json.loads(await samenloket(settings, "dlq", "replay", topics.QUESTIONS, "--dry-run"))
    assert dry == {"replayed": 1, "skipped": 2, "dry_run": True}

    handler.refused.clear()  # the cause is fixed
    first = json.loads(await samenloket(settings, "dlq", "replay", topics.dlq(topics.QUESTIONS)))
    assert first == {"replayed": 1, "skipped": 2}
    again = json.loads(await samenloket(settings, "dlq", "replay", topics.QUESTIONS))
    assert again == {"replayed": 0, "skipped": 0}

    records = await read_topic(settings, topics.QUESTIONS, lambda rs: len(of_question(rs, stuck.question_id)) == 2)
    assert len(of_question(records, stuck.question_id)) == 2, "replayed exactly once"
    replayed = of_question(records, stuck.question_id)[1]
    names = {name for name, _ in replayed.headers}
    assert "dlq_replayed_at" in names
    assert not {n for n in names if n.startswith("dlq_") and n != "dlq_replayed_at"}
    assert replayed.value == original.value
    assert dict(replayed.headers)["ce_id"] == dict(original.headers)["ce_id"]

    async with consuming(settings, pool, questions, producer, service="dlqtest"):  # the group goes on after the letter
        await eventually(
            lambda: pool.fetchval("SELECT count(*) FROM effects WHERE question_id = $1", stuck.question_id)
        )
    assert await pool.fetchval("SELECT count(*) FROM effects WHERE question_id = $1", stuck.question_id) == 1


def original_id(record: ConsumerRecord) -> Any:
    return dict(record.headers)["ce_id"].decode()
