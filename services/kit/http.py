"""HTTP basics every service shares: health, readiness, metrics, clear 422s, internal-call auth."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Header, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

ReadinessCheck = Callable[[], Awaitable[dict[str, str]]]


def field_errors(errors: list[Any]) -> list[dict[str, str]]:
    """Pydantic errors as ``{"field": "contact.email", "reason": "..."}``, without the 'body' prefix; an error
    a program should tell apart (e.g. ``municipality_not_served``) keeps its ``code``."""
    result = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        reason = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        entry = {"field": ".".join(loc) or "body", "reason": reason}
        if err.get("code"):
            entry["code"] = str(err["code"])
        result.append(entry)
    return result


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = field_errors(list(exc.errors()))
    summary = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={"detail": f"invalid input: {summary}", "errors": errors},
    )


def add_basics(app: FastAPI, readiness: ReadinessCheck) -> None:
    """Attach ``/healthz``, ``/readyz``, ``/metrics`` and the 422 handler."""
    app.add_exception_handler(RequestValidationError, validation_error_handler)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"])
    async def readyz() -> JSONResponse:
        checks = await readiness()
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(
            status_code=200 if ready else 503, content={"status": "ready" if ready else "not ready", **checks}
        )

    @app.get("/metrics", tags=["operations"])
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def same_secret(offered: str, expected: str) -> bool:
    """Constant-time comparison of two texts, any characters (``hmac.compare_digest`` refuses non-ASCII str)."""
    return hmac.compare_digest(offered.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def internal_auth(token: str) -> Callable[[str | None], Awaitable[None]]:
    """A dependency that admits only calls carrying ``Authorization: Bearer <internal token>``."""

    async def check(authorization: str | None = Header(default=None)) -> None:
        expected = f"Bearer {token}"
        if not token or authorization is None or not same_secret(authorization, expected):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "internal call without a valid token")

    return check
