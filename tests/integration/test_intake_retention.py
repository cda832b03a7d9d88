"""Retention as a running loop of intake, on real PostgreSQL and a real broker, with the test's clock.

Intake runs with ``retention_years=2`` and a pass every 0.1 s; the loop's clock is the test's. Nobody
is erased while the clock says "now"; two years and a day later the resident whose questions all
ended is erased through the erasure path (ResidentErasureRequested for every service, the audit row
says ``retention``), and the resident with an open question — or one who came back — is kept.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts.envelope import from_model
from contracts.events import Reason, ResidentErasureRequested, SupportEnded, SupporterAssigned
from contracts.topics import ASSIGNMENTS, PRIVACY
from services.intake.audit import ref_digest
from services.intake.privacy_officer.retention import Retention
from services.kit import access
from services.kit.settings import Settings
from tests.support.harness import RunningService, events_of, eventually, publish, read_topic, run_service

pytestmark = pytest.mark.integration

INTERNAL = {"Authorization": "Bearer test-internal-token", "X-Purpose": "support", "X-Caller": "tests"}


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[RunningService]:
    quick = settings.model_copy(update={"retention_years": 2, "retention_check_seconds": 0.1})
    async with run_service("intake", quick) as service:
        yield service


async def staff(intake: RunningService) -> dict[str, str]:
    async with intake.runtime.db.acquire() as conn:
        key = await access.create_key(conn, f"org-{uuid.uuid4().hex[:8]}", ["staff"])
    return {"Authorization": f"Bearer {key}"}


def question(contact: dict[str, str]) -> dict[str, Any]:
    return {
        "municipality": "GM0505",
        "life_domains": ["debts"],
        "description": f"Ik heb hulp nodig met mijn schulden {uuid.uuid4().hex[:6]}.",
        "postcode": "3312",
        "channel": "phone",
        "contact": contact,
        "consent": {"share_with_supporter": False},
    }


def person() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {"name": f"Bewaar Termijn {tag}", "email": f"termijn.{tag}@example.nl"}


async def submit(intake: RunningService, key: dict[str, str], contact: dict[str, str]) -> tuple[str, str]:
    response = await intake.client.post("/api/v1/questions", json=question(contact), headers=key)
    assert response.status_code == 202, response.text
    question_id = response.json()["question_id"]
    read = await intake.client.get(f"/internal/v1/questions/{question_id}/contact", headers=INTERNAL)
    return question_id, read.json()["resident_ref"]


async def exists(intake: RunningService, ref: str) -> bool:
    return bool(await intake.runtime.db.fetchval("SELECT 1 FROM residents WHERE resident_ref = $1", uuid.UUID(ref)))


async def close_by_matching(intake: RunningService, settings: Settings, question_id: str) -> None:
    """Support starts and ends (matching's events): intake closes the question."""
    now = datetime.now(UTC)
    common = {
        "question_id": question_id,
        "assignment_id": str(uuid.uuid4()),
        "supporter_id": str(uuid.uuid4()),
        "organisation": "mee-plus",
        "municipality": "GM0505",
    }
    assigned = SupporterAssigned(**common, supporter_kind="professional", score=0.9, received_at=now, assigned_at=now)
    ended = SupportEnded(**common, reason=Reason(code="completed", text="Afgerond."), ended_at=now)
    for event in (assigned, ended):
        await publish(settings, ASSIGNMENTS, from_model(event, source="/samenloket/matching"))

    async def closed() -> bool:
        status = await intake.runtime.db.fetchval(
            "SELECT status FROM questions WHERE question_id = $1", uuid.UUID(question_id)
        )
        return bool(status == "closed")

    await eventually(closed)


async def test_the_running_loop_erases_a_resident_two_years_after_their_last_question_ended(
    intake: RunningService, settings: Settings
) -> None:
    retention: Retention = intake.runtime.container.privacy_officer.retention
    clock = Clock()
    retention.clock = clock
    assert "intake-run_retention" in {t.get_name() for t in intake.runtime.loops}  # the loop runs in the service
    key = await staff(intake)
    ended = person()
    closed_id, ended_ref = await submit(intake, key, ended)
    await close_by_matching(intake, settings, closed_id)
    withdrawn_id, same_ref = await submit(intake, key, ended)
    assert same_ref == ended_ref
    assert (
        await intake.client.post(
            f"/api/v1/questions/{withdrawn_id}/withdraw", json={"reason": "Al geholpen."}, headers=key
        )
    ).status_code == 200
    _, open_ref = await submit(intake, key, person())  # still waiting for help

    # A day short of two years: everybody stays.
    clock.now = datetime.now(UTC) + timedelta(days=2 * 365 - 1)
    await retention_passes(intake, 3)
    assert await exists(intake, ended_ref) and await exists(intake, open_ref)

    # Two years and a day after the last question ended: the resident is erased, every service hears it.
    clock.now = datetime.now(UTC) + timedelta(days=2 * 365 + 2)
    await eventually(lambda: not_exists(intake, ended_ref))
    records = await read_topic(
        settings,
        PRIVACY,
        until=lambda rs: any(e.subject == ended_ref for e in events_of(rs, ResidentErasureRequested.ce_type)),
    )
    [requested] = [e for e in events_of(records, ResidentErasureRequested.ce_type) if e.subject == ended_ref]
    assert sorted(requested.data["question_ids"]) == sorted([closed_id, withdrawn_id])
    row = await intake.runtime.db.fetchrow(
        "SELECT actor, actor_kind, purpose FROM audit_log WHERE action = 'resident.erase' AND resident_ref = $1",
        ref_digest(ended_ref),
    )
    assert row is not None and dict(row) == {"actor": "retention", "actor_kind": "internal", "purpose": "retention"}
    # The open question keeps its resident however long it waits.
    await retention_passes(intake, 3)
    assert await exists(intake, open_ref)


async def test_a_resident_who_comes_back_starts_the_years_again(intake: RunningService, settings: Settings) -> None:
    retention: Retention = intake.runtime.container.privacy_officer.retention
    clock = Clock()
    clock.now = datetime.now(UTC) - timedelta(days=365)  # "now" is a year ago: nothing ended before it
    retention.clock = clock
    key = await staff(intake)
    contact = person()
    first, ref = await submit(intake, key, contact)
    await close_by_matching(intake, settings, first)
    # Backdate the first question as if it ended three years ago; a new question came in a year ago.
    db = intake.runtime.db
    await db.execute(
        "UPDATE questions SET received_at = $2, updated_at = $2 WHERE question_id = $1",
        uuid.UUID(first),
        datetime.now(UTC) - timedelta(days=3 * 365),
    )
    second, again = await submit(intake, key, contact)
    assert again == ref
    await close_by_matching(intake, settings, second)

    clock.now = datetime.now(UTC) + timedelta(days=365)  # two years after the first ended... one after the second
    await retention_passes(intake, 3)
    assert await exists(intake, ref)
    clock.now = datetime.now(UTC) + timedelta(days=2 * 365 + 2)
    await eventually(lambda: not_exists(intake, ref))


async def test_retention_off_erases_no_one(intake: RunningService) -> None:
    off = Retention(intake.runtime, 0, 0.1, clock=lambda: datetime.now(UTC) + timedelta(days=100 * 365))
    assert await off.run_once() == 0


async def not_exists(intake: RunningService, ref: str) -> bool:
    return not await exists(intake, ref)


async def retention_passes(intake: RunningService, count: int) -> None:
    """Wait until the running loop has made ``count`` more passes (it erases nothing it should not)."""
    retention: Retention = intake.runtime.container.privacy_officer.retention
    seen: list[datetime] = []
    original = retention.clock

    def counting() -> datetime:
        seen.append(original())
        return seen[-1]

    retention.clock = counting
    try:
        await eventually(lambda: len(seen) >= count, timeout=10)
    finally:
        retention.clock = original
