"""``GET /asyncapi.json``: every service serves the AsyncAPI document of all topics (public).

The document (``contracts/asyncapi.py``) describes topics, headers and payload schemas only: no
data, so it needs no key. A BI team or partner reads it from whichever service they can reach.
"""

from __future__ import annotations

from fastapi import FastAPI, Response

from contracts.asyncapi import cached_text

PATH = "/asyncapi.json"


def add_asyncapi(app: FastAPI) -> None:
    """Attach ``GET /asyncapi.json`` to ``app``."""

    @app.get(PATH, tags=["operations"], summary="AsyncAPI 3.0 document of every topic")
    async def asyncapi() -> Response:
        return Response(
            content=cached_text(),
            media_type="application/json",
            headers={"Cache-Control": "public, max-age=300"},
        )
