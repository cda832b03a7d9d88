"""A resident who asks to meet first and choose together ("Ik wil eerst kennismaken en samen kiezen"):
matching puts the question in the joint consultation with the best candidates (eligible ones first),
books nobody, and a coordinator assigns by hand after the conversation. Real PostgreSQL and broker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from contracts import topics
from contracts.events import ConsultationRequired, SupporterAssigned
from services.kit.settings import Settings
from services.matching import store
from tests.support.harness import RunningService, publish, run_service
from tests.support.matching import INTERNAL, envelope, events_about, question, supporter_body

pytestmark = pytest.mark.integration


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


async def test_choosing_together_goes_to_the_consultation_with_the_best_candidates(
    settings: Settings, matching: RunningService
) -> None:
    fits = {await register(matching, "GM1978", capacity=2) for _ in range(2)}
    arabic = await register(matching, "GM1978", languages=["ar"])
    q = question("GM1978", choose_together=True)
    await publish(settings, topics.QUESTIONS, envelope(q))

    [event] = await events_about(settings, q.question_id, ConsultationRequired.ce_type)
    assert event.data["reason"]["code"] == "choose_together"
    assert "samen kiezen" in event.data["reason"]["text"]
    candidates = event.data["candidates"]
    assert {c["supporter_id"] for c in candidates[:2]} == fits and all(not c["failed_rules"] for c in candidates[:2])
    assert candidates[2]["supporter_id"] == arabic and candidates[2]["failed_rules"]
    db = matching.runtime.db
    assert await db.fetchval("SELECT count(*) FROM assignments WHERE question_id = $1", q.question_id) == 0
    assert await db.fetchval("SELECT sum(active_cases) FROM supporters WHERE id = ANY($1::text[])", list(fits)) == 0

    chosen = sorted(fits)[0]
    by_hand = await matching.client.post(
        f"/api/v1/consultations/{q.question_id}/assign",
        json={"supporter_id": chosen, "reason": "Gekozen in het kennismakingsgesprek met de inwoner."},
        headers=INTERNAL,
    )
    assert by_hand.status_code == 201, by_hand.text
    [assigned] = await events_about(settings, q.question_id, SupporterAssigned.ce_type)
    assert assigned.data["supporter_id"] == chosen
