"""A limit on request bodies that counts the bytes as they stream in, before anything parses them.

A ``Content-Length`` header can be left out (chunked transfer encoding), so checking it is not
enough: :class:`BodyLimit` reads the body itself, counting, and answers 413 the moment it passes the
limit: before the app runs, so before any form or JSON parsing, any key or session check, any
database query. A body within the limit is handed to the app unchanged (at most the limit is ever
held in memory). The limit depends on the path: JSON APIs (``/api/``, ``/internal/``) get
``api_bytes``, pages and forms ``page_bytes`` (settings ``SAMENLOKET_HTTP_MAX_API_BODY_BYTES`` and
``SAMENLOKET_HTTP_MAX_BODY_BYTES``). A browser gets a short Dutch page, a program JSON.
"""

from __future__ import annotations

import json
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kit.web.errors import API_PREFIXES, error_page, wants_page

#: Forms and pages: far more than any honest form needs (the longest text is 4,000 characters).
PAGE_BYTES: Final = 64 * 1024
#: JSON APIs: the largest honest request is a few dozen KB.
API_BYTES: Final = 256 * 1024


class TooLarge(Exception):
    pass


class Disconnected(Exception):
    pass


class BodyLimit:
    """ASGI middleware: 413 for a request body over the limit of its path, counted as it streams."""

    def __init__(self, app: ASGIApp, page_bytes: int = PAGE_BYTES, api_bytes: int = API_BYTES) -> None:
        self.app = app
        self.page_bytes = page_bytes
        self.api_bytes = api_bytes

    def limit_for(self, path: str) -> int:
        return self.api_bytes if path.startswith(API_PREFIXES) else self.page_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if b"content-length" not in headers and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body
            return
        limit = self.limit_for(scope["path"])
        try:
            declared = int(headers.get(b"content-length", b"0"))
        except ValueError:
            declared = 0
        if declared > limit:
            await self.refuse(scope, send, limit)
            return
        try:
            body = await _read(receive, limit)
        except TooLarge:
            await self.refuse(scope, send, limit)
            return
        except Disconnected:
            return  # the client left before its body was complete: nobody to answer
        await self.app(scope, _replay(body, receive), send)

    async def refuse(self, scope: Scope, send: Send, limit: int) -> None:
        request = Request(scope)
        headers = {"Connection": "close"}
        if wants_page(request):
            response = error_page(request, 413, headers)
        else:
            detail = {"detail": f"request body too large: at most {limit} bytes here"}
            response = Response(json.dumps(detail), 413, headers, media_type="application/json")
        await response(scope, _nothing, send)


async def _read(receive: Receive, limit: int) -> bytes:
    """The whole body, or :class:`TooLarge` as soon as more than ``limit`` bytes came in."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` giving the app the body read already, then the connection's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _nothing() -> Message:
    return {"type": "http.disconnect"}
