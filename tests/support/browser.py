"""Shared plumbing of the browser tests: Debian's Chromium, a phone viewport, an app served over HTTP
by uvicorn in the test's event loop, and the axe-core check.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page

from tests.support.notifications import free_port

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "DESKTOP",
    "PHONE",
    "SHOTS",
    "check_at_both_sizes",
    "free_port",
    "serious_violations",
    "serve_app",
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
#: Where the browser tests save a screenshot of every page they check (empty: none).
SHOTS = os.environ.get("SAMENLOKET_SCREENSHOTS", "")


@asynccontextmanager
async def serve_app(app: Any, port: int | None = None) -> AsyncIterator[str]:
    """Serve ``app`` by uvicorn on 127.0.0.1 (on ``port``, or a free one) in this event loop; yields its URL."""
    port = free_port() if port is None else port
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn stopped at start"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def check_at_both_sizes(page: Page, name: str) -> None:
    """No serious or critical axe violation at phone and desktop size; a screenshot of each when asked."""
    for size in (PHONE, DESKTOP):
        await page.set_viewport_size(size)
        assert await serious_violations(page) == [], f"{name} at {size['width']}px"
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=f"{SHOTS}/{name}-{size['width']}.png", full_page=True)
    await page.set_viewport_size(PHONE)


async def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each."""
    results = await Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
