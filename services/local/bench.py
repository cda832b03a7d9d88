"""`samenloket bench`: drive the running system and report throughput and latency as JSON.

It publishes N ReferralSubmitted events on the partner topic (at a rate, or as fast as it can) and
follows them through intake, matching, notifications and reporting (reporting's operational
``/api/v1/reports/ingest``: how many SupporterAssigned events it stored, never figures about people).
In the same run it measures the raw broker (produce and consume) and the raw database (small
transactions), so the numbers can be read against what the infrastructure itself manages. Bench
supporters speak Papiamento (``pap``), which the demo region's supporters do not, so bench questions
never take demo capacity; they are deactivated when the run ends.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from contracts import topics
from contracts.envelope import decode, encode, from_model
from contracts.events import Consent, Contact, ReferralSubmitted, SupporterAssigned
from services.kit import broker, db
from services.kit.settings import Settings, load_settings
from services.local import bench_http, bench_reporting
from services.local.bench_procs import cpu_between, percentiles, snapshot
from services.matching import store as matching_store
from services.matching.domain import SupporterRecord
from services.reporting.ingest import Ingest

BENCH_LANGUAGE = "pap"
BENCH_MUNICIPALITY = "GM0505"
RAW_TOPIC = "samenloket.bench.raw"
BENCH_SUPPORTERS = 50


@dataclass
class Target:
    """Where the running system is: from `samenloket up`'s state file or from the settings."""

    settings: Settings
    intake_url: str
    reporting_url: str
    token: str
    #: `samenloket up`'s state file (pids, the demo partner key), None when the system runs otherwise.
    state: dict[str, Any] | None = None

    @classmethod
    def find(cls, data_dir: Path | None) -> Target:
        settings = load_settings()
        state_path = (data_dir or settings.data_dir) / "run.json"
        if state_path.exists():
            state = json.loads(state_path.read_text())
            settings = settings.model_copy(
                update={
                    "database_url": state["database_url"],
                    "kafka_bootstrap_servers": state["kafka_bootstrap_servers"],
                }
            )
            services = state["services"]
            return cls(
                settings, services["intake"]["url"], services["reporting"]["url"], state["internal_token"], state
            )
        if not settings.database_url or not settings.kafka_bootstrap_servers:
            raise SystemExit(f"no running system: {state_path} not found and SAMENLOKET_* not set (run `make run`)")
        token = settings.internal_token.get_secret_value()
        return cls(settings, settings.intake_url, "http://127.0.0.1:8004", token)


@dataclass
class Follow:
    """What the bench saw come back, per question."""

    run_id: str
    assigned_at: dict[str, float] = field(default_factory=dict)
    latency_ms: list[float] = field(default_factory=list)
    waiting: set[str] = field(default_factory=set)
    consultation: set[str] = field(default_factory=set)
    notified: dict[str, float] = field(default_factory=dict)

    def done(self, n: int) -> bool:
        return self.outcomes() >= n and all(q in self.notified for q in self.assigned_at)

    def notified_mine(self) -> dict[str, float]:
        """Supporter notifications of this run's questions (the reader sees everyone's)."""
        return {q: t for q, t in self.notified.items() if q in self.assigned_at}

    def outcomes(self) -> int:
        return len(self.assigned_at) + len(self.waiting) + len(self.consultation)


@dataclass
class Options:
    """What one `samenloket bench` run does."""

    questions: int
    rate: float = 100.0
    rate_questions: int = 0
    wait_seconds: float = 300.0
    http: bool = False
    http_requests: int = 2000
    http_rate: float = 200.0
    http_concurrency: int = 16
    reporting: bool = False
    reporting_requests: int = 50

    @property
    def at_rate(self) -> int:
        """Questions of the offered-rate pass (0: no such pass)."""
        if not self.rate:
            return 0
        return self.rate_questions or min(self.questions, int(self.rate * 20))

    @property
    def http_at_rate(self) -> int:
        return min(self.http_requests, int(self.http_rate * 10)) if self.http and self.http_rate else 0


