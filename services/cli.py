"""The ``samenloket`` command (binding names: up, serve, migrate, topics, bench; also reporting rebuild).

Each command imports what it runs inside its own function, on purpose: ``samenloket serve`` is what
every container starts, so it loads only the kit and its one service, never the local tooling
(``up``, ``bench``, ``match-eval``, ``match-bench``: :mod:`services.local`) nor the other services.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from services.kit.settings import SERVICE_NAMES
from services.local import commands as local_commands

if TYPE_CHECKING:
    from services.kit.region import Region

T = TypeVar("T")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="samenloket", description="Samenloket: één loket voor cliëntondersteuning.")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start everything locally (embedded infrastructure unless configured)")
    up.add_argument("--demo", action="store_true", help="load the region's demo and a trickle of questions")
    up.add_argument(
        "--region", type=Path, default=None, help="the region file to serve (default: regions/drechtsteden.toml)"
    )
    up.add_argument("--base-port", type=int, default=8001, help="intake's port; the others follow (default 8001)")
    up.add_argument("--data-dir", type=Path, default=None, help="where embedded data lives (default .samenloket)")
    up.add_argument("--trickle-seconds", type=float, default=5.0, help="seconds between demo questions")
    up.set_defaults(run=_up)

    serve = commands.add_parser("serve", help="run one service in this process (what containers run)")
    serve.add_argument("service", choices=SERVICE_NAMES)
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="create or update every service's database schema")
    migrate.set_defaults(run=_migrate)

    topics = commands.add_parser("topics", help="create every topic and its dead-letter topic")
    topics.set_defaults(run=_topics)

    apikey = commands.add_parser("apikey", help="issue, list or revoke API keys")
    apikey_commands = apikey.add_subparsers(dest="apikey_command", required=True)
    create = apikey_commands.add_parser("create", help="issue a key (printed once, stored hashed)")
    create.add_argument("--org", required=True, help="organisation id, e.g. huisarts-dordrecht")
    create.add_argument("--scope", action="append", required=True, help="repeat for several scopes")
    create.add_argument("--municipality", default=None, help="limit the key to one municipality (CBS code)")
    create.add_argument("--label", default=None, help="a note for operators, e.g. who holds the key")
    create.set_defaults(run=_apikey_create)
    listing = apikey_commands.add_parser("list", help="list keys (never their secrets)")
    listing.set_defaults(run=_apikey_list)
    revoke = apikey_commands.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    revoke.set_defaults(run=_apikey_revoke)
    for sub in (create, listing, revoke):
        sub.add_argument("--data-dir", type=Path, default=None, help="data dir of a running `samenloket up`")

    _add_keys_commands(commands)

    local_commands.add_bench(commands)

    local_commands.add_matching(commands)
    _add_dlq_commands(commands)
    _add_reporting_commands(commands)
    return parser


def _up(args: argparse.Namespace) -> int:
    from services.local.launcher import Launcher

    return Launcher(
        demo=args.demo,
        base_port=args.base_port,
        data_dir=args.data_dir,
        trickle_seconds=args.trickle_seconds,
        region_file=args.region,
    ).run()


def _serve(args: argparse.Namespace) -> int:
    from services.kit.runtime import serve

    serve(args.service)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from services.kit import db
    from services.kit.settings import load_settings

    settings = load_settings()
    _require(settings.database_url, "SAMENLOKET_DATABASE_URL")

    applied = asyncio.run(db.migrate_all(settings.database_url))
    print(json.dumps({"applied": applied}))
    return 0


def _topics(args: argparse.Namespace) -> int:
    from services.kit import broker
    from services.kit.settings import load_settings

    settings = load_settings()
    _require(settings.kafka_bootstrap_servers, "SAMENLOKET_KAFKA_BOOTSTRAP_SERVERS")
    created = asyncio.run(broker.create_topics(settings))
    print(json.dumps({"created": created}))
    return 0


def _apikey_create(args: argparse.Namespace) -> int:
    from services.kit import access

    try:
        scopes = access.check_scopes([s for value in args.scope for s in value.split(",") if s])
        if args.municipality:
            region = served_region(args.data_dir)
            if not region.serves(args.municipality):
                served = ", ".join(f"{m.code} ({m.name})" for m in region.municipalities)
                raise ValueError(
                    f"municipality {args.municipality!r} is not served by region {region.name}; it serves {served}"
                )
    except ValueError as exc:
        print(f"samenloket apikey: {exc}", file=sys.stderr)
        return 2

    async def create(conn: Any) -> str:
        return await access.create_key(conn, args.org, scopes, args.municipality, args.label)

    try:
        key = asyncio.run(_with_access(args.data_dir, create))
    except ValueError as exc:
        print(f"samenloket apikey: {exc}", file=sys.stderr)
        return 2
    print(key)
    print(
        f"# organisation {args.org}, scopes {','.join(scopes)}: store this key now, it is not shown again",
        file=sys.stderr,
    )
    return 0


def _apikey_list(args: argparse.Namespace) -> int:
    from services.kit import access

    rows = asyncio.run(_with_access(args.data_dir, access.list_keys))
    print(json.dumps(rows, default=str, indent=2))
    return 0


def _apikey_revoke(args: argparse.Namespace) -> int:
    from services.kit import access

    async def revoke(conn: Any) -> bool:
        return await access.revoke_key(conn, args.key_id)

    revoked = asyncio.run(_with_access(args.data_dir, revoke))
    print(json.dumps({"key_id": args.key_id, "revoked": revoked}))
    return 0 if revoked else 1


async def _with_access(data_dir: Path | None, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work`` on a connection to the platform database (settings, or a running `up`)."""
    import asyncpg

    from services.kit import access, db

    url = database_url(data_dir)
    await db.migrate(url, access.SCHEMA, package=access.PACKAGE)
    conn = await asyncpg.connect(url)
    try:
        return await work(conn)
    finally:
        await conn.close()


