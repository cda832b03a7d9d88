"""`samenloket apikey create/list/revoke` as a real subprocess against the module's database."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from services.kit import access, db
from services.local.demo.keys import DEMO_ORG, DEMO_SCOPES, all_demo_keys, demo_key, demo_readers

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture(scope="module")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    await db.migrate(database_url, access.SCHEMA, package=access.PACKAGE)
    created = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    assert created is not None
    yield created
    await created.close()


async def cli(database_url: str, *args: str, data_dir: Path | None = None) -> Ran:
    env = dict(os.environ, SAMENLOKET_DATABASE_URL=database_url)
    if data_dir is not None:
        env["SAMENLOKET_DATA_DIR"] = str(data_dir)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        "apikey",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())


def org() -> str:
    return f"huisarts-{uuid.uuid4().hex[:8]}"


async def create(database_url: str, organisation: str, *extra: str) -> str:
    ran = await cli(database_url, "create", "--org", organisation, "--scope", "submit,read-own", *extra)
    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert len(lines) == 1, ran.out
    return lines[0]


async def everything_stored(pool: asyncpg.Pool, key_id: str) -> str:
    row = await pool.fetchrow("SELECT * FROM access.api_keys WHERE key_id = $1", key_id)
    assert row is not None
    return json.dumps(dict(row), default=str)


async def test_create_prints_the_key_once_and_stores_only_its_hash(database_url: str, pool: asyncpg.Pool) -> None:
    organisation = org()
    ran = await cli(
        database_url, "create", "--org", organisation, "--scope", "submit,read-own", "--municipality", "GM0505"
    )

    assert ran.code == 0, ran.err
    [key] = ran.out.splitlines()
    match = access.KEY_PATTERN.match(key)
    assert match is not None, ran.out
    assert key not in ran.err and "not shown again" in ran.err and organisation in ran.err

    key_id, secret = match.group(1), match.group(2)
    row = await pool.fetchrow("SELECT * FROM access.api_keys WHERE key_id = $1", key_id)
    assert row is not None
    assert row["secret_sha256"] == hashlib.sha256(key.encode()).hexdigest()
    assert (row["organisation"], sorted(row["scopes"]), row["municipality"]) == (
        organisation,
        ["read-own", "submit"],
        "GM0505",
    )
    stored = await everything_stored(pool, key_id)
    assert key not in stored and secret not in stored

    principal = await access.KeyStore(pool).authenticate(key)
    assert principal is not None
    assert (principal.organisation, principal.scopes, principal.municipality) == (
        organisation,
        frozenset({"submit", "read-own"}),
        "GM0505",
    )


async def test_scopes_may_be_repeated_or_comma_separated(database_url: str, pool: asyncpg.Pool) -> None:
    ran = await cli(database_url, "create", "--org", org(), "--scope", "staff", "--scope", "submit,staff")
    assert ran.code == 0, ran.err
    principal = await access.KeyStore(pool).authenticate(ran.out.strip())
    assert principal is not None and principal.scopes == frozenset({"staff", "submit"})


async def test_list_never_shows_a_key_or_its_hash(database_url: str, pool: asyncpg.Pool) -> None:
    organisation = org()
    key = await create(database_url, organisation, "--label", "test label")
    key_id = key.split("_")[1]
    digest = access.secret_hash(key)

    ran = await cli(database_url, "list")

    assert ran.code == 0, ran.err
    rows = json.loads(ran.out)
    [mine] = [r for r in rows if r["key_id"] == key_id]
    assert mine["organisation"] == organisation and sorted(mine["scopes"]) == ["read-own", "submit"]
    assert mine["label"] == "test label" and mine["revoked_at"] is None
    assert all("secret" not in field for r in rows for field in r)
    assert key not in ran.out and key.split("_", 2)[2] not in ran.out and digest not in ran.out


async def test_revoke_ends_a_key(database_url: str, pool: asyncpg.Pool) -> None:
    key = await create(database_url, org())
    key_id = key.split("_")[1]
    assert await access.KeyStore(pool).authenticate(key) is not None

    ran = await cli(database_url, "revoke", key_id)

    assert ran.code == 0, ran.err
    assert json.loads(ran.out) == {"key_id": key_id, "revoked": True}
    assert await access.KeyStore(pool).authenticate(key) is None
    [listed] = [r for r in json.loads((await cli(database_url, "list")).out) if r["key_id"] == key_id]
    assert listed["revoked_at"] is not None

    again = await cli(database_url, "revoke", key_id)
    assert again.code == 1 and json.loads(again.out) == {"key_id": key_id, "revoked": False}
    unknown = await cli(database_url, "revoke", "000000000000")
    assert unknown.code == 1 and json.loads(unknown.out)["revoked"] is False


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--scope", "admin"], "unknown scope(s) ['admin']; allowed: submit, read-own, staff"),
        (["--scope", "submit,superuser"], "unknown scope(s) ['superuser']"),
        (["--scope", "submit", "--municipality", "GM9999"], "not served by region Drechtsteden"),
        (["--scope", "submit", "--municipality", "GM0363"], "it serves GM0505 (Dordrecht)"),
    ],
)
async def test_bad_input_exits_2_with_one_clear_line(
    database_url: str, pool: asyncpg.Pool, args: list[str], says: str
) -> None:
    organisation = org()
    ran = await cli(database_url, "create", "--org", organisation, *args)

    assert ran.code == 2
    assert ran.out == ""
    lines = ran.err.strip().splitlines()
    assert len(lines) == 1, ran.err
    assert lines[0].startswith("samenloket apikey: ") and says in lines[0]
    assert await pool.fetchval("SELECT count(*) FROM access.api_keys WHERE organisation = $1", organisation) == 0


async def test_a_bad_organisation_name_exits_2(database_url: str, pool: asyncpg.Pool) -> None:
    ran = await cli(database_url, "create", "--org", "Huisarts Dordrecht", "--scope", "submit")
    assert ran.code == 2 and ran.out == ""
    assert "organisation must be" in ran.err and "Traceback" not in ran.err


# --- the demo key of `samenloket up --demo` ------------------------------------------------------


async def test_the_demo_key_is_reused_while_it_works_and_replaced_when_not(
    database_url: str, pool: asyncpg.Pool
) -> None:
    first = await demo_key(database_url, None)
    principal = await access.KeyStore(pool).authenticate(first)
    assert principal is not None
    assert principal.organisation == DEMO_ORG and principal.scopes == frozenset(DEMO_SCOPES)

    assert await demo_key(database_url, first) == first

    async with pool.acquire() as conn:
        await access.revoke_key(conn, first.split("_")[1])
    replaced = await demo_key(database_url, first)
    assert replaced != first and await access.KeyStore(pool).authenticate(replaced) is not None

    async with pool.acquire() as conn:
        someone_else = await access.create_key(conn, org(), list(DEMO_SCOPES))
        too_narrow = await access.create_key(conn, DEMO_ORG, ["submit"])
    for stale in ("not-a-key", 42, "slk_0123456789ab_" + "a" * 43, someone_else, too_narrow):
        fresh = await demo_key(database_url, stale)
        assert fresh != stale and await access.KeyStore(pool).authenticate(fresh) is not None


async def test_the_dashboard_keys_of_the_demo_are_the_readers_and_reused_while_they_work(
    database_url: str, pool: asyncpg.Pool
) -> None:
    partner, readers = await all_demo_keys(database_url, {}, "GM0505")
    assert set(readers) == {"analyst", "desk", "council"}
    store = access.KeyStore(pool)
    found = {name: await store.authenticate(key) for name, key in readers.items()}
    analyst, desk, council = found["analyst"], found["desk"], found["council"]
    assert analyst and analyst.scopes == frozenset({"analyst"}) and analyst.municipality is None
    assert desk and desk.scopes == frozenset({"municipality"}) and desk.municipality == "GM0505"
    assert council and council.scopes == frozenset({"council"}) and council.municipality is None
    assert partner not in readers.values()

    state: dict[str, object] = {"demo_api_key": partner, "demo_keys": readers}
    assert await all_demo_keys(database_url, state, "GM0505") == (partner, readers)

    # A revoked desk key is replaced; the others stay. A key of another audience is not taken over.
    async with pool.acquire() as conn:
        await access.revoke_key(conn, readers["desk"].split("_")[1])
    again, renewed = await all_demo_keys(
        database_url, state | {"demo_keys": readers | {"council": readers["analyst"]}}, "GM0505"
    )
    assert again == partner and renewed["analyst"] == readers["analyst"]
    assert renewed["desk"] != readers["desk"] and renewed["council"] != readers["analyst"]
    assert demo_readers("GM0505")["desk"].fits(await access.KeyStore(pool).authenticate(renewed["desk"]))
    assert demo_readers("GM0505")["council"].fits(await access.KeyStore(pool).authenticate(renewed["council"]))
