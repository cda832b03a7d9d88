"""Key rotation on real PostgreSQL: old values open after a new key is put first, rewrap moves them
to the new key, and then the old key can go — by settings, and with the `samenloket keys` commands."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from pydantic import SecretStr

from services.intake import keys
from services.kit import access, crypto
from services.kit.crypto import KeyRing
from services.kit.settings import Settings
from tests.support.harness import RunningService, run_service

pytestmark = pytest.mark.integration

K1 = base64.b64encode(b"1" * 32).decode()
K2 = base64.b64encode(b"2" * 32).decode()
INDEX = base64.b64encode(b"i" * 32).decode()
INTERNAL = {"Authorization": "Bearer test-internal-token", "X-Purpose": "notification", "X-Caller": "tests"}


def with_keys(settings: Settings, ring: str, **changes: Any) -> Settings:
    return settings.model_copy(update={"encryption_keys": SecretStr(ring), "index_key": SecretStr(INDEX)} | changes)


async def staff_key(intake: RunningService) -> dict[str, str]:
    async with intake.runtime.db.acquire() as conn:
        key = await access.create_key(conn, f"org-{uuid.uuid4().hex[:8]}", ["staff"])
    return {"Authorization": f"Bearer {key}"}


def question(contact: dict[str, str]) -> dict[str, Any]:
    return {
        "municipality": "GM0505",
        "life_domains": ["debts"],
        "description": f"Ik heb schulden en weet niet waar ik moet beginnen {uuid.uuid4().hex}.",
        "postcode": "3312",
        "channel": "walk_in",
        "contact": contact,
        "consent": {"share_with_supporter": True},
    }


def person() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {"name": f"Sem Rotatie {tag}", "email": f"sem.{tag}@example.nl"}


async def submit(intake: RunningService, body: dict[str, Any]) -> str:
    response = await intake.client.post("/api/v1/questions", json=body, headers=await staff_key(intake))
    assert response.status_code == 202, response.text
    question_id: str = response.json()["question_id"]
    return question_id


async def contact_of(intake: RunningService, question_id: str) -> dict[str, Any]:
    response = await intake.client.get(f"/internal/v1/questions/{question_id}/contact", headers=INTERNAL)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def on_intake(database_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(database_url, server_settings={"search_path": "intake"})


async def test_rotation_by_settings(settings: Settings, database_url: str) -> None:
    contact = person()
    async with run_service("intake", with_keys(settings, f"k1:{K1}")) as old:
        first = await submit(old, question(contact))
        signal = await old.client.post(
            "/api/v1/signals",
            json={
                "theme": "reachability",
                "municipality": "GM0505",
                "level": "local",
                "raised_by": "staff",
                "text": "Loket slecht bereikbaar",
            },
            headers=await staff_key(old),
        )
        assert signal.status_code == 202, signal.text
        ref = (await contact_of(old, first))["resident_ref"]

    # 1. A new key goes first; the old one stays for opening.
    rotated = KeyRing.parse(f"k2:{K2},k1:{K1}")
    async with run_service("intake", with_keys(settings, rotated.format())) as new:
        assert (await contact_of(new, first))["name"] == contact["name"]
        again = await submit(new, question(contact))  # the same person, recognised: the index key did not change
        assert (await contact_of(new, again))["resident_ref"] == ref
        newcomer = await submit(new, question(person()))
        conn = await on_intake(database_url)
        try:
            wrapped = await conn.fetchval(
                "SELECT r.data_key FROM residents r JOIN questions q USING (resident_ref) WHERE q.question_id = $1",
                uuid.UUID(newcomer),
            )
            assert rotated.key_id_of(wrapped) == "k2"
            assert (await keys.status(conn)).get("k1", 0) >= 2  # the first resident's key and the signal

            # 2. Rewrap: everything the old key sealed is sealed again with the new one.
            result = await keys.rewrap(conn, rotated)
            assert result["residents.data_key"]["rewrapped"] >= 1 and result["signals.text"]["rewrapped"] >= 1
            assert all(counts["failed"] == 0 for counts in result.values())
            by_key = await keys.status(conn)
            assert "k1" not in by_key and by_key["k2"] >= 3 and by_key["dek"] >= 6
            assert (await keys.rewrap(conn, rotated))["residents.data_key"]["rewrapped"] == 0  # nothing left to do
        finally:
            await conn.close()

    # 3. The old key is gone: everything still opens.
    async with run_service("intake", with_keys(settings, f"k2:{K2}")) as latest:
        assert (await contact_of(latest, first))["email"] == contact["email"]
        vault = latest.runtime.container.intake.vault  # type: ignore[attr-defined]
        row = await latest.runtime.db.fetchrow("SELECT signal_id::text AS id, text FROM signals LIMIT 1")
        assert (
            row is not None and vault.open_text("signals", "text", row["id"], row["text"]) == "Loket slecht bereikbaar"
        )


def keys_command(data_dir: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMENLOKET_")}
    env |= {"SAMENLOKET_DATABASE_URL": database_url, "SAMENLOKET_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "keys", *args], env=env, capture_output=True, text=True, timeout=60
    )


async def test_rotation_with_the_keys_commands(settings: Settings, database_url: str, tmp_path: Path) -> None:
    file_settings = settings.model_copy(update={"data_dir": tmp_path})  # no key settings: <data_dir>/secrets.json
    contact = person()
    async with run_service("intake", file_settings) as before:
        question_id = await submit(before, question(contact))
    old_id = crypto.read_secrets(crypto.secrets_path(tmp_path)).ring.current_id

    rotated = keys_command(tmp_path, database_url, "rotate")
    assert rotated.returncode == 0, rotated.stderr
    ring = json.loads(rotated.stdout)
    assert ring["keys"][1:] == [old_id] and ring["current"] != old_id

    refused = keys_command(tmp_path, database_url, "retire", old_id)
    assert refused.returncode == 1 and "rewrap" in refused.stderr  # still in use

    async with run_service("intake", file_settings) as restarted:  # restart: the new key seals from now on
        assert (await contact_of(restarted, question_id))["name"] == contact["name"]
        rewrapped = keys_command(tmp_path, database_url, "rewrap")
        result = json.loads(rewrapped.stdout)
        assert result["rewrapped"]["residents.data_key"]["rewrapped"] >= 1
        assert old_id not in result["by_key"]
        # Values of another ring (test_rotation_by_settings shares this database) cannot be moved: said so.
        assert rewrapped.returncode == (1 if result["rewrapped"]["residents.data_key"]["failed"] else 0)

    retired = keys_command(tmp_path, database_url, "retire", old_id)
    assert retired.returncode == 0, retired.stderr
    assert json.loads(retired.stdout)["keys"] == [ring["current"]]
    async with run_service("intake", file_settings) as after:
        assert (await contact_of(after, question_id))["name"] == contact["name"]

    status = keys_command(tmp_path, database_url, "status")
    assert status.returncode == 0 and json.loads(status.stdout)["keys"] == [ring["current"]]


def test_keys_from_the_environment_are_not_rewritten(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "SAMENLOKET_ENCRYPTION_KEYS": f"k1:{K1}", "SAMENLOKET_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "keys", "rotate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "SAMENLOKET_ENCRYPTION_KEYS" in result.stderr
    assert not crypto.secrets_path(tmp_path).exists()
    generated = subprocess.run(
        [sys.executable, "-m", "services.cli", "keys", "generate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert KeyRing.parse(generated.stdout.strip()).ids()[0].startswith("k")
