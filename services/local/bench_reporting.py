"""`samenloket bench --reporting`: how fast reporting answers on the data it holds.

Times, one request after another, the overview API (``GET /api/v1/reports/overview``), the dashboard
(signed in through its own form, as a person would) and the quarterly report, and counts the
questions reporting holds, so the figures can be read against its size (fill it with
``samenloket reporting seed``). Suppression is part of every answer, so its cost is included.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx

from services.local.bench_procs import percentiles

if TYPE_CHECKING:
    from services.local.bench import Target

#: How long one reporting page may take before it counts as a timeout.
TIMEOUT_SECONDS = 120

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def timed(client: httpx.AsyncClient, path: str, requests: int, **kwargs: Any) -> dict[str, Any]:
    """``requests`` GETs of ``path`` one after another; a request that times out is counted, not fatal
    (the rest of the bench's figures still get printed)."""
    latencies, statuses, timeouts = [], set(), 0
    for _ in range(requests):
        started = time.perf_counter()
        try:
            response = await client.get(path, **kwargs)
        except httpx.TimeoutException:
            timeouts += 1
            continue
        latencies.append((time.perf_counter() - started) * 1000)
        statuses.add(response.status_code)
    result: dict[str, Any] = {"requests": requests, "statuses": sorted(statuses), "timeouts": timeouts}
    result["latency_ms"] = percentiles(latencies)
    return result


async def sign_in(client: httpx.AsyncClient, key: str) -> None:
    page = await client.get("/dashboard/inloggen")
    token = CSRF.search(page.text)
    if token is None:
        raise RuntimeError("no CSRF token on the dashboard's sign-in page")
    form = {"csrf_token": token.group(1), "terug": "/dashboard", "api_key": key}
    await client.post("/dashboard/inloggen", data=form, follow_redirects=False)


async def run(target: Target, requests: int) -> dict[str, Any]:
    keys = (target.state or {}).get("demo_keys") or {}
    key = keys.get("analyst")
    if not key:
        return {"skipped": "no analyst key in run.json: start the system with `samenloket up --demo`"}
    conn = await asyncpg.connect(target.settings.database_url)
    try:
        held = {
            "questions": await conn.fetchval("SELECT count(*) FROM reporting.question_facts"),
            "events": await conn.fetchval("SELECT count(*) FROM reporting.events"),
        }
    finally:
        await conn.close()
    auth = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=target.reporting_url, timeout=TIMEOUT_SECONDS) as client:
        result: dict[str, Any] = {"reporting_holds": held}
        result["overview_api"] = await timed(client, "/api/v1/reports/overview", requests, headers=auth)
        result["quarterly_report"] = await timed(client, "/dashboard/kwartaalrapportage", requests, headers=auth)
        await sign_in(client, key)
        result["dashboard"] = await timed(client, "/dashboard", requests)
    return result
