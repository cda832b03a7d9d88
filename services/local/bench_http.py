"""`samenloket bench --http`: throughput and latency of ``POST /api/v1/questions``.

The load generator is this module: plain asyncio streams holding keep-alive HTTP/1.1 connections,
every request encoded to bytes before the clock starts, a response read by its ``Content-Length``
and nothing else parsed. It costs a few tens of microseconds of CPU per request, and the result
says how much CPU it used, so its share of the machine can be read against the service's.

Two passes: ``concurrency`` clients as fast as they can (closed loop), then an offered rate (open
loop: request i is due at ``i / rate``; its latency counts from when it was due, so a slow server is
not hidden by a waiting client).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from services.local.bench_procs import Snapshot, cpu_between, percentiles, snapshot

if TYPE_CHECKING:
    from services.local.bench import Options, Target

PATH = "/api/v1/questions"


def request_bytes(host: str, api_key: str, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body, separators=(",", ":")).encode()
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {api_key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


async def read_response(reader: asyncio.StreamReader) -> int:
    """Read one response; return its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
            break
    if length:
        await reader.readexactly(length)
    return status


async def drive(url: str, requests: list[bytes], concurrency: int, rate: float) -> dict[str, Any]:
    """Send every request over ``concurrency`` connections; at ``rate`` per second if > 0."""
    parts = urlsplit(url)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    cursor = iter(range(len(requests)))
    started = time.perf_counter()

    async def client() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            for i in cursor:
                due = started + i / rate if rate else time.perf_counter()
                ahead = due - time.perf_counter()
                if ahead > 0:
                    await asyncio.sleep(ahead)
                writer.write(requests[i])
                status = await read_response(reader)
                latencies.append((time.perf_counter() - due) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    cpu_before = time.process_time()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    generator_cpu = time.process_time() - cpu_before
    return {
        "requests": len(requests),
        "concurrency": concurrency,
        "offered_per_s": rate or "max",
        "seconds": round(seconds, 3),
        "requests_per_s": round(len(requests) / seconds, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "latency_ms": latencies,
        "load_generator_cpu_seconds": round(generator_cpu, 3),
        "load_generator_cpu_share": round(generator_cpu / seconds, 3),
    }


async def http_pass(
    url: str,
    api_key: str,
    bodies: list[dict[str, Any]],
    concurrency: int,
    rate: float,
    state: dict[str, Any] | None,
) -> tuple[dict[str, Any], Snapshot, Snapshot]:
    host = urlsplit(url).netloc
    requests = [request_bytes(host, api_key, body) for body in bodies]
    before = snapshot(state)
    result = await drive(url, requests, concurrency, rate)
    after = snapshot(state)
    result["cpu"] = cpu_between(before, after, len(requests))
    return result, before, after


def body(run_id: str, i: int) -> dict[str, Any]:
    """A question for the bench supporters (municipality, language) of this run."""
    return {
        "municipality": "GM0505",
        "life_domains": ["wmo"],
        "description": "Benchmarkvraag via de API: hulp bij een aanvraag.",
        "languages": ["pap"],
        "postcode": "3311",
        "contact": {"name": f"Bench http {run_id} {i}", "email": f"bench-http-{run_id}-{i}@bench.example"},
        "consent": {"share_with_supporter": True},
    }


async def run(target: Target, run_id: str, options: Options) -> dict[str, Any]:
    """Both passes against intake with the demo partner key of `samenloket up --demo`."""
    api_key = (target.state or {}).get("demo_api_key")
    if not api_key:
        return {"skipped": "no demo_api_key in run.json: start the system with `samenloket up --demo`"}
    result: dict[str, Any] = {
        "load_generator": "the bench's own asyncio keep-alive HTTP/1.1 client (services/local/bench_http.py)",
    }
    passes = [("full_speed", options.http_requests, 0.0), ("at_rate", options.http_at_rate, options.http_rate)]
    first = 0
    for name, count, rate in passes:
        if not count:
            continue
        bodies = [body(run_id, first + i) for i in range(count)]
        first += count
        measured, _, _ = await http_pass(
            target.intake_url, api_key, bodies, options.http_concurrency, rate, target.state
        )
        measured["latency_ms"] = percentiles(measured["latency_ms"])
        result[name] = measured
        await asyncio.sleep(2)  # let the questions of this pass leave intake before the next
    return result
