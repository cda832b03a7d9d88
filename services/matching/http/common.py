"""What every route of matching's API shares: identifiers, the coordinator's key, errors, commands."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import asyncpg
from fastapi import Depends, Header, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import Field

from services.kit import access
from services.kit.access import Principal
from services.kit.db import Conn
from services.kit.http import same_secret
from services.kit.region import Region
from services.kit.runtime import Runtime
from services.matching import handlers
from services.matching.handlers import errors

log = logging.getLogger(__name__)

Identifier = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:\-]+$")]
#: The internal token acts as an unlimited coordinator (service-to-service calls, operators' scripts).
INTERNAL = Principal(key_id="internal", organisation="samenloket", scopes=frozenset({"coordinator"}))
#: Retries of a command whose transaction lost a deadlock (PostgreSQL aborts one side; rare).
DEADLOCK_RETRIES = 3

T = TypeVar("T")


def codes(values: list[str], allowed: dict[str, str], what: str) -> list[str]:
    """``values`` without repeats, or a ValueError naming the unknown ones and what is allowed."""
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValueError(f"unknown {what} code(s) {unknown}; allowed: {', '.join(allowed)}")
    return list(dict.fromkeys(values))


async def coordinator(
    request: Request,
    authorization: str | None = Header(default=None),
    x_api_key: str | None = Header(default=None),
) -> Principal:
    """A dependency admitting a coordinator key, or the internal token (as an unlimited coordinator)."""
    runtime: Runtime = request.app.state.runtime
    token = runtime.settings.internal_token.get_secret_value()
    if token and authorization and same_secret(authorization, f"Bearer {token}"):
        return INTERNAL
    return await _BY_KEY(request, authorization, x_api_key)


_BY_KEY = access.require("coordinator")
Coordinator = Annotated[Principal, Depends(coordinator)]


def invalid(field: str, message: str, where: str = "body") -> RequestValidationError:
    """A 422 naming ``field`` in the kit's format."""
    return RequestValidationError([{"loc": (where, field), "msg": message, "type": "value_error"}])


def who(principal: Principal) -> str:
    return f"{principal.organisation}/{principal.key_id}"


def check_municipality_query(region: Region, principal: Principal, municipality: str | None) -> str | None:
    """The municipality a listing is limited to: the query's, or the key's own; 403 for another one.
    A municipality ``region`` does not serve is refused (422 naming the ones it does)."""
    if municipality is not None and not region.serves(municipality):
        allowed = ", ".join(sorted(region.municipality_names))
        raise invalid("municipality", f"unknown municipality code {municipality!r}; allowed: {allowed}", "query")
    if principal.municipality is None:
        return municipality
    if municipality not in (None, principal.municipality):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"Deze sleutel hoort bij {principal.municipality}.")
    return principal.municipality


async def command(rt: Runtime, work: Callable[[Conn], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction; map the command's errors to HTTP; retry a lost deadlock."""
    for attempt in range(1, DEADLOCK_RETRIES + 1):
        try:
            async with rt.db.acquire() as conn, conn.transaction():
                return await work(conn)
        except errors.InvalidField as exc:
            raise invalid(exc.field, exc.text) from exc
        except errors.NotFound as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, exc.text) from exc
        except errors.Conflict as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, exc.text) from exc
        except asyncpg.DeadlockDetectedError:
            if attempt == DEADLOCK_RETRIES:
                raise
            log.warning("command lost a deadlock, retrying", extra={"attempt": attempt})
    raise AssertionError("unreachable")  # pragma: no cover


async def assignment_in_scope(conn: Conn, principal: Principal, question_id: str) -> None:
    """404 when a municipality-limited key asks about another municipality's question (as for an unknown one)."""
    await handlers.ensure_in_area(conn, question_id, principal.municipality)
