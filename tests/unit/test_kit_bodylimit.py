"""The request body limit: counted as the body streams, before the app sees anything, on every service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from services.kit.bodylimit import BodyLimit
from services.kit.runtime import create_app, load_spec
from services.kit.settings import SERVICE_NAMES, Settings


class App:
    """An ASGI app that records the body it received."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def call(
    limit: BodyLimit, path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]
) -> tuple[int, bytes, int]:
    """(status, body, how many chunks the middleware took from the connection)."""
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    taken = 0

    async def receive() -> Message:
        nonlocal taken
        taken += 1
        return messages[taken - 1] if taken <= len(messages) else {"type": "http.disconnect"}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope: dict[str, Any] = {"type": "http", "method": "POST", "path": path, "headers": headers, "query_string": b""}
    await limit(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, taken


CHUNKED = [(b"transfer-encoding", b"chunked"), (b"accept", b"application/json")]


async def test_a_chunked_body_over_the_limit_is_refused_as_soon_as_it_passes() -> None:
    app = App()
    limit = BodyLimit(app, page_bytes=1000, api_bytes=5000)
    status, body, taken = await call(limit, "/api/v1/x", [b"x" * 900] * 60, CHUNKED)
    assert status == 413 and b"too large" in body
    assert taken == 6  # 6 × 900 > 5000: the rest was never read
    assert app.bodies == []  # the app never ran


async def test_pages_and_apis_have_their_own_limit() -> None:
    limit = BodyLimit(App(), page_bytes=1000, api_bytes=5000)
    assert (await call(limit, "/", [b"x" * 900] * 2, CHUNKED))[0] == 413
    assert (await call(limit, "/internal/v1/x", [b"x" * 900] * 2, CHUNKED))[0] == 200


async def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    limit = BodyLimit(App(), page_bytes=1000, api_bytes=5000)
    status, _, taken = await call(limit, "/", [b"x" * 2000], [(b"content-length", b"2000")])
    assert (status, taken) == (413, 0)


async def test_a_body_within_the_limit_reaches_the_app_whole() -> None:
    app = App()
    limit = BodyLimit(app, page_bytes=1000, api_bytes=5000)
    assert (await call(limit, "/", [b"a" * 300, b"b" * 300, b"c" * 300], CHUNKED))[0] == 200
    assert app.bodies == [b"a" * 300 + b"b" * 300 + b"c" * 300]


async def test_a_browser_gets_a_dutch_page() -> None:
    from fastapi import FastAPI

    app = FastAPI()
    limit = BodyLimit(app, page_bytes=1000)
    headers = [(b"transfer-encoding", b"chunked"), (b"accept", b"text/html")]
    scope_app: Any = app

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = scope_app  # as Starlette sets it before its middleware runs
        await limit(scope, receive, send)

    status, body, _ = await call(wrapped, "/formulier", [b"x" * 900] * 3, headers)  # type: ignore[arg-type]
    assert status == 413
    assert "Uw bericht is te groot" in body.decode()


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_every_service_limits_request_bodies(name: str, tmp_path: Path) -> None:
    settings = Settings(
        database_url="postgresql://u@127.0.0.1/x",
        kafka_bootstrap_servers="127.0.0.1:1",
        data_dir=tmp_path,
        http_max_body_bytes=10_000,
        http_max_api_body_bytes=20_000,
    )
    app = create_app(load_spec(name), settings)
    (limit,) = [m for m in app.user_middleware if m.cls is BodyLimit]
    assert limit.kwargs == {"page_bytes": 10_000, "api_bytes": 20_000}