def served_region(data_dir: Path | None) -> Region:
    """The region of the settings (``SAMENLOKET_REGION_FILE``), else of a running `samenloket up`."""
    from services.kit.region import load_region
    from services.kit.settings import load_settings

    settings = load_settings()
    path = settings.region_file
    state = (data_dir or settings.data_dir) / "run.json"
    if not path and state.exists():
        path = json.loads(state.read_text()).get("region_file") or ""
    return load_region(Path(path) if path else None)


def database_url(data_dir: Path | None) -> str:
    """The configured database, or the one of a running `samenloket up` (its run.json)."""
    from services.kit.settings import load_settings

    settings = load_settings()
    if settings.database_url:
        return settings.database_url
    state = (data_dir or settings.data_dir) / "run.json"
    if state.exists():
        url: str = json.loads(state.read_text())["database_url"]
        return url
    print(f"no database: set SAMENLOKET_DATABASE_URL or start `samenloket up` ({state} not found)", file=sys.stderr)
    raise SystemExit(2)


# --- encryption keys (rotation: services/intake/keys.py, README) ------------------------------------


def _add_keys_commands(commands: Any) -> None:
    keys = commands.add_parser("keys", help="encryption keys: generate, rotate, rewrap, status, retire")
    sub = keys.add_subparsers(dest="keys_command", required=True)
    sub.add_parser("generate", help="print a new key ring entry id:base64key").set_defaults(run=_keys_generate)
    rotate = sub.add_parser("rotate", help="put a new key first in <data-dir>/secrets.json (restart, then rewrap)")
    rotate.set_defaults(run=_keys_rotate)
    rewrap = sub.add_parser("rewrap", help="seal every value under an older key again with the current key")
    rewrap.set_defaults(run=_keys_rewrap)
    status = sub.add_parser("status", help="how many stored values each key id holds")
    status.set_defaults(run=_keys_status)
    retire = sub.add_parser("retire", help="remove a key no value uses any more from <data-dir>/secrets.json")
    retire.add_argument("key_id")
    retire.set_defaults(run=_keys_retire)
    for command in (rotate, rewrap, status, retire):
        command.add_argument("--data-dir", type=Path, default=None, help="data dir of `samenloket up` (its keys)")


def _keys_generate(args: argparse.Namespace) -> int:
    from services.kit import crypto

    print(f"{crypto.new_key_id()}:{crypto.generate_key()}")
    return 0


def _key_file(args: argparse.Namespace) -> Path | None:
    """The key file to change, or None (after saying why) when the keys come from the environment."""
    from services.intake.settings import IntakeSettings
    from services.kit import crypto
    from services.kit.settings import load_settings

    settings = load_settings(IntakeSettings)
    if settings.encryption_keys.get_secret_value():
        print(
            "samenloket keys: the keys come from SAMENLOKET_ENCRYPTION_KEYS; change that setting instead"
            " (put `samenloket keys generate`'s output first, or remove the retired entry)",
            file=sys.stderr,
        )
        return None
    return crypto.secrets_path(args.data_dir or settings.data_dir)


