"""The ``samenloket`` commands of the local tooling: ``bench``, ``match-eval``, ``match-bench`` and
``reporting seed``. Only argparse at import time (``samenloket serve`` builds the same parser); each
command imports what it runs when it runs."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any


def add_bench(commands: Any) -> None:
    bench = commands.add_parser("bench", help="load-test the running system; prints JSON")
    bench.add_argument("-n", "--questions", type=int, default=5000, help="how many referrals to publish")
    bench.add_argument(
        "--rate",
        type=float,
        default=100.0,
        help="offered referrals/s of a latency pass after the full-speed one (0: none)",
    )
    bench.add_argument("--rate-questions", type=int, default=0, help="questions of that pass (default: 20 s of --rate)")
    bench.add_argument("--http", action="store_true", help="also load POST /api/v1/questions (needs `up --demo`)")
    bench.add_argument("--http-requests", type=int, default=2000, help="requests of the full-speed HTTP pass")
    bench.add_argument("--http-rate", type=float, default=200.0, help="offered requests/s of the second HTTP pass")
    bench.add_argument("--http-concurrency", type=int, default=16, help="keep-alive connections of the HTTP passes")
    bench.add_argument("--reporting", action="store_true", help="also time the overview API, dashboard and report")
    bench.add_argument("--reporting-requests", type=int, default=50, help="requests per reporting page")
    bench.add_argument("--timeout", type=float, default=300.0, help="give up waiting after this many seconds")
    bench.add_argument("--data-dir", type=Path, default=None, help="data dir of a running `samenloket up`")
    bench.set_defaults(run=_bench)


def _bench(args: argparse.Namespace) -> int:
    from services.local.bench import Options, run_bench

    options = Options(
        questions=args.questions,
        rate=args.rate,
        rate_questions=args.rate_questions,
        wait_seconds=args.timeout,
        http=args.http,
        http_requests=args.http_requests,
        http_rate=args.http_rate,
        http_concurrency=args.http_concurrency,
        reporting=args.reporting,
        reporting_requests=args.reporting_requests,
    )
    print(json.dumps(asyncio.run(run_bench(options, args.data_dir)), indent=2))
    return 0


def add_matching(commands: Any) -> None:
    evaluate = commands.add_parser("match-eval", help="print, as JSON, the assignments a matching scenario gets")
    evaluate.add_argument("file", type=Path, help="scenario JSON (format: services/local/match_eval.py)")
    evaluate.add_argument("--now", default=None, help="RFC 3339 moment to age questions to (default: newest one)")
    evaluate.set_defaults(run=_match_eval)
    bench = commands.add_parser("match-bench", help="benchmark the matching engine in process; prints JSON")
    bench.add_argument("--supporters", type=int, default=50_000, help="pool size for decision latency")
    bench.add_argument("--decisions", type=int, default=2_000, help="decisions to time")
    bench.add_argument("--waiting", type=int, default=10_000, help="waiting questions to re-optimise")
    bench.add_argument("--batch-supporters", type=int, default=5_000, help="supporters in the re-optimisation")
    bench.set_defaults(run=_match_bench)


def _match_eval(args: argparse.Namespace) -> int:
    from datetime import datetime

    from services.local import match_eval

    try:
        now = datetime.fromisoformat(args.now) if args.now else None
    except ValueError:
        print(f"samenloket match-eval: --now: not an RFC 3339 moment: {args.now!r}", file=sys.stderr)
        return 2
    try:
        result = match_eval.run(args.file, now)
    except match_eval.ScenarioError as exc:
        for line in exc.lines:
            print(f"{args.file}: {line}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


def _match_bench(args: argparse.Namespace) -> int:
    from services.local import match_bench

    result = match_bench.run(args.supporters, args.decisions, args.waiting, args.batch_supporters)
    print(json.dumps(result, indent=2))
    return 0


def add_reporting_seed(sub: Any) -> None:
    seed = sub.add_parser("seed", help="fill reporting with years of generated questions (measuring, never production)")
    seed.add_argument("--questions", type=int, default=1_000_000, help="questions to generate (default 1,000,000)")
    seed.add_argument("--years", type=float, default=10.0, help="spread over this many years back (default 10)")
    seed.add_argument("--data-dir", type=Path, default=None, help="data dir of a running `samenloket up`")
    seed.set_defaults(run=_reporting_seed)


def _reporting_seed(args: argparse.Namespace) -> int:
    from services.cli import database_url
    from services.kit import db
    from services.local.reporting_seed import seed

    if args.questions < 1 or not 0 < args.years <= 50:
        print("samenloket reporting seed: --questions at least 1, --years in (0, 50]", file=sys.stderr)
        return 2
    url = database_url(args.data_dir)
    asyncio.run(db.migrate(url, "reporting"))
    print(json.dumps(asyncio.run(seed(url, args.questions, args.years)), indent=2))
    return 0
