"""The fault suite (issue 14): faults injected mid-stream into the whole system, and what must hold after.

The four services run as real processes (``python -m services.cli serve NAME``) on a PostgreSQL and a
Tansu broker of this module's own (:mod:`tests.support.faults.platform`); questions flow at a steady
rate, half through intake's API and half as partner referrals on the inbound topic, while:

1. PostgreSQL is stopped for 12 s and started again (same data dir and port);
2. the broker is frozen with SIGSTOP for 20 s, then SIGCONT;
3. each service in turn is SIGKILLed (and started again, as ``samenloket up`` would);
4. a burst of poison (invalid JSON, deep nesting, unknown type, missing headers, wrong content type,
   huge, not UTF-8) lands on every topic a service consumes.

After each, :mod:`tests.support.faults.checks` reads every service's tables, the mailbox and the
DLQs: every accepted question has exactly one final outcome, capacity counts agree, every expected
mail arrived once per Message-ID, the DLQs hold only the poison. Each scenario has its own
municipality and supporters; some are sized so that capacity runs out exactly.

The figures of each scenario (faults injected, questions in flight at the fault, lost, doubled,
dead-lettered, ...) are one JSON line: logged, written to ``fault-suite-figures.jsonl`` in pytest's
base temp dir, and printed in the terminal summary.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.topics import REFERRALS_INBOUND
from services.kit import access
from tests.support.faults.checks import (
    DeadLetter,
    Problem,
    Verdict,
    converge,
    dead_letter_consumers,
    dead_letter_problems,
    describe,
    examine,
    read_dead_letters,
    read_state,
    tally,
)
from tests.support.faults.feeding import Feeder
from tests.support.faults.platform import CONCURRENCY, TOKEN, Platform
from tests.support.faults.poison import Poison, burst, send

pytestmark = [
    pytest.mark.integration,
    pytest.mark.serial,
    pytest.mark.skipif(
        os.environ.get("SAMENLOKET_TEST_INFRA", "embedded") != "embedded",
        reason="the fault suite stops and freezes infrastructure of its own, whatever the mode: it runs once,"
        " in the embedded run of make test, not again in the external or containers run",
    ),
]

log = logging.getLogger("fault-suite")

ORGANISATION = "mee-fault"
#: Questions a second during every scenario.
RATE = 4.0
#: How long the system may take to settle every question after a fault ends.
SETTLE_TIMEOUT = 90.0
DATABASE_DOWN_SECONDS = 12.0
BROKER_FROZEN_SECONDS = 20.0
#: How long questions go on behind the poison before the stream stops.
POISON_FEED_SECONDS = 6.0
FIGURES_FILE = "fault-suite-figures.jsonl"


@dataclass
class Scenario:
    name: str
    municipality: str
    #: Capacities of the scenario's supporters: fewer places than questions makes capacity run out exactly.
    capacities: list[int]
    #: Whether capacity must run out (so that the check "exactly full while questions wait" is made).
    exhausted: bool = False
    #: How many mails may arrive twice (same Message-ID): a send in flight when notifications lost its
    #: process or its database is sent again; each of its consumers sends one mail at a time.
    resends_allowed: int = 0
    #: The answers a submission may get instead of 202 (None: any; a service was killed under it).
    refusals_allowed: frozenset[str] | None = frozenset()
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    supporters: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)


@dataclass
class Ledger:
    """What the module's scenarios share: the poison sent so far, dead letters seen, the figures."""

    figures_path: Path
    consumers: dict[str, set[str]]
    poisons: list[Poison] = field(default_factory=list)
    letters_seen: int = 0