def _keys_rotate(args: argparse.Namespace) -> int:
    from services.kit import crypto

    path = _key_file(args)
    if path is None:
        return 2
    current = crypto.load_or_create_secrets(path.parent)
    ring = current.ring.with_new_key()
    crypto.write_secrets(path, crypto.Secrets(ring, current.index_key))
    print(json.dumps({"key_file": str(path), "current": ring.current_id, "keys": ring.ids()}))
    print("# restart samenloket, then run `samenloket keys rewrap`", file=sys.stderr)
    return 0


def _keys_ring(args: argparse.Namespace) -> Any:
    from services.intake.settings import IntakeSettings
    from services.kit import crypto
    from services.kit.settings import load_settings

    settings = load_settings(IntakeSettings)
    return crypto.secrets_of(
        settings.encryption_keys.get_secret_value(),
        settings.index_key.get_secret_value(),
        args.data_dir or settings.data_dir,
        warn=False,
    ).ring


async def _on_intake(data_dir: Path | None, work: Callable[[Any], Awaitable[T]]) -> T:
    import asyncpg

    conn = await asyncpg.connect(database_url(data_dir), server_settings={"search_path": "intake"})
    try:
        return await work(conn)
    finally:
        await conn.close()


def _keys_rewrap(args: argparse.Namespace) -> int:
    from services.intake import keys

    ring = _keys_ring(args)

    async def work(conn: Any) -> dict[str, Any]:
        return {
            "current": ring.current_id,
            "rewrapped": await keys.rewrap(conn, ring),
            "by_key": await keys.status(conn),
        }

    result = asyncio.run(_on_intake(args.data_dir, work))
    print(json.dumps(result, indent=2))
    failed = sum(counts["failed"] for counts in result["rewrapped"].values())
    return 1 if failed else 0


def _keys_status(args: argparse.Namespace) -> int:
    from services.intake import keys

    ring = _keys_ring(args)
    by_key = asyncio.run(_on_intake(args.data_dir, keys.status))
    print(json.dumps({"current": ring.current_id, "keys": ring.ids(), "by_key": by_key}, indent=2))
    return 0


def _keys_retire(args: argparse.Namespace) -> int:
    from services.intake import keys
    from services.kit import crypto

    path = _key_file(args)
    if path is None:
        return 2
    current = crypto.read_secrets(path)
    if args.key_id not in current.ring.ids() or args.key_id == current.ring.current_id:
        print(f"samenloket keys: {args.key_id!r} is not an older key of {path}", file=sys.stderr)
        return 2
    in_use = asyncio.run(_on_intake(args.data_dir, keys.status)).get(args.key_id, 0)
    if in_use:
        print(
            f"samenloket keys: {in_use} value(s) still use {args.key_id!r}; run `samenloket keys rewrap`",
            file=sys.stderr,
        )
        return 1
    ring = crypto.KeyRing(tuple(k for k in current.ring.keys if k[0] != args.key_id))
    crypto.write_secrets(path, crypto.Secrets(ring, current.index_key))
    print(json.dumps({"key_file": str(path), "current": ring.current_id, "keys": ring.ids()}))
    return 0


# --- dead-letter topics (services/kit/dlq.py, deploy/README.md runbook) ---------------------------


def _add_dlq_commands(commands: Any) -> None:
    dlq = commands.add_parser("dlq", help="list or replay a topic's dead letters")
    sub = dlq.add_subparsers(dest="dlq_command", required=True)
    listing = sub.add_parser("list", help="print each dead letter's reason, type, origin and attempts (no payload)")
    listing.set_defaults(run=_dlq_list)
    replay = sub.add_parser("replay", help="republish dead letters to their topic, once each; prints JSON")
    replay.add_argument("--limit", type=int, default=None, help="replay at most this many")
    replay.add_argument("--dry-run", action="store_true", help="count what would be replayed, send nothing")
    replay.set_defaults(run=_dlq_replay)
    for command in (listing, replay):
        command.add_argument("topic", help="the topic, e.g. samenloket.questions (or its .dlq name)")
        command.add_argument("--data-dir", type=Path, default=None, help="data dir of a running `samenloket up`")


