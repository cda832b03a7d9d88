"""Serve an app over real HTTP (uvicorn on a free port, in a thread with its own event loop)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from services.kit.runtime import UVICORN_OPTIONS
from tests.support.harness import eventually


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def served(app: Any, **config: Any) -> AsyncIterator[str]:
    """``app`` served by uvicorn with the options ``samenloket serve`` uses; its base URL."""
    port = free_port()
    options: dict[str, Any] = UVICORN_OPTIONS | {"lifespan": "on", "timeout_graceful_shutdown": 2} | config
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    await eventually(lambda: server.started, timeout=60)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 30)
