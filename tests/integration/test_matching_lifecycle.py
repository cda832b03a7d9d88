"""The life of an assignment against real PostgreSQL and a real broker: accept, decline and re-match
(never the same supporter again), end, the waiting-list pass that freed places trigger, duos, and
the same steps announced by other systems (bad ones dead-lettered with the reason).

Each test uses a municipality of its own, so the waiting-list passes of one test never see another
test's questions.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from contracts import topics
from contracts.envelope import header_map
from contracts.events import (
    AssignmentAccepted,
    AssignmentDeclined,
    ConsultationRequired,
    QuestionWaiting,
    Reason,
    SupportEnded,
    SupporterAssigned,
)
from services.kit.settings import Settings
from services.matching import store
from tests.support.harness import RunningService, eventually, publish, read_topic, run_service
from tests.support.matching import (
    INTERNAL,
    envelope,
    events_about,
    publish_all,
    question,
    supporter_body,
    types_about,
    uid,
)

pytestmark = pytest.mark.integration

PARTNER_SYSTEM = "/partner/mee-caseload"


@pytest.fixture(scope="module")
async def matching(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("matching", settings) as svc:
        async with svc.runtime.db.acquire() as conn:
            await store.upsert_organisation(conn, "mee", "MEE Plus", False)
            await store.upsert_organisation(conn, "ouderplatform", "Ouderplatform", False)
        yield svc


async def register(svc: RunningService, municipality: str, **changes: Any) -> str:
    answer = await svc.client.post("/api/v1/supporters", json=supporter_body(municipality, **changes), headers=INTERNAL)
    assert answer.status_code == 201, answer.text
    supporter_id: str = answer.json()["supporter_id"]
    return supporter_id


async def cases(svc: RunningService, supporter_id: str) -> int:
    value: int = await svc.runtime.db.fetchval("SELECT active_cases FROM supporters WHERE id = $1", supporter_id)
    return value


async def assigned_to(settings: Settings, question_id: str, count: int = 1) -> list[str]:
    events = await events_about(settings, question_id, SupporterAssigned.ce_type, count=count)
    return [e.data["supporter_id"] for e in events]


async def settled(svc: RunningService) -> None:
    """Every event matching wrote has left its outbox."""
    await eventually(lambda: svc.runtime.db.fetchval("SELECT count(*) = 0 FROM outbox"))


# --- accept ---------------------------------------------------------------------------------------


async def test_accepting_is_announced_once(settings: Settings, matching: RunningService) -> None:
    sid = await register(matching, "GM0505")
    q = question("GM0505")
    await publish(settings, topics.QUESTIONS, envelope(q))
    assert await assigned_to(settings, q.question_id) == [sid]

    first = await matching.client.post(f"/api/v1/assignments/{q.question_id}/accept", headers=INTERNAL)
    assert first.status_code == 200, first.text
    [accepted] = first.json()["assignments"]
    assert accepted["status"] == "accepted" and accepted["accepted_at"]
    again = await matching.client.post(f"/api/v1/assignments/{q.question_id}/accept", headers=INTERNAL)
    assert again.status_code == 200 and again.json()["assignments"][0]["accepted_at"] == accepted["accepted_at"]

    await settled(matching)
    [event] = await events_about(settings, q.question_id, AssignmentAccepted.ce_type)
    assert event.data["supporter_id"] == sid and event.data["municipality"] == "GM0505"
    types = await types_about(settings, q.question_id, AssignmentAccepted.ce_type)
    assert types.count(AssignmentAccepted.ce_type) == 1
    assert (await matching.client.get(f"/api/v1/assignments/{q.question_id}", headers=INTERNAL)).json()[
        "status"
    ] == "accepted"
    assert (await matching.client.post("/api/v1/assignments/q-unknown/accept", headers=INTERNAL)).status_code == 404


# --- decline and re-match -------------------------------------------------------------------------


async def test_decline_rematches_and_never_offers_the_question_to_a_decliner_again(
    settings: Settings, matching: RunningService
) -> None:
    supporters = {await register(matching, "GM0642", capacity=3) for _ in range(3)}
    q = question("GM0642")
    await publish(settings, topics.QUESTIONS, envelope(q))
    [first] = await assigned_to(settings, q.question_id)

    answer = await matching.client.post(
        f"/api/v1/assignments/{q.question_id}/decline",
        json={"by": "supporter", "reason_code": "no_time", "reason_text": "Ik ben drie weken met verlof."},
        headers=INTERNAL,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["declined"]["supporter_id"] == first and body["declined"]["status"] == "declined"
    assert body["outcome"] == "assigned"
    second = body["assignment"]["supporter_id"]
    assert second in supporters - {first}
    assert await cases(matching, first) == 0 and await cases(matching, second) == 1

    [declined] = await events_about(settings, q.question_id, AssignmentDeclined.ce_type)
    event = AssignmentDeclined.model_validate(declined.data)
    assert (event.supporter_id, event.declined_by, event.reason.code) == (first, "supporter", "no_time")
    assert event.reason.text == "De ondersteuner heeft nu geen tijd voor deze vraag."
    assert "verlof" not in json.dumps(declined.data)  # their own words stay in matching
    stored = await matching.runtime.db.fetchval(
        "SELECT reason_text FROM declines WHERE question_id = $1 AND supporter_id = $2", q.question_id, first
    )
    assert stored == "Ik ben drie weken met verlof."
    assert await assigned_to(settings, q.question_id, count=2) == [first, second]

    by_resident = await matching.client.post(
        f"/api/v1/assignments/{q.question_id}/decline",
        json={"by": "resident", "reason_code": "resident_preference"},
        headers=INTERNAL,
    )
    third = by_resident.json()["assignment"]["supporter_id"]
    assert third in supporters - {first, second}

    # Everyone who fits has declined: the question goes to the joint consultation, not back to them.
    last = await matching.client.post(
        f"/api/v1/assignments/{q.question_id}/decline",
        json={"by": "supporter", "reason_code": "expertise"},
        headers=INTERNAL,
    )
    assert last.json()["outcome"] == "consultation" and last.json()["assignment"] is None
    [consultation] = await events_about(settings, q.question_id, ConsultationRequired.ce_type)
    assert not {c["supporter_id"] for c in consultation.data["candidates"]} & supporters
    assert [await cases(matching, s) for s in sorted(supporters)] == [0, 0, 0]
    assert (
        await matching.runtime.db.fetchval("SELECT count(*) FROM declines WHERE question_id = $1", q.question_id) == 3
    )
    listed = await matching.client.get("/api/v1/consultations", params={"municipality": "GM0642"}, headers=INTERNAL)
    [item] = [c for c in listed.json() if c["question_id"] == q.question_id]
    assert not {c["supporter_id"] for c in item["candidates"]} & supporters
    by_hand = await matching.client.post(
        f"/api/v1/consultations/{q.question_id}/assign",
        json={"supporter_id": first, "reason": "Toch deze ondersteuner, na overleg."},
        headers=INTERNAL,
    )
    assert by_hand.status_code == 409 and "afgewezen" in by_hand.json()["detail"]


async def test_declined_then_waiting_the_freed_place_never_goes_back_to_the_decliner(
    settings: Settings, matching: RunningService
) -> None:
    dutch_only = await register(matching, "GM0590", capacity=1, languages=["nl"])
    also_arabic = await register(matching, "GM0590", capacity=1, languages=["nl", "ar"])
    arabic = question("GM0590", languages=["ar"])
    await publish(settings, topics.QUESTIONS, envelope(arabic))
    assert await assigned_to(settings, arabic.question_id) == [also_arabic]
    dutch = question("GM0590")
    await publish(settings, topics.QUESTIONS, envelope(dutch))
    assert await assigned_to(settings, dutch.question_id) == [dutch_only]

    declined = await matching.client.post(
        f"/api/v1/assignments/{dutch.question_id}/decline",
        json={"by": "resident", "reason_code": "no_click"},
        headers=INTERNAL,
    )
    assert declined.json()["outcome"] == "waiting"
    await events_about(settings, dutch.question_id, QuestionWaiting.ce_type)
    # The decliner has room again, yet the waiting question is not theirs to get.
    assert await cases(matching, dutch_only) == 0
    assert await matching.runtime.db.fetchval("SELECT 1 FROM waiting WHERE question_id = $1", dutch.question_id)

    ended = await matching.client.post(
        f"/api/v1/assignments/{arabic.question_id}/end", json={"reason_code": "completed"}, headers=INTERNAL
    )
    assert ended.status_code == 200 and ended.json()["assignments"][0]["status"] == "ended"
    [end_event] = await events_about(settings, arabic.question_id, SupportEnded.ce_type)
    assert end_event.data["reason"] == {"code": "completed", "text": "De ondersteuning is klaar."}
    assert await assigned_to(settings, dutch.question_id, count=2) == [dutch_only, also_arabic]
    assert await cases(matching, also_arabic) == 1 and await cases(matching, dutch_only) == 0
    assert (
        await matching.runtime.db.fetchval("SELECT count(*) FROM waiting WHERE question_id = $1", dutch.question_id)
        == 0
    )


async def test_concurrent_ends_give_each_waiting_question_one_place(
    settings: Settings, matching: RunningService
) -> None:
    sid = await register(matching, "GM0610", capacity=2)
    questions = [question("GM0610") for _ in range(4)]
    for q in questions:  # one by one, so the first two are assigned and the last two wait in order
        await publish(settings, topics.QUESTIONS, envelope(q))
        await events_about(
            settings, q.question_id, SupporterAssigned.ce_type if q in questions[:2] else QuestionWaiting.ce_type
        )

    ends = await asyncio.gather(
        *(matching.client.post(f"/api/v1/assignments/{q.question_id}/end", headers=INTERNAL) for q in questions[:2])
    )
    assert [e.status_code for e in ends] == [200, 200]
    for q in questions[2:]:
        assert await assigned_to(settings, q.question_id) == [sid]
    db = matching.runtime.db
    assert await cases(matching, sid) == 2
    assert (
        await db.fetchval(
            "SELECT count(*) FROM assignments WHERE supporter_id = $1 AND status IN ('assigned', 'accepted')", sid
        )
        == 2
    )
    assert (
        await db.fetchval(
            "SELECT count(*) FROM waiting WHERE question_id = ANY($1::text[])", [q.question_id for q in questions]
        )
        == 0
    )
    await settled(matching)
    for q in questions[2:]:
        types = await types_about(settings, q.question_id, SupporterAssigned.ce_type)
        assert types.count(SupporterAssigned.ce_type) == 1


async def test_bad_decline_and_end_requests(settings: Settings, matching: RunningService) -> None:
    await register(matching, "GM0531")
    q = question("GM0531")
    await publish(settings, topics.QUESTIONS, envelope(q))
    await assigned_to(settings, q.question_id)
    url = f"/api/v1/assignments/{q.question_id}"

    bsn = await matching.client.post(
        f"{url}/decline",
        json={"by": "resident", "reason_code": "other", "reason_text": "BSN 111222333"},
        headers=INTERNAL,
    )
    assert bsn.status_code == 422 and bsn.json()["errors"][0]["field"] == "reason_text"
    unknown = await matching.client.post(
        f"{url}/decline", json={"by": "buurman", "reason_code": "nope"}, headers=INTERNAL
    )
    fields = {e["field"]: e["reason"] for e in unknown.json()["errors"]}
    assert set(fields) == {"by", "reason_code"} and "resident_preference" in fields["reason_code"]
    bad_end = await matching.client.post(f"{url}/end", json={"reason_code": "bored"}, headers=INTERNAL)
    assert bad_end.status_code == 422 and "completed" in bad_end.json()["errors"][0]["reason"]

    assert (await matching.client.post(f"{url}/end", headers=INTERNAL)).status_code == 200
    again = await matching.client.post(
        f"{url}/decline", json={"by": "resident", "reason_code": "other"}, headers=INTERNAL
    )
    assert again.status_code == 409 and "ended" in again.json()["detail"]
    assert (await matching.client.post("/api/v1/assignments/q-nope/end", headers=INTERNAL)).status_code == 404
    assert (await matching.client.post(f"{url}/end")).status_code == 401


# --- duos ----------------------------------------------------------------------------------------


async def test_a_duo_is_booked_together_and_dissolves_when_a_member_declines(
    settings: Settings, matching: RunningService
) -> None:
    professional = await register(matching, "GM1978", life_domains=["wmo"], capacity=1)
    volunteer = await register(
        matching, "GM1978", kind="volunteer", organisation="ouderplatform", life_domains=["youth"], capacity=1
    )
    q = question("GM1978", life_domains=["wmo", "youth"])
    await publish(settings, topics.QUESTIONS, envelope(q))
    events = await events_about(settings, q.question_id, SupporterAssigned.ce_type, count=2)
    pair = {e.data["supporter_id"]: e.data["partner_supporter_id"] for e in events}
    assert pair == {professional: volunteer, volunteer: professional}
    assert await cases(matching, professional) == 1 and await cases(matching, volunteer) == 1

    unnamed = await matching.client.post(
        f"/api/v1/assignments/{q.question_id}/decline",
        json={"by": "supporter", "reason_code": "no_time"},
        headers=INTERNAL,
    )
    assert unnamed.status_code == 422 and unnamed.json()["errors"][0]["field"] == "supporter_id"

    declined = await matching.client.post(
        f"/api/v1/assignments/{q.question_id}/decline",
        json={"by": "supporter", "reason_code": "no_time", "supporter_id": volunteer},
        headers=INTERNAL,
    )
    assert declined.status_code == 200, declined.text
    # Without the volunteer nobody covers youth as well: the consultation decides.
    assert declined.json()["outcome"] == "consultation"
    [ended] = await events_about(settings, q.question_id, SupportEnded.ce_type)
    assert ended.data["supporter_id"] == professional and ended.data["reason"]["code"] == "duo_dissolved"
    assert await cases(matching, professional) == 0 and await cases(matching, volunteer) == 0
    await events_about(settings, q.question_id, ConsultationRequired.ce_type)


# --- the same steps from other systems -------------------------------------------------------------


async def test_steps_announced_by_others_are_applied_and_bad_ones_dead_lettered(
    settings: Settings, matching: RunningService
) -> None:
    sid = await register(matching, "GM0482")
    q = question("GM0482")
    await publish(settings, topics.QUESTIONS, envelope(q))
    [assigned] = await events_about(settings, q.question_id, SupporterAssigned.ce_type)
    assignment_id = assigned.data["assignment_id"]
    now = datetime.now(UTC)
    step = {
        "question_id": q.question_id,
        "assignment_id": assignment_id,
        "supporter_id": sid,
        "organisation": "mee",
        "municipality": "GM0482",
    }
    await publish_all(settings, [AssignmentAccepted(**step, accepted_at=now)], source=PARTNER_SYSTEM)
    db = matching.runtime.db
    await eventually(
        lambda: db.fetchval("SELECT status = 'accepted' FROM assignments WHERE assignment_id = $1", assignment_id)
    )
    unknown_question = AssignmentDeclined(
        **{**step, "question_id": "q-never-seen"},
        declined_by="resident",
        reason=Reason(code="other", text="Een andere reden."),
        declined_at=now,
    )
    unknown_supporter = SupportEnded(**{**step, "supporter_id": "s-never-seen"}, ended_at=now)
    await publish_all(settings, [unknown_question, unknown_supporter], source=PARTNER_SYSTEM)
    await publish_all(settings, [SupportEnded(**step, ended_at=now)], source=PARTNER_SYSTEM)
    await eventually(
        lambda: db.fetchval("SELECT status = 'ended' FROM assignments WHERE assignment_id = $1", assignment_id)
    )
    assert await cases(matching, sid) == 0

    dead = await read_topic(settings, topics.dlq(topics.ASSIGNMENTS), until=lambda rs: len(rs) >= 2)
    reasons = {r.key.decode(): header_map(r.headers)["dlq_reason"] for r in dead}
    assert "q-never-seen" in reasons["q-never-seen"] and "onbekend" in reasons["q-never-seen"]
    assert "s-never-seen" in reasons[q.question_id] and "onbekend" in reasons[q.question_id]
    # Matching's own announcements of the accept and end were not made again.
    await settled(matching)
    key = q.question_id.encode()
    records = await read_topic(settings, topics.ASSIGNMENTS, until=lambda rs: any(r.key == key for r in rs))
    steps = {AssignmentAccepted.ce_type, SupportEnded.ce_type}
    mine = [header_map(r.headers) for r in records if r.key == key]
    sources = [h["ce_source"] for h in mine if h["ce_type"] in steps]
    assert sources == [PARTNER_SYSTEM] * 3


# --- continuity ----------------------------------------------------------------------------------


async def test_a_returning_resident_gets_their_earlier_supporter(settings: Settings, matching: RunningService) -> None:
    # Polish only, so no other test's supporters or questions mix in.
    earlier = await register(matching, "GM0505", supporter_id=f"s-zzz-{uid('c')}", languages=["pl"])
    first = question("GM0505", languages=["pl"])
    await publish(settings, topics.QUESTIONS, envelope(first))
    assert await assigned_to(settings, first.question_id) == [earlier]
    assert (await matching.client.post(f"/api/v1/assignments/{first.question_id}/accept", headers=INTERNAL)).is_success
    assert (await matching.client.post(f"/api/v1/assignments/{first.question_id}/end", headers=INTERNAL)).is_success

    # An equal newcomer ranks first on a tie (by id), yet the resident's earlier supporter wins.
    newcomer = await register(matching, "GM0505", supporter_id=f"s-aaa-{uid('c')}", languages=["pl"])
    stranger = question("GM0505", languages=["pl"])
    await publish(settings, topics.QUESTIONS, envelope(stranger))
    assert await assigned_to(settings, stranger.question_id) == [newcomer]
    back = question("GM0505", languages=["pl"], resident_ref=first.resident_ref)
    await publish(settings, topics.QUESTIONS, envelope(back))
    [event] = await events_about(settings, back.question_id, SupporterAssigned.ce_type)
    assert event.data["supporter_id"] == earlier
    assert "continuity" in {r["code"] for r in event.data["reasons"]}