@pytest.fixture(scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    running = Platform(tmp_path_factory.mktemp("faults"))
    try:
        await running.start()
        async with httpx.AsyncClient(base_url=running.services["matching"].url, headers=_internal()) as client:
            answer = await client.post("/api/v1/organisations", json={"id": ORGANISATION, "name": "MEE Storing"})
            assert answer.status_code == 201, answer.text
        yield running
    finally:
        await running.stop()


@pytest.fixture(scope="module")
async def desk_key(platform: Platform) -> str:
    async with platform.connect() as conn:
        return await access.create_key(conn, "loket-fault", ["staff"])


@pytest.fixture(scope="module")
async def ledger(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    path = tmp_path_factory.getbasetemp() / FIGURES_FILE
    path.unlink(missing_ok=True)
    return Ledger(path, await dead_letter_consumers(platform.settings))


def _internal() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


async def register_supporters(platform: Platform, scenario: Scenario) -> None:
    """The scenario's professionals in its municipality (through matching's API, as coordinators do)."""
    async with httpx.AsyncClient(base_url=platform.services["matching"].url, headers=_internal()) as client:
        for n, capacity in enumerate(scenario.capacities):
            supporter_id = f"s-{scenario.tag}-{n}"
            answer = await client.post(
                "/api/v1/supporters",
                json={
                    "supporter_id": supporter_id,
                    "name": f"Ondersteuner {n}",
                    "email": f"ondersteuner-{scenario.tag}-{n}@mee.example.nl",
                    "kind": "professional",
                    "organisation": ORGANISATION,
                    "municipalities": [scenario.municipality],
                    "life_domains": ["wmo", "youth"],
                    "languages": ["nl"],
                    "capacity": capacity,
                    "postcode": "3311",
                },
            )
            assert answer.status_code == 201, answer.text
            scenario.supporters.append(supporter_id)


async def start_feeding(platform: Platform, scenario: Scenario, desk_key: str) -> Feeder:
    await register_supporters(platform, scenario)
    feeder = Feeder(platform, scenario.municipality, scenario.tag, desk_key, rate=RATE)
    await feeder.start()
    return feeder


async def settled(platform: Platform, municipality: str) -> int:
    """Questions of the municipality that intake knows an outcome of."""
    async with platform.connect() as conn:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM intake.questions WHERE municipality = $1 AND status <> 'received'", municipality
        )
        return count


async def in_flight(platform: Platform, feeder: Feeder) -> int:
    """Questions on their way just before a fault: sent but not answered yet, or accepted with an outcome,
    a mail or a projection still to come."""
    return examine(await read_state(platform, feeder.municipality), feeder, ()).unfinished()


async def wait_flowing(platform: Platform, feeder: Feeder, more: int = 6, timeout: float = 45.0) -> None:
    """Until ``more`` further questions have reached an outcome: the stream is really running."""
    target = await settled(platform, feeder.municipality) + more
    deadline = time.monotonic() + timeout
    while await settled(platform, feeder.municipality) < target:
        if time.monotonic() > deadline:
            raise AssertionError(f"questions do not flow: fewer than {target} settled\n{platform.diagnostics()}")
        await asyncio.sleep(0.2)


async def conclude(
    platform: Platform,
    feeder: Feeder,
    scenario: Scenario,
    ledger: Ledger,
    request: pytest.FixtureRequest,
    *,
    faults: int,
    fault: str,
    in_flight_at_fault: list[int],
    windows: list[tuple[float, float]],
) -> None:
    """Stop feeding, let the system settle, check everything and report the figures."""
    await feeder.stop()

    async def verdict() -> Verdict:
        return examine(await read_state(platform, scenario.municipality), feeder, scenario.supporters)

    result, _ = await converge(verdict, timeout=SETTLE_TIMEOUT)
    recovered = time.monotonic() - windows[-1][1]
    letters: list[DeadLetter] = []

    async def letters_verdict() -> Verdict:
        letters[:] = await read_dead_letters(platform.settings)
        return Verdict(dead_letter_problems(letters, ledger.poisons, ledger.consumers))

    dlq, _ = await converge(letters_verdict, timeout=SETTLE_TIMEOUT, poll=2.0)
    try:  # every consumer, the relay and every loop run again
        await platform.wait_ready(*platform.services, timeout=SETTLE_TIMEOUT)
        not_ready = None
    except AssertionError as exc:
        not_ready = Problem(str(exc).splitlines()[0])
    dead_lettered, ledger.letters_seen = len(letters) - ledger.letters_seen, len(letters)
    sent_now = {p.id for p in ledger.poisons if p.tag == scenario.tag}
    problems = result.problems + dlq.problems + ([not_ready] if not_ready else [])
    if scenario.exhausted and not result.outcomes["waiting"]:
        problems.append(Problem("capacity never ran out: the scenario does not test exact exhaustion"))
    exits = platform.exits_since(scenario.started)
    for ended in exits:
        if not ended.killed:  # the kit waits infrastructure out: no part of a service should have died
            problems.append(Problem(f"{ended.service} ended by itself (exit code {ended.returncode})"))
    allowed = scenario.refusals_allowed
    refused = set() if allowed is None else set(feeder.refusals()) - allowed
    if refused:
        problems.append(Problem(f"submissions refused with {sorted(refused)}: {feeder.refusals()}"))
    if result.mails_resent > scenario.resends_allowed:
        problems.append(
            Problem(f"{result.mails_resent} mails arrived twice, more than the {scenario.resends_allowed} in flight")
        )
    figures: dict[str, Any] = {
        "scenario": scenario.name,
        "fault": fault,
        "faults_injected": faults,
        "questions_submitted": len(feeder.submissions),
        "questions_accepted": len(feeder.accepted),
        "refused_during_fault": len(feeder.submissions) - len(feeder.accepted),
        "refusals": feeder.refusals(),
        "in_flight_at_fault": sum(in_flight_at_fault),
        "in_flight_per_fault": in_flight_at_fault,
        "accepted_during_fault": sum(feeder.accepted_between(start, end) for start, end in windows),
        "fault_seconds": round(sum(end - start for start, end in windows), 1),
        "lost": tally(problems, "lost"),
        "doubled": tally(problems, "doubled"),
        "dead_lettered": dead_lettered,
        "dead_lettered_poison": sum(1 for d in letters if d.poison in sent_now),
        "outcomes": dict(result.outcomes),
        "mails": result.mails,
        "mails_resent_same_message_id": result.mails_resent,
        "service_exits": [
            {"service": e.service, "killed_by_test": e.killed, "returncode": e.returncode} for e in exits
        ],
        "settled_seconds_after_fault": round(recovered, 1),
        "scenario_seconds": round(time.monotonic() - scenario.started, 1),
        "problems": len(problems),
    }
    line = json.dumps(figures, sort_keys=False)
    log.warning("fault-suite figures %s", line)
    with ledger.figures_path.open("a") as out:
        out.write(line + "\n")
    request.node.user_properties.append(("fault_figures", line))
    assert not problems, f"{scenario.name}:\n{describe(problems)}\n{line}\n{platform.diagnostics()}"


# --- the scenarios ---------------------------------------------------------------------------------


async def test_database_stopped_for_12_seconds_mid_stream(
    platform: Platform, desk_key: str, ledger: Ledger, request: pytest.FixtureRequest
) -> None:
    scenario = Scenario(
        "database_restart", "GM0505", [8, 8, 8], exhausted=True, resends_allowed=CONCURRENCY,
        refusals_allowed=frozenset({"HTTP 503"}),  # the API says "try again", never 500
    )  # fmt: skip
    feeder = await start_feeding(platform, scenario, desk_key)
    await wait_flowing(platform, feeder)
    flying = await in_flight(platform, feeder)
    began = time.monotonic()
    await platform.database_down()
    await asyncio.sleep(DATABASE_DOWN_SECONDS)  # the fault's length, not a check
    await platform.database_up()
    ended = time.monotonic()
    await wait_flowing(platform, feeder, timeout=SETTLE_TIMEOUT)
    await conclude(
        platform, feeder, scenario, ledger, request,
        faults=1, fault=f"PostgreSQL stopped for {DATABASE_DOWN_SECONDS:.0f} s", in_flight_at_fault=[flying],
        windows=[(began, ended)],
    )  # fmt: skip


async def test_broker_frozen_for_20_seconds_mid_stream(
    platform: Platform, desk_key: str, ledger: Ledger, request: pytest.FixtureRequest
) -> None:
    scenario = Scenario("broker_frozen", "GM0642", [60, 60, 60])
    feeder = await start_feeding(platform, scenario, desk_key)
    await wait_flowing(platform, feeder)
    flying = await in_flight(platform, feeder)
    began = time.monotonic()
    platform.freeze_broker()
    try:
        await asyncio.sleep(BROKER_FROZEN_SECONDS)  # the fault's length, not a check
    finally:
        platform.thaw_broker()
    ended = time.monotonic()
    await wait_flowing(platform, feeder, timeout=SETTLE_TIMEOUT)
    await conclude(
        platform, feeder, scenario, ledger, request,
        faults=1, fault=f"Tansu frozen (SIGSTOP) for {BROKER_FROZEN_SECONDS:.0f} s", in_flight_at_fault=[flying],
        windows=[(began, ended)],
    )  # fmt: skip


async def test_each_service_sigkilled_in_turn_mid_stream(
    platform: Platform, desk_key: str, ledger: Ledger, request: pytest.FixtureRequest
) -> None:
    scenario = Scenario(
        "sigkill_each_service", "GM0590", [25, 25, 25], exhausted=True, resends_allowed=CONCURRENCY,
        refusals_allowed=None,  # intake killed under a request, or not listening yet
    )  # fmt: skip
    feeder = await start_feeding(platform, scenario, desk_key)
    flying, windows = [], []
    for name in platform.services:
        await wait_flowing(platform, feeder)
        flying.append(await in_flight(platform, feeder))
        began = time.monotonic()
        await platform.kill(name)
        await platform.wait_ready(name)
        windows.append((began, time.monotonic()))
    await wait_flowing(platform, feeder, timeout=SETTLE_TIMEOUT)
    kills = [e for e in platform.exits_since(scenario.started) if e.killed]
    assert [e.service for e in kills] == list(platform.services), f"every service killed once: {kills}"
    await conclude(
        platform, feeder, scenario, ledger, request,
        faults=len(kills), fault="SIGKILL of " + ", ".join(platform.services) + " in turn", in_flight_at_fault=flying,
        windows=windows,
    )  # fmt: skip


async def test_poison_on_every_consumed_topic_mid_stream(
    platform: Platform, desk_key: str, ledger: Ledger, request: pytest.FixtureRequest
) -> None:
    scenario = Scenario("poison_burst", "GM0610", [40, 40, 40])
    feeder = await start_feeding(platform, scenario, desk_key)
    await wait_flowing(platform, feeder)
    flying = await in_flight(platform, feeder)
    consumed = sorted(ledger.consumers)
    assert REFERRALS_INBOUND in consumed
    poisons = burst(consumed, scenario.tag)
    ledger.poisons.extend(poisons)
    began = time.monotonic()
    await send(platform.settings, poisons)
    ended = time.monotonic()
    await asyncio.sleep(POISON_FEED_SECONDS)  # questions go on behind the poison, in the same partitions
    await wait_flowing(platform, feeder, timeout=SETTLE_TIMEOUT)
    await conclude(
        platform, feeder, scenario, ledger, request,
        faults=len(poisons), fault=f"{len(poisons)} poison messages on {len(consumed)} topics",
        in_flight_at_fault=[flying], windows=[(began, ended)],
    )  # fmt: skip
