"""`samenloket reporting rebuild`: replaying the event store gives exactly the incrementally built tables.

Events reach the running service out of order across topics (assignments before their question,
signal answers before the signal, attendance before the meeting's plan, a profile update before the
registration, a redelivery and a repeat under a new id); the incremental state is dumped, the
projections are damaged, and a rebuild (in process, then as the real command) must restore it.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contracts.envelope import from_model
from contracts.events import ExperienceShared
from contracts.topics import EXPERIENCES
from services.kit.settings import Settings
from services.reporting import rebuild
from services.reporting.store import projections
from tests.support.harness import RunningService, publish, run_service
from tests.support.reporting import (
    accepted,
    assigned,
    consultation,
    declined,
    ended,
    experience,
    first_contact,
    meeting_held,
    meeting_planned,
    new_id,
    question,
    send,
    signal,
    signal_acknowledged,
    signal_answered,
    stored,
    supporter,
    waiting,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2025, 5, 5, 9, 0, tzinfo=UTC)


def out_of_order() -> list[Any]:
    """Every kind of fact, most of them arriving before the event that would normally come first."""
    town = "GM0590"
    q1, q2, q3 = new_id("q"), new_id("q"), new_id("q")
    a1 = assigned(q1, town, T0, hours=3)
    a2 = assigned(q2, town, T0, hours=1, organisation="ouderplatform", kind="volunteer")
    a3 = assigned(q2, town, T0, hours=2)
    sig = new_id("sig")
    meeting = new_id("m")
    return [
        accepted(a1, hours=30),
        first_contact(a1, date(2025, 5, 8), "visit"),
        ended(a1, days=40),
        a1,
        waiting(q1, town, T0 + timedelta(hours=1)),
        question(q1, town, T0, ("wmo", "debts"), found_via="website", age_band="45_64"),
        declined(a2, hours=1),
        a3,
        a2,
        question(q2, town, T0, ("youth",), referrer="huisarts-west", channel="partner"),
        consultation(q3, town, T0 + timedelta(hours=2)),
        question(q3, town, T0, ("housing",), found_via=None, age_band=None),
        signal_answered(sig, town, T0 + timedelta(days=5)),
        signal_acknowledged(sig, town, T0 + timedelta(days=1)),
        signal(sig, town, T0, theme="cooperation"),
        meeting_held(meeting, town, date(2025, 6, 1), residents=3, at=T0 + timedelta(days=30)),
        meeting_planned(meeting, town, date(2025, 6, 1), T0),
        supporter("s-reb", [town], 8, T0 + timedelta(days=2), update=True),
        supporter("s-reb", [town], 3, T0),
        experience(town, T0 + timedelta(days=41), knew="neutral", score=6),
    ]


@pytest.fixture(scope="module")
async def reporting(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("reporting", settings) as service:
        events = await send(settings, *out_of_order())
        # A redelivery of the same envelope, and the same experience again under a new event id.
        await publish(settings, EXPERIENCES, events[-1])
        again = from_model(ExperienceShared.model_validate(events[-1].data), source="/samenloket/intake")
        await publish(settings, EXPERIENCES, again)
        await stored(service, [*events, again])
        yield service


async def dump(service: RunningService) -> dict[str, list[dict[str, Any]]]:
    async with service.runtime.db.acquire() as conn:
        return await projections.dump_projections(conn)


async def test_the_incremental_state_is_what_the_events_say(reporting: RunningService) -> None:
    tables = await dump(reporting)
    questions = {row["question_id"]: row for row in tables["question_facts"]}
    assert len(questions) == 3 and all(row["complete"] for row in questions.values())
    assert sorted(row["status"] for row in questions.values()) == ["assigned", "closed", "consultation"]
    closed = next(row for row in questions.values() if row["status"] == "closed")
    assert (closed["found_via"], closed["age_band"], closed["organisation"]) == ("website", "45_64", "mee-plus")
    assigned_q = next(row for row in questions.values() if row["status"] == "assigned")
    assert (assigned_q["organisation"], assigned_q["supporter_kind"]) == ("ouderplatform", "volunteer")
    assert sorted(row["state"] for row in tables["assignment_facts"]) == ["assigned", "declined", "ended"]
    # First contact arrived before its assignment; assigned on Liberation Day (5 May 2025, a holiday), reached
    # on Thursday 8 May: 3 working days, the last one of the promise.
    [contact] = [row for row in tables["assignment_facts"] if row["first_contact_on"] is not None]
    assert (contact["first_contact_method"], contact["first_contact_working_days"]) == ("visit", 3)
    assert contact["first_contact_due_on"] == date(2025, 5, 8)
    [sig] = tables["signal_facts"]
    assert (sig["status"], sig["theme"]) == ("answered", "cooperation")
    [meeting] = tables["meeting_facts"]
    assert meeting["planned_for"] == meeting["held_on"] == date(2025, 6, 1)
    [profile] = tables["supporter_facts"]
    assert profile["capacity"] == 8
    assert len(tables["experience_facts"]) == 1


async def test_a_rebuild_gives_the_same_tables_as_the_incremental_state(reporting: RunningService) -> None:
    before = await dump(reporting)
    async with reporting.runtime.db.acquire() as conn:
        # Damage the projections: a rebuild must not depend on what they held.
        await conn.execute("UPDATE question_facts SET channel = 'phone', status = 'received'")
        await conn.execute("DELETE FROM signal_facts")
        await conn.execute("INSERT INTO meeting_facts (meeting_id) VALUES ('m-stray')")
        total = await conn.fetchval("SELECT count(*) FROM events")
        seen: list[tuple[int, int]] = []
        summary = await rebuild.rebuild(conn, lambda done, of: seen.append((done, of)), batch=4)
    assert await dump(reporting) == before
    assert summary.events == total and summary.skipped == 0 and summary.changes > total
    assert seen[-1] == (total, total) and len(seen) == -(-total // 4)
    assert "8 projections" in summary.line() and f"{total} events" in summary.line()


async def test_the_rebuild_command_prints_progress_and_a_summary(reporting: RunningService, database_url: str) -> None:
    before = await dump(reporting)
    await reporting.runtime.db.execute("TRUNCATE question_facts, assignment_facts")
    env = dict(os.environ, SAMENLOKET_DATABASE_URL=database_url)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        "reporting",
        "rebuild",
        "--batch-size",
        "5",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    [line] = out.decode().splitlines()
    assert line.startswith("reporting rebuilt: 8 projections from ") and " events " in line
    assert "events replayed" in err.decode()
    assert await dump(reporting) == before

    refused = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        "reporting",
        "rebuild",
        "--batch-size",
        "0",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, refused_err = await refused.communicate()
    assert refused.returncode == 2 and b"--batch-size" in refused_err
