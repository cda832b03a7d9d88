"""Key rotation finishes with every kind of value intake seals with the master key ring present.

Issue 14, row 12: experience texts (and the keys of sealed dead letters) were sealed with the key
ring but not rewrapped, so ``samenloket keys retire`` always refused. Here one of each kind is made
through the code that makes it in production: a resident's data key, a signal's text and answer, a
withdrawal note, a partner's webhook secret, an experience's text and a sealed dead letter's key. The
ring is rotated, ``samenloket keys rewrap`` runs, the old key is retired, and with the new key alone
every value still opens.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from contracts.envelope import CloudEvent
from contracts.events import ReferralSubmitted
from contracts.topics import REFERRALS_INBOUND, dlq
from services.intake import deadletters, keys
from services.intake.closedloop import http as closed_loop_http
from services.intake.closedloop import store as closed_loop_store
from services.intake.experiences import store as experiences_store
from services.intake.experiences.domain import ExperienceAnswers
from services.intake.experiences.handlers import Issued, Participation
from services.kit import access, crypto
from services.kit.settings import Settings
from tests.support.harness import RunningService, eventually, publish, read_topic, run_service

pytestmark = pytest.mark.integration

INTERNAL = {"Authorization": "Bearer test-internal-token", "X-Purpose": "notification", "X-Caller": "tests"}
EXPERIENCE = "De ondersteuner nam echt de tijd voor ons."
SIGNAL = "Het Wmo-loket is slecht bereikbaar."
ANSWER = "We zetten vanaf volgende maand een extra medewerker in."
NOTE = "De inwoner is verhuisd naar een andere gemeente."


async def key_with(intake: RunningService, *scopes: str, municipality: str | None = None) -> dict[str, str]:
    async with intake.runtime.db.acquire() as conn:
        key = await access.create_key(conn, f"org-{uuid.uuid4().hex[:8]}", list(scopes), municipality)
    return {"Authorization": f"Bearer {key}"}


def question(tag: str) -> dict[str, Any]:
    return {
        "municipality": "GM0505",
        "life_domains": ["wmo"],
        "description": f"Ik zoek hulp bij de Wmo-aanvraag {tag}.",
        "postcode": "3311",
        "channel": "phone",
        "contact": {"name": f"Rian Sleutel {tag}", "email": f"rian.{tag}@example.nl"},
        "consent": {"share_with_supporter": True},
    }


async def submit(intake: RunningService, staff: dict[str, str], tag: str) -> str:
    response = await intake.client.post("/api/v1/questions", json=question(tag), headers=staff)
    assert response.status_code == 202, response.text
    question_id: str = response.json()["question_id"]
    return question_id


async def make_every_sealed_value(intake: RunningService, settings: Settings) -> dict[str, Any]:
    """One value of each kind the key ring seals; what is needed to open each afterwards."""
    staff = await key_with(intake, "staff")
    made: dict[str, Any] = {}
    # A resident (their wrapped data key) whose question gets supported and ends: an experience text.
    made["question_id"] = await submit(intake, staff, uuid.uuid4().hex[:8])
    participation: Participation = intake.runtime.container.participation
    qid = uuid.UUID(made["question_id"])
    async with intake.runtime.db.acquire() as conn, conn.transaction():
        await experiences_store.remember_assignment(
            conn, made["question_id"], "a-1", "mee-plus", "professional", datetime.now(UTC)
        )
        await experiences_store.remember_step(
            conn, made["question_id"], "a-1", "mee-plus", "ended_at", datetime.now(UTC)
        )
        issued = await participation.invite(conn, qid)
        assert isinstance(issued, Issued)
        token = issued.url.rsplit("/", 1)[1]
        shared = await participation.share(conn, token, ExperienceAnswers(score=8, text=EXPERIENCE))
    made["experience_id"] = shared.experience_id
    # A signal's text, and the municipality's answer to it.
    raised = await intake.client.post(
        "/api/v1/signals",
        json={
            "theme": "reachability",
            "municipality": "GM0505",
            "level": "local",
            "raised_by": "staff",
            "text": SIGNAL,
        },
        headers=staff,
    )
    assert raised.status_code == 202, raised.text
    made["signal_id"] = raised.json()["signal_id"]
    desk = await key_with(intake, "municipality", municipality="GM0505")
    answered = await intake.client.post(
        f"/api/v1/signals/{made['signal_id']}/answer", json={"text": ANSWER}, headers=desk
    )
    assert answered.status_code == 200, answered.text
    # A withdrawal note on another question.
    made["withdrawn_id"] = await submit(intake, staff, uuid.uuid4().hex[:8])
    withdrawn = await intake.client.post(
        f"/api/v1/questions/{made['withdrawn_id']}/withdraw", json={"reason": NOTE}, headers=staff
    )
    assert withdrawn.status_code == 200, withdrawn.text
    # A partner's webhook secret, sealed as the registration seals it.
    made["organisation"] = f"partner-{uuid.uuid4().hex[:6]}"
    made["webhook_secret"] = closed_loop_http.new_secret()
    ring = intake.runtime.container.key_ring
    sealed = ring.seal(made["webhook_secret"], closed_loop_http.secret_place(made["organisation"]))
    async with intake.runtime.db.acquire() as conn:
        await closed_loop_store.save_webhook(conn, made["organisation"], "https://partner.example.nl/hook", sealed)
    # A referral that cannot be taken: a sealed dead letter, its key kept in intake.
    event = CloudEvent(
        type=ReferralSubmitted.ce_type,
        source="/partner",
        subject="ref-rotation",
        data={"municipality": "GM0505", "contact": {"name": "X", "email": "x@example.nl"}, "description": "tekst"},
    )
    await publish(settings, REFERRALS_INBOUND, event)
    records = await read_topic(
        settings,
        dlq(REFERRALS_INBOUND),
        until=lambda rs: any(dict(r.headers).get("ce_id") == event.id.encode() for r in rs),
    )
    [made["letter"]] = [r for r in records if dict(r.headers).get("ce_id") == event.id.encode()]
    await eventually(lambda: intake.runtime.db.fetchval("SELECT count(*) FROM dead_letter_keys"))
    return made


async def opens_every_value(intake: RunningService, made: dict[str, Any]) -> None:
    """Each kind of sealed value, opened through the code that opens it in production."""
    contact = await intake.client.get(f"/internal/v1/questions/{made['question_id']}/contact", headers=INTERNAL)
    assert contact.status_code == 200, contact.text
    assert contact.json()["name"].startswith("Rian Sleutel")
    vault = intake.runtime.container.intake.vault
    db = intake.runtime.db
    experience = await db.fetchval(
        "SELECT text FROM experiences WHERE experience_id = $1", uuid.UUID(made["experience_id"])
    )
    assert vault.open_text("experiences", "text", made["experience_id"], experience) == EXPERIENCE
    signal = await db.fetchrow("SELECT text, answer FROM signals WHERE signal_id = $1", uuid.UUID(made["signal_id"]))
    assert signal is not None
    assert vault.open_text("signals", "text", made["signal_id"], signal["text"]) == SIGNAL
    assert vault.open_text("signals", "answer", made["signal_id"], signal["answer"]) == ANSWER
    note = await db.fetchval(
        "SELECT note FROM question_history WHERE question_id = $1 AND note IS NOT NULL", uuid.UUID(made["withdrawn_id"])
    )
    ring = intake.runtime.container.key_ring
    assert ring.open(note, closed_loop_http.note_place(uuid.UUID(made["withdrawn_id"]))) == NOTE
    secret = await db.fetchval(
        "SELECT secret_sealed FROM partner_webhooks WHERE organisation = $1", made["organisation"]
    )
    assert ring.open(secret, closed_loop_http.secret_place(made["organisation"])) == made["webhook_secret"]
    opened = await deadletters.opener(intake.runtime, vault)(made["letter"])
    assert opened is not None and b"x@example.nl" in opened


def keys_command(data_dir: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMENLOKET_")}
    env |= {"SAMENLOKET_DATABASE_URL": database_url, "SAMENLOKET_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "keys", *args], env=env, capture_output=True, text=True, timeout=60
    )


async def test_rotate_rewrap_and_retire_with_every_kind_of_sealed_value(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    file_settings = settings.model_copy(update={"data_dir": tmp_path})  # the keys of <data_dir>/secrets.json
    async with run_service("intake", file_settings) as before:
        made = await make_every_sealed_value(before, file_settings)
        old_id = before.runtime.container.key_ring.current_id
        async with before.runtime.db.acquire() as conn:
            assert (await keys.status(conn))[old_id] >= 7

    rotated = keys_command(tmp_path, database_url, "rotate")
    assert rotated.returncode == 0, rotated.stderr
    async with run_service("intake", file_settings) as restarted:
        rewrapped = keys_command(tmp_path, database_url, "rewrap")
        assert rewrapped.returncode == 0, rewrapped.stdout + rewrapped.stderr
        await opens_every_value(restarted, made)

    retired = keys_command(tmp_path, database_url, "retire", old_id)
    assert retired.returncode == 0, retired.stderr  # nothing is left under the old key
    assert old_id not in crypto.read_secrets(crypto.secrets_path(tmp_path)).ring.ids()
    async with run_service("intake", file_settings) as after:
        await opens_every_value(after, made)


async def test_rewrap_refuses_to_call_a_rotation_done_while_an_unknown_column_holds_the_old_key(
    settings: Settings, database_url: str
) -> None:
    """A column sealed with the ring that rewrap does not know of is named and fails the command."""
    old = crypto.KeyRing.parse(f"k1:{base64.b64encode(b'1' * 32).decode()}")
    new = crypto.KeyRing.parse(f"k2:{base64.b64encode(b'2' * 32).decode()},{old.format()}")
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "intake"})
    try:
        await conn.execute("CREATE SCHEMA IF NOT EXISTS intake")
        await conn.execute("CREATE TABLE IF NOT EXISTS sealed_elsewhere (id text PRIMARY KEY, secret text)")
        await conn.execute(
            "INSERT INTO sealed_elsewhere VALUES ('x', $1)", old.seal("geheim", crypto.context("intake", "x"))
        )
        result = await keys.rewrap(conn, new)
        assert result["sealed_elsewhere.secret"] == {"rewrapped": 0, "failed": 1}
    finally:
        await conn.execute("DROP TABLE sealed_elsewhere")
        await conn.close()
