"""Exactly once, proven at scale: 500 SupporterAssigned events, notifications SIGKILLed in the middle
of sending and started again, as a REAL process (``python -m services.cli serve notifications``).

Real SMTP (aiosmtpd in this process), real HTTP contact endpoints, the module's PostgreSQL and broker.
Afterwards: every delivery is ``sent`` and its mail is in the mailbox; distinct Message-IDs equal the
deliveries; only mails that were in flight at the kill arrive twice (with the same Message-ID), and
there are at most as many as could be in flight: the consumer group handles at most
``SAMENLOKET_CONSUMER_CONCURRENCY`` events at once (that many consumers, one message each), and each
handler sends its mails one after another. The brief's looser bound, concurrency x partitions, holds
then too; both are asserted.
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts import topics
from contracts.envelope import CloudEvent, encode
from services.kit import broker
from services.kit.settings import Settings
from tests.support.notifications import TOKEN, ContactServer, assigned_event, free_port, smtp_server

pytestmark = pytest.mark.integration

EVENTS = 500
CONCURRENCY = 4
REPO_ROOT = Path(__file__).resolve().parents[2]


class SlowMailBox:
    """Accepts every mail after a short pause, so that the kill lands in the middle of the sending."""

    def __init__(self) -> None:
        self.port = free_port()
        self.message_ids: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.005)
        for line in envelope.original_content.splitlines():
            if line.lower().startswith(b"message-id:"):
                self.message_ids.append(line.split(b":", 1)[1].strip().decode())
                break
        return "250 OK"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[SlowMailBox]:
    with smtp_server(SlowMailBox()) as box:
        yield box


def start(settings: Settings, mailbox: SlowMailBox, contacts: ContactServer, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "SAMENLOKET_DATABASE_URL": settings.database_url,
        "SAMENLOKET_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "SAMENLOKET_KAFKA_TOPIC_PARTITIONS": str(settings.kafka_topic_partitions),
        "SAMENLOKET_PORT": str(free_port()),
        "SAMENLOKET_INTERNAL_TOKEN": TOKEN,
        "SAMENLOKET_SMTP_HOST": "127.0.0.1",
        "SAMENLOKET_SMTP_PORT": str(mailbox.port),
        "SAMENLOKET_INTAKE_URL": contacts.url,
        "SAMENLOKET_MATCHING_URL": contacts.url,
        "SAMENLOKET_CONSUMER_CONCURRENCY": str(CONCURRENCY),
        "SAMENLOKET_CONSUMER_RETRY_BASE_SECONDS": "0.05",
        "SAMENLOKET_DATA_DIR": str(settings.data_dir),
        "SAMENLOKET_LOG_LEVEL": "WARNING",
    }
    out = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", "notifications"],
        cwd=REPO_ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )


def assignments(contacts: ContactServer, run: str) -> list[CloudEvent]:
    """One supporter (and no resident: intake answers 404) per event: one mail per event."""
    events = []
    for n in range(EVENTS):
        question_id, supporter_id = f"q-{run}-{n}", f"s-{run}-{n}"
        contacts.supporters[supporter_id] = {
            "supporter_id": supporter_id,
            "name": "Fatima el Amrani",
            "email": f"sup-{run}-{n}@example.nl",
            "organisation": "MEE Plus",
        }
        events.append(assigned_event(question_id, supporter_id, assignment_id=f"a-{run}-{n}"))
    return events


async def publish_all(settings: Settings, events: list[CloudEvent]) -> None:
    producer = broker.make_producer(settings)
    await producer.start()
    try:
        sends = []
        for event in events:
            key, value, headers = encode(event)
            sends.append(await producer.send(topics.ASSIGNMENTS, value=value, key=key, headers=headers))
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


async def wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def test_500_mails_survive_a_sigkill_exactly_once_per_message_id(
    settings: Settings, mailbox: SlowMailBox, contacts: ContactServer, tmp_path: Path
) -> None:
    import asyncpg

    await broker.create_topics(settings)
    run = uuid.uuid4().hex[:8]
    events = assignments(contacts, run)
    log = tmp_path / "notifications.log"
    process = start(settings, mailbox, contacts, log)
    try:
        await publish_all(settings, events)

        async def some_sent() -> bool:
            return len(mailbox.message_ids) >= EVENTS // 4 or process.poll() is not None

        await wait_for(some_sent, 60, "the first mails")
        assert process.poll() is None, log.read_text()[-3000:]
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        at_kill = len(mailbox.message_ids)
        assert at_kill < EVENTS, "the kill must land in the middle of the sending"

        process = start(settings, mailbox, contacts, log)
        conn = await asyncpg.connect(settings.database_url, server_settings={"search_path": "notifications"})
        try:
            ids = [e.id for e in events]

            async def all_sent() -> bool:
                sent = await conn.fetchval(
                    "SELECT count(*) FROM deliveries WHERE cause_event_id = ANY($1) AND status = 'sent'", ids
                )
                return bool(sent == EVENTS) or process.poll() is not None

            await wait_for(all_sent, 75, "every delivery to be sent after the restart")
            assert process.poll() is None, log.read_text()[-3000:]
            rows = await conn.fetch(
                "SELECT message_id, status, attempts FROM deliveries WHERE cause_event_id = ANY($1)", ids
            )
        finally:
            await conn.close()
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()

    assert len(rows) == EVENTS and all(r["status"] == "sent" for r in rows)
    expected = {r["message_id"] for r in rows}
    received = collections.Counter(m for m in mailbox.message_ids if m in expected)
    assert set(received) == expected, "the SMTP server has a mail for every delivery"
    assert len(received) == len(rows), "distinct Message-IDs == deliveries"
    twice = {m: n for m, n in received.items() if n > 1}
    assert all(n == 2 for n in twice.values()), "a mail arrives at most twice"
    partitions = settings.kafka_topic_partitions
    assert len(twice) <= CONCURRENCY, f"only sends in flight at the kill repeat ({len(twice)} > {CONCURRENCY})"
    assert len(twice) <= CONCURRENCY * partitions
    attempts = {r["message_id"]: r["attempts"] for r in rows}
    assert all(attempts[m] >= 2 for m in twice), "a repeated mail was claimed again after the restart"