async def run_bench(options: Options, data_dir: Path | None) -> dict[str, Any]:
    target = Target.find(data_dir)
    settings = target.settings
    run_id = uuid.uuid4().hex[:8]
    n = options.questions
    result: dict[str, Any] = {
        "run_id": run_id,
        "questions": n,
        "rate_target_per_s": options.rate or None,
        "note": "a shared machine: rates vary with other load; CPU-seconds per question vary less",
    }
    result["raw_broker"] = await raw_broker(settings, max(n, 20_000))
    result["raw_database"] = await raw_database(settings, max(n // 2, 5_000))
    http_total = (options.http_requests + options.http_at_rate) if options.http else 0
    await seed_supporters(settings, run_id, n + options.at_rate + http_total)
    try:
        result["system"] = await through_the_system(target, run_id, 0, n, 0.0, options.wait_seconds)
        if options.at_rate:
            result["system_at_rate"] = await through_the_system(
                target, run_id, n, options.at_rate, options.rate, options.wait_seconds
            )
        if options.http:
            result["http"] = await bench_http.run(target, run_id, options)
        if options.reporting:
            result["reporting"] = await bench_reporting.run(target, options.reporting_requests)
    finally:
        await retire_supporters(settings, run_id)
    return result


async def through_the_system(
    target: Target, run_id: str, first: int, n: int, rate: float, wait_seconds: float
) -> dict[str, Any]:
    settings = target.settings
    follow = Follow(run_id)
    report_before = await report_assigned(target)
    readers = [await end_reader(settings, topics.ASSIGNMENTS), await end_reader(settings, topics.NOTIFICATIONS)]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(watch(r, follow, stop)) for r in readers]
    cpu_before = snapshot(target.state)
    started = time.perf_counter()
    publish_seconds = await publish_referrals(settings, run_id, first, n, rate)
    deadline = started + wait_seconds
    while not follow.done(n) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    await wait_for_report(target, report_before + len(follow.assigned_at), deadline)
    report_seconds = time.perf_counter() - started if time.perf_counter() < deadline else None
    cpu_after = snapshot(target.state)
    stop.set()
    await asyncio.gather(*tasks)
    for reader in readers:
        await reader.stop()
    summary = summarise(follow, n, started, publish_seconds, report_seconds)
    summary["offered_per_s"] = rate or "max"
    summary["cpu"] = cpu_between(cpu_before, cpu_after, n)
    return summary


def summarise(
    follow: Follow, n: int, started: float, publish_seconds: float, report_seconds: float | None
) -> dict[str, Any]:
    last_assigned = max(follow.assigned_at.values(), default=started)
    notified = follow.notified_mine()
    last_notified = max(notified.values(), default=started)
    assigned = len(follow.assigned_at)
    return {
        "published_in_s": round(publish_seconds, 3),
        "publish_rate_per_s": round(n / publish_seconds, 1) if publish_seconds else None,
        "outcomes": follow.outcomes(),
        "assigned": assigned,
        "waiting": len(follow.waiting),
        "consultation": len(follow.consultation),
        "assignment_throughput_per_s": round(assigned / (last_assigned - started), 1) if assigned else None,
        "accepted_to_assigned_ms": percentiles(follow.latency_ms),
        "notifications_sent": len(notified),
        "end_to_end_throughput_per_s": round(len(notified) / (last_notified - started), 1) if notified else None,
        "report_caught_up_after_s": round(report_seconds, 3) if report_seconds is not None else None,
        "through_report_per_s": round(assigned / report_seconds, 1) if report_seconds else None,
    }


async def publish_referrals(settings: Settings, run_id: str, first: int, n: int, rate: float) -> float:
    """Publish referrals ``first..first+n`` from partner ``bench-<run>``; return the seconds it took."""
    producer = broker.make_producer(settings, linger_ms=5)
    await producer.start()
    started = time.perf_counter()
    try:
        futures = []
        for i in range(n):
            if rate:
                ahead = started + i / rate - time.perf_counter()
                if ahead > 0:
                    await asyncio.sleep(ahead)
            key, value, headers = encode(from_model(referral(run_id, first + i), source="/bench"))
            futures.append(await producer.send(topics.REFERRALS_INBOUND, value=value, key=key, headers=headers))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.perf_counter() - started


def referral(run_id: str, i: int) -> ReferralSubmitted:
    return ReferralSubmitted(
        municipality=BENCH_MUNICIPALITY,
        life_domains=["wmo"],
        description="Benchmarkvraag: hulp bij een aanvraag.",
        preferred_supporter_kind="any",
        languages=[BENCH_LANGUAGE],
        postcode="3311",
        contact=Contact(name=f"Bench {run_id} {i}", email=f"bench-{run_id}-{i}@bench.example"),
        consent=Consent(share_with_supporter=True),
        partner_reference=f"{run_id}-{i}",
        referrer=f"bench-{run_id}",
    )


async def watch(reader: AIOKafkaConsumer, follow: Follow, stop: asyncio.Event) -> None:
    """Follow outcome and notification events of this run's questions."""
    prefix = f"bench-{follow.run_id}-"
    while not stop.is_set():
        batch = await reader.getmany(timeout_ms=100, max_records=5000)
        now = time.perf_counter()
        for records in batch.values():
            for record in records:
                event = decode(record.headers, record.value)
                data = event.data
                if event.type.endswith("supporter.assigned.v1") and data["supporter_id"].startswith(prefix):
                    follow.assigned_at.setdefault(data["question_id"], now)
                    follow.latency_ms.append(latency_ms(data["received_at"], data["assigned_at"]))
                elif is_supporter_notice(event.type, data):
                    follow.notified.setdefault(data["question_id"], now)


def is_supporter_notice(ce_type: str, data: dict[str, Any]) -> bool:
    return ce_type.endswith("notification.sent.v1") and data.get("recipient_role") == "supporter"


def latency_ms(received_at: str, assigned_at: str) -> float:
    delta = datetime.fromisoformat(assigned_at) - datetime.fromisoformat(received_at)
    return delta.total_seconds() * 1000


async def end_reader(settings: Settings, topic: str) -> AIOKafkaConsumer:
    """A group-less reader positioned at the end of every partition of ``topic``."""
    reader = AIOKafkaConsumer(**broker.client_options(settings), enable_auto_commit=False)
    await reader.start()
    await reader._client.force_metadata_update()
    partitions = reader.partitions_for_topic(topic) or set()
    reader.assign([TopicPartition(topic, p) for p in sorted(partitions)])
    await reader.seek_to_end()
    for tp in reader.assignment():
        await reader.position(tp)  # resolve "end" now, before anything is published
    return reader


async def report_assigned(target: Target) -> int:
    """SupporterAssigned events reporting stored (and so projected) so far, from its ingest endpoint."""
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(
            f"{target.reporting_url}/api/v1/reports/ingest", headers={"Authorization": f"Bearer {target.token}"}
        )
        response.raise_for_status()
        return Ingest.model_validate(response.json()).count(SupporterAssigned.ce_type)


async def wait_for_report(target: Target, expected: int, deadline: float) -> None:
    """Poll reporting until it stored ``expected`` SupporterAssigned events or the deadline passes."""
    while time.perf_counter() < deadline and await report_assigned(target) < expected:
        await asyncio.sleep(0.1)


async def raw_broker(settings: Settings, n: int) -> dict[str, float]:
    """Produce and consume n 400-byte messages on a bench topic: the broker's own pace."""
    admin = AIOKafkaAdminClient(**broker.client_options(settings))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(RAW_TOPIC, settings.kafka_topic_partitions, 1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        await admin.close()
    producer = broker.make_producer(settings, linger_ms=5)
    await producer.start()
    payload = b"x" * 400
    reader = await end_reader(settings, RAW_TOPIC)
    started = time.perf_counter()
    futures = [await producer.send(RAW_TOPIC, value=payload, key=str(i).encode()) for i in range(n)]
    await asyncio.gather(*futures)
    produce_seconds = time.perf_counter() - started
    await producer.stop()
    seen, started = 0, time.perf_counter()
    while seen < n:
        batch = await reader.getmany(timeout_ms=500, max_records=10_000)
        seen += sum(len(records) for records in batch.values())
    consume_seconds = time.perf_counter() - started
    await reader.stop()
    return {
        "messages": n,
        "produce_per_s": round(n / produce_seconds, 1),
        "consume_per_s": round(n / consume_seconds, 1),
    }


async def raw_database(settings: Settings, n: int) -> dict[str, float]:
    """n small insert transactions over 10 connections: the database's own pace for our kind of work."""
    pool = await asyncpg.create_pool(settings.database_url, min_size=10, max_size=10)
    assert pool is not None
    try:
        await pool.execute("CREATE TABLE IF NOT EXISTS bench_raw (id bigserial PRIMARY KEY, body text)")

        async def worker(count: int) -> None:
            async with pool.acquire() as conn:
                for _ in range(count):
                    async with conn.transaction():
                        await conn.execute("INSERT INTO bench_raw (body) VALUES ($1)", "x" * 200)

        started = time.perf_counter()
        await asyncio.gather(*(worker(n // 10) for _ in range(10)))
        seconds = time.perf_counter() - started
        await pool.execute("DROP TABLE bench_raw")
    finally:
        await pool.close()
    return {"transactions": n // 10 * 10, "transactions_per_s": round(n // 10 * 10 / seconds, 1)}


async def seed_supporters(settings: Settings, run_id: str, n: int) -> None:
    pool = await db.create_pool(settings.database_url, "matching", max_size=2)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await matching_store.upsert_organisation(conn, "bench-org", "Benchmark", False)
            for i in range(BENCH_SUPPORTERS):
                await matching_store.upsert_supporter(conn, bench_supporter(run_id, i, n))
    finally:
        await pool.close()


def bench_supporter(run_id: str, i: int, n: int) -> SupporterRecord:
    return SupporterRecord(
        id=f"bench-{run_id}-{i:03d}",
        name=f"Bench {i}",
        email=f"bench-{i}@bench.example",
        kind="professional",
        organisation="bench-org",
        municipalities=[BENCH_MUNICIPALITY],
        life_domains=["wmo"],
        languages=["nl", BENCH_LANGUAGE],
        capacity=math.ceil(n / BENCH_SUPPORTERS) + 5,
        postcode="3311",
    )


async def retire_supporters(settings: Settings, run_id: str) -> None:
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute("UPDATE matching.supporters SET active = false WHERE id LIKE $1", f"bench-{run_id}-%")
    finally:
        await conn.close()
