"""Erasure across the whole platform: all four services in-process on one database and one broker.

A resident with two questions is erased (``DELETE /api/v1/residents/{ref}``); every service erases
what it holds and says so (``ResidentErased``); then every row of every table of every schema is
searched for the resident's name, e-mail, phone, descriptions and resident_ref, and none is found.
The audit log keeps the erasure under a one-way digest of the ref only (services/intake/audit.py),
so it needs no exception. The old QuestionReceived events on the topic still carry the ref, but it
resolves to no one any more, and a replay of such an event does not bring the ref back.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from contracts.events import QuestionReceived, ResidentErased
from contracts.topics import PRIVACY, QUESTIONS
from services.intake.privacy import resident_exists
from services.kit import access
from services.kit.erasure import TOMBSTONE
from services.kit.settings import SERVICE_NAMES, Settings
from services.matching import store as matching_store
from services.matching.domain import SupporterRecord
from tests.support.harness import RunningService, events_of, eventually, publish, read_topic, run_service
from tests.support.privacy import find_anywhere, schemas_scanned

pytestmark = pytest.mark.integration

INTERNAL = {"Authorization": "Bearer test-internal-token", "X-Purpose": "notification", "X-Caller": "tests"}


@dataclasses.dataclass
class Platform:
    services: dict[str, RunningService]

    def __getitem__(self, name: str) -> RunningService:
        return self.services[name]


@pytest.fixture(scope="module")
async def platform(settings: Settings) -> AsyncIterator[Platform]:
    async with (
        run_service("intake", settings) as intake,
        run_service("matching", settings) as matching,
        run_service("notifications", settings) as notifications,
        run_service("reporting", settings) as reporting,
    ):
        # One supporter who fits but has no room: questions wait, so matching keeps them (with the ref).
        async with matching.runtime.db.acquire() as conn:
            await matching_store.upsert_organisation(conn, "mee", "MEE Plus", False)
            await matching_store.upsert_supporter(
                conn,
                SupporterRecord(
                    id="s-full",
                    name="Anna de Wit",
                    email="anna@mee.example",
                    kind="professional",
                    organisation="mee",
                    municipalities=["GM0505"],
                    life_domains=["wmo", "youth"],
                    languages=["nl"],
                    specialisms=[],
                    capacity=1,
                    active_cases=1,
                    postcode="3311",
                    active=True,
                ),
            )
        yield Platform({"intake": intake, "matching": matching, "notifications": notifications, "reporting": reporting})


async def api_key(platform: Platform, *scopes: str) -> dict[str, str]:
    async with platform["intake"].runtime.db.acquire() as conn:
        key = await access.create_key(conn, f"org-{uuid.uuid4().hex[:8]}", list(scopes))
    return {"Authorization": f"Bearer {key}"}


def resident() -> dict[str, str]:
    tag = uuid.uuid4().hex[:10]
    return {
        "name": f"Roos Vergeetmij {tag}",
        "email": f"roos.{tag}@example.nl",
        "phone": f"06{int(tag, 16) % 10**8:08d}",
    }


def question(contact: dict[str, str], life_domain: str) -> dict[str, Any]:
    return {
        "municipality": "GM0505",
        "life_domains": [life_domain],
        "description": f"Ik wil graag hulp bij mijn {life_domain}-aanvraag, kenmerk {uuid.uuid4().hex}.",
        "postcode": "3311",
        "channel": "phone",
        "contact": contact,
        "consent": {"share_with_supporter": True},
    }


async def count(service: RunningService, sql: str, *args: Any) -> int:
    value: int = await service.runtime.db.fetchval(sql, *args)
    return value


async def test_erasure_leaves_nothing_personal_anywhere(
    platform: Platform, settings: Settings, database_url: str
) -> None:
    intake, matching, notifications, reporting = (platform[name] for name in SERVICE_NAMES)
    staff = await api_key(platform, "staff")
    officer = await api_key(platform, "privacy-officer")
    contact = resident()
    bodies = [question(contact, "wmo"), question(contact, "youth")]
    question_ids = []
    for body in bodies:
        response = await intake.client.post("/api/v1/questions", json=body, headers=staff)
        assert response.status_code == 202, response.text
        question_ids.append(response.json()["question_id"])
    contact_answer = await intake.client.get(f"/internal/v1/questions/{question_ids[0]}/contact", headers=INTERNAL)
    ref = contact_answer.json()["resident_ref"]

    # Every service has taken the questions in; matching holds the ref, reporting never keeps it.
    async def all_services_know_both() -> bool:
        return (
            await count(matching, "SELECT count(*) FROM waiting WHERE question_id = ANY($1)", question_ids) == 2
            and await count(
                reporting,
                "SELECT count(*) FROM events WHERE subject = ANY($1) AND data->>'resident_ref' = $2",
                question_ids,
                TOMBSTONE,
            )
            == 2
            and await count(notifications, "SELECT count(*) FROM questions WHERE question_id = ANY($1)", question_ids)
            == 2
        )

    await eventually(all_services_know_both, timeout=60)
    # A mail server once refused the resident's address, and its error quoted it.
    await notifications.runtime.db.execute(
        "INSERT INTO deliveries (delivery_key, message_id, status, attempts, recipient_role, channel, template,"
        " question_id, cause_event_id, last_error) VALUES ($1, $2, 'failed', 3, 'resident', 'email', 'assigned',"
        " $3, $4, $5)",
        f"test-{uuid.uuid4()}",
        f"<{uuid.uuid4()}@samenloket>",
        question_ids[0],
        str(uuid.uuid4()),
        f"550 5.1.1 <{contact['email']}>: mailbox unavailable",
    )
    personal = [contact["name"], contact["email"], contact["phone"], *(b["description"] for b in bodies)]
    before = await find_anywhere(database_url, [*personal, ref])
    # The search does find what is there (names and descriptions are sealed in intake, so not these).
    assert {(h.schema, h.table) for h in before} >= {("matching", "waiting"), ("notifications", "deliveries")}
    assert not [h for h in before if h.schema == "reporting"], "reporting holds no reference to a person"

    response = await intake.client.delete(f"/api/v1/residents/{ref}", headers=officer)
    assert response.status_code == 202, response.text
    assert response.json() == {"resident_ref": ref, "status": "erasure_requested"}

    def all_erased(records: list[Any]) -> bool:
        done = {e.data["service"] for e in events_of(records, ResidentErased.ce_type) if e.subject == ref}
        return done == set(SERVICE_NAMES)

    await read_topic(settings, PRIVACY, until=all_erased, timeout=60)

    # Nothing personal is left, in any table of any schema (outboxes included, once relayed).
    assert await schemas_scanned(database_url) >= {*SERVICE_NAMES, "access"}

    async def nothing_left() -> bool:
        return await find_anywhere(database_url, [*personal, ref]) == []

    try:
        await eventually(nothing_left, timeout=20)
    except TimeoutError:
        hits = await find_anywhere(database_url, [*personal, ref])
        raise AssertionError([(h.schema, h.table, h.needle, h.row[:200]) for h in hits]) from None

    # What stays is pseudonymous: the questions and their figures, without a person behind them.
    assert (
        await count(
            reporting,
            "SELECT count(*) FROM events WHERE subject = ANY($1) AND data->>'resident_ref' = $2",
            question_ids,
            TOMBSTONE,
        )
        == 2
    )
    assert await count(reporting, "SELECT count(*) FROM question_facts WHERE question_id = ANY($1)", question_ids) == 2
    assert await count(matching, "SELECT count(*) FROM waiting WHERE question_id = ANY($1)", question_ids) == 0
    assert await count(intake, "SELECT count(*) FROM audit_log WHERE action = 'resident.erase'") >= 1

    # The old events still carry the ref, but it leads to no one.
    records = await read_topic(
        settings,
        QUESTIONS,
        until=lambda rs: len([e for e in events_of(rs, QuestionReceived.ce_type) if e.subject in question_ids]) == 2,
    )
    old = [e for e in events_of(records, QuestionReceived.ce_type) if e.subject in question_ids]
    assert {e.data["resident_ref"] for e in old} == {ref}
    assert not await resident_exists(intake.runtime.db, ref)
    for question_id in question_ids:
        answer = await intake.client.get(f"/internal/v1/questions/{question_id}/contact", headers=INTERNAL)
        assert answer.status_code == 404

    # A replay of an old event (a new id, as a re-publishing tool would give it) does not bring the ref back.
    replay = dataclasses.replace(old[0], id=str(uuid.uuid4()))
    await publish(settings, QUESTIONS, replay)

    async def replay_handled() -> bool:
        seen = await count(reporting, "SELECT count(*) FROM events WHERE event_id = $1", replay.id)
        handled = await count(matching, "SELECT count(*) FROM inbox WHERE event_id = $1", replay.id)
        return seen == 1 and handled == 1

    await eventually(replay_handled, timeout=30)
    assert (
        await count(
            reporting,
            "SELECT count(*) FROM events WHERE event_id = $1 AND data->>'resident_ref' = $2",
            replay.id,
            TOMBSTONE,
        )
        == 1
    )
    assert await count(matching, "SELECT count(*) FROM waiting WHERE question_id = ANY($1)", question_ids) == 0
    assert await find_anywhere(database_url, [*personal, ref]) == []
