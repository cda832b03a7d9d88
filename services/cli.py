"""The ``samenloket`` command (binding names: up, serve, migrate, topics, bench)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from services.kit.settings import SERVICE_NAMES


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="samenloket", description="Samenloket: één loket voor cliëntondersteuning.")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start everything locally (embedded infrastructure unless configured)")
    up.add_argument("--demo", action="store_true", help="load the Drechtsteden demo region and a trickle of questions")
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

    bench = commands.add_parser("bench", help="load-test the running system; prints JSON")
    bench.add_argument("-n", "--questions", type=int, default=5000, help="how many referrals to publish")
    bench.add_argument("--rate", type=float, default=0.0, help="referrals per second (0 = as fast as possible)")
    bench.add_argument("--timeout", type=float, default=300.0, help="give up waiting after this many seconds")
    bench.add_argument("--data-dir", type=Path, default=None, help="data dir of a running `samenloket up`")
    bench.set_defaults(run=_bench)
    return parser


def _up(args: argparse.Namespace) -> int:
    from services.kit.launcher import Launcher

    return Launcher(
        demo=args.demo, base_port=args.base_port, data_dir=args.data_dir, trickle_seconds=args.trickle_seconds
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

    async def run() -> list[str]:
        applied: list[str] = []
        for name in SERVICE_NAMES:
            applied += await db.migrate(settings.database_url, name)
        return applied

    applied = asyncio.run(run())
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


def _bench(args: argparse.Namespace) -> int:
    from services.bench import run_bench

    result = asyncio.run(run_bench(args.questions, args.rate, args.timeout, args.data_dir))
    print(json.dumps(result, indent=2))
    return 0


def _require(value: str, name: str) -> None:
    if not value:
        print(f"{name} is not set (or use `samenloket up`, which starts embedded infrastructure)", file=sys.stderr)
        raise SystemExit(2)


if __name__ == "__main__":
    raise SystemExit(main())