def broker_settings(data_dir: Path | None) -> Any:
    """The configured broker, or the one of a running `samenloket up` (its run.json)."""
    from services.kit.settings import load_settings

    settings = load_settings()
    if settings.kafka_bootstrap_servers:
        return settings
    state = (data_dir or settings.data_dir) / "run.json"
    if state.exists():
        bootstrap = json.loads(state.read_text())["kafka_bootstrap_servers"]
        return settings.model_copy(update={"kafka_bootstrap_servers": bootstrap})
    print(
        f"no broker: set SAMENLOKET_KAFKA_BOOTSTRAP_SERVERS or start `samenloket up` ({state} not found)",
        file=sys.stderr,
    )
    raise SystemExit(2)


def _dlq_list(args: argparse.Namespace) -> int:
    from services.kit import dlq

    letters = asyncio.run(dlq.list_dead_letters(broker_settings(args.data_dir), args.topic))
    for letter in letters:
        print(json.dumps(letter))
    return 0


def _dlq_replay(args: argparse.Namespace) -> int:

    if args.limit is not None and args.limit < 1:
        print("samenloket dlq replay: --limit must be at least 1", file=sys.stderr)
        return 2
    result = asyncio.run(_replay(args))
    print(json.dumps(result))
    return 0


async def _replay(args: argparse.Namespace) -> dict[str, Any]:
    """Replay; the inbound topic's letters are sealed by intake, so they are opened with intake's keys."""
    from contracts.topics import REFERRALS_INBOUND
    from services.kit import dlq

    settings = broker_settings(args.data_dir)
    if dlq.topics_of(args.topic)[0] != REFERRALS_INBOUND:
        return await dlq.replay(settings, args.topic, args.limit, args.dry_run)
    from dataclasses import dataclass

    import asyncpg

    from services.intake import deadletters
    from services.intake.settings import IntakeSettings
    from services.intake.vault import Vault, intake_secrets
    from services.kit import db
    from services.kit.settings import load_settings

    @dataclass(frozen=True)
    class Lent:
        db: asyncpg.Pool

    intake = load_settings(IntakeSettings)
    keys = intake_secrets(intake.model_copy(update={"data_dir": args.data_dir or intake.data_dir}))
    pool = await db.create_pool(database_url(args.data_dir), "intake", max_size=2)
    try:
        opener = deadletters.opener(Lent(pool), Vault(keys.ring))
        return await dlq.replay(settings, args.topic, args.limit, args.dry_run, opener=opener)
    finally:
        await pool.close()


# --- reporting: rebuild the projections from the event store (services/reporting/rebuild.py) -------


def _add_reporting_commands(commands: Any) -> None:
    reporting = commands.add_parser("reporting", help="reporting's read models")
    sub = reporting.add_subparsers(dest="reporting_command", required=True)
    rebuild = sub.add_parser("rebuild", help="empty every projection and replay reporting's event store into it")
    rebuild.add_argument("--batch-size", type=int, default=5000, help="events read per batch (default 5000)")
    rebuild.add_argument("--data-dir", type=Path, default=None, help="data dir of a running `samenloket up`")
    rebuild.set_defaults(run=_reporting_rebuild)
    local_commands.add_reporting_seed(sub)


def _reporting_rebuild(args: argparse.Namespace) -> int:
    if args.batch_size < 1:
        print("samenloket reporting rebuild: --batch-size must be at least 1", file=sys.stderr)
        return 2
    summary = asyncio.run(_rebuild_reporting(database_url(args.data_dir), args.batch_size))
    print(summary.line())
    return 0


async def _rebuild_reporting(url: str, batch_size: int) -> Any:
    """Migrate reporting's schema, then rebuild with a progress bar on stderr (stdout keeps the summary)."""
    import asyncpg
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from services.kit import db
    from services.reporting import rebuild

    await db.migrate(url, "reporting")
    conn = await asyncpg.connect(url, server_settings={"search_path": "reporting"})
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=Console(stderr=True)) as progress:
            task = progress.add_task("events replayed", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            return await rebuild.rebuild(conn, advance, batch_size)
    finally:
        await conn.close()


def _require(value: str, name: str) -> None:
    if not value:
        print(f"{name} is not set (or use `samenloket up`, which starts embedded infrastructure)", file=sys.stderr)
        raise SystemExit(2)


if __name__ == "__main__":
    raise SystemExit(main())
