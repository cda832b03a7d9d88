"""`samenloket reporting seed --questions N`: a large region's years of questions in reporting, quickly.

For measuring reporting at scale (the overview API, the dashboard, the quarterly report, a rebuild),
never for a real deployment's database. The generator writes what reporting would have read: per
question a QuestionReceived and, for most, SupporterAssigned, AssignmentAccepted, FirstContactMade
and SupportEnded (some wait instead), plus SupporterRegistered for the region's supporters, spread
over ``years`` years across the region's municipalities. The events go into reporting's event store
with COPY, then :func:`services.reporting.rebuild.rebuild` builds the read models from them, so
the rebuild's throughput is measured on the way. Question and supporter ids start with ``seed-``.
Every event is a valid contract instance (a sample of each type is validated before writing).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from contracts import topics
from contracts.codes import CHANNELS, CONTACT_METHODS, SUPPORTER_KINDS
from contracts.events import REGISTRY
from services.kit.erasure import TOMBSTONE
from services.kit.region import current_region
from services.reporting import rebuild


def municipalities() -> tuple[str, ...]:
    """The municipalities of the region the command runs with (``SAMENLOKET_REGION_FILE``, else the demo)."""
    return tuple(sorted(current_region().municipality_names))


DOMAINS = ("wmo", "youth", "participation", "debts", "housing", "education", "health", "wlz")
ORGANISATIONS = ("seed-org-1", "seed-org-2", "seed-org-3", "seed-org-4")
COLUMNS = ["event_id", "topic", "type", "subject", "municipality", "time", "data"]
CHUNK = 50_000
Row = tuple[str, str, str, str, str, datetime, str]


def ce(model: str) -> str:
    return next(m.ce_type for m in REGISTRY.values() if m.__name__ == model)


RECEIVED, ASSIGNED, ACCEPTED = ce("QuestionReceived"), ce("SupporterAssigned"), ce("AssignmentAccepted")
CONTACT, ENDED, WAITING, REGISTERED = (
    ce("FirstContactMade"),
    ce("SupportEnded"),
    ce("QuestionWaiting"),
    ce("SupporterRegistered"),
)


def stamp(at: datetime) -> str:
    return at.isoformat()


def row(ce_type: str, topic: str, subject: str, municipality: str, at: datetime, data: dict[str, Any]) -> Row:
    return (str(uuid.uuid4()), topic, ce_type, subject, municipality, at, json.dumps(data, separators=(",", ":")))


def supporters(count: int, start: datetime) -> list[Row]:
    rows = []
    for i in range(count):
        sid = f"seed-s{i:05d}"
        places = municipalities()
        municipality = places[i % len(places)]
        data = {
            "supporter_id": sid,
            "organisation": ORGANISATIONS[i % len(ORGANISATIONS)],
            "kind": SUPPORTER_KINDS[i % len(SUPPORTER_KINDS)],
            "municipalities": [municipality],
            "life_domains": list(DOMAINS[i % 4 : i % 4 + 3]),
            "languages": ["nl"],
            "capacity": 20,
            "registered_at": stamp(start),
        }
        rows.append(row(REGISTERED, topics.SUPPORTERS, sid, municipality, start, data))
    return rows


def question(i: int, at: datetime, now: datetime, supporter_count: int, rng: random.Random) -> list[Row]:
    """The events of one question, those that happened before ``now``."""
    qid = f"seed-q{i:08d}"
    municipality = rng.choice(municipalities())
    received = {
        "question_id": qid,
        "resident_ref": TOMBSTONE,
        "municipality": municipality,
        "life_domains": rng.sample(DOMAINS, rng.choice((1, 1, 1, 2))),
        "preferred_supporter_kind": "any",
        "languages": ["nl"],
        "postcode": "3311",
        "channel": rng.choice(CHANNELS),
        "received_at": stamp(at),
    }
    rows = [row(RECEIVED, topics.QUESTIONS, qid, municipality, at, received)]
    if rng.random() < 0.07:
        waiting = {"question_id": qid, "municipality": municipality, "eligible_supporters": 3, "since": stamp(at)}
        rows.append(row(WAITING, topics.ASSIGNMENTS, qid, municipality, at, waiting))
        at += timedelta(days=rng.uniform(3, 40))
    assigned_at = at + timedelta(hours=rng.uniform(0.1, 72))
    if assigned_at > now:
        return rows
    s = rng.randrange(supporter_count)
    step = {
        "question_id": qid,
        "assignment_id": f"seed-a{i:08d}",
        "supporter_id": f"seed-s{s:05d}",
        "organisation": ORGANISATIONS[s % len(ORGANISATIONS)],
        "municipality": municipality,
    }
    assigned = step | {
        "supporter_kind": SUPPORTER_KINDS[s % len(SUPPORTER_KINDS)],
        "score": 0.8,
        "received_at": stamp(at),
        "assigned_at": stamp(assigned_at),
    }
    rows.append(row(ASSIGNED, topics.ASSIGNMENTS, qid, municipality, assigned_at, assigned))
    accepted_at = assigned_at + timedelta(hours=rng.uniform(1, 48))
    if rng.random() < 0.08 or accepted_at > now:
        return rows
    rows.append(
        row(ACCEPTED, topics.ASSIGNMENTS, qid, municipality, accepted_at, step | {"accepted_at": stamp(accepted_at)})
    )
    reached = accepted_at + timedelta(days=rng.uniform(0, 6))
    if reached < now and rng.random() < 0.93:
        contact = step | {
            "method": rng.choice(CONTACT_METHODS),
            "reached_on": reached.date().isoformat(),
            "recorded_at": stamp(reached),
        }
        rows.append(row(CONTACT, topics.ASSIGNMENTS, qid, municipality, reached, contact))
    ended_at = accepted_at + timedelta(days=rng.uniform(20, 200))
    if ended_at < now:
        rows.append(row(ENDED, topics.ASSIGNMENTS, qid, municipality, ended_at, step | {"ended_at": stamp(ended_at)}))
    return rows


def events(questions: int, years: float, now: datetime, seed: int = 17) -> Iterator[list[Row]]:
    """Every event, in chunks; questions spread evenly over the years (their order is random)."""
    rng = random.Random(seed)
    start = now - timedelta(days=365.25 * years)
    supporter_count = max(50, questions // 2000)
    chunk = supporters(supporter_count, start)
    span = (now - start).total_seconds()
    for i in range(questions):
        chunk.extend(question(i, start + timedelta(seconds=rng.uniform(0, span)), now, supporter_count, rng))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def validate_sample(rows: list[Row]) -> None:
    """Fail before writing anything when a generated event would not be a valid contract instance."""
    seen: set[str] = set()
    for event in rows:
        if event[2] not in seen:
            REGISTRY[event[2]].model_validate(json.loads(event[6]))
            seen.add(event[2])


async def seed(database_url: str, questions: int, years: float = 10.0) -> dict[str, Any]:
    """Write the events and rebuild the read models; what it took, as JSON."""
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "reporting"})
    try:
        started = time.perf_counter()
        written = 0
        for chunk in events(questions, years, datetime.now(UTC)):
            if not written:
                validate_sample(chunk)
            await conn.copy_records_to_table("events", records=chunk, columns=COLUMNS)
            written += len(chunk)
        generated = time.perf_counter() - started
        summary = await rebuild.rebuild(conn)
    finally:
        await conn.close()
    return {
        "questions": questions,
        "years": years,
        "events_written": written,
        "generate_and_copy_s": round(generated, 1),
        "events_per_s_written": round(written / generated, 1),
        "rebuild": {
            "events": summary.events,
            "changes": summary.changes,
            "seconds": round(summary.seconds, 1),
            "events_per_s": round(summary.events / summary.seconds, 1) if summary.seconds else None,
            "cpu_seconds": round(summary.cpu_seconds, 1),
            "events_per_cpu_s": round(summary.events / summary.cpu_seconds, 1) if summary.cpu_seconds else None,
        },
    }
