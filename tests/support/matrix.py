"""The tenant matrix (issue 14, deliverable 6): every route of every service, classified, and the
credentials an attacker could hold: none, an unknown key, the internal token, and a key of every scope
for two organisations and two municipalities (and one regional key per scope).

A route's :class:`Access` says who gets past its door; :func:`expected` turns it into the answer each
credential must get. What a caller admitted through the door may then see (its own organisation's,
its own municipality's) is asserted per resource in the matrix test itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import httpx
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Route

from services.kit import access, broker
from services.kit.runtime import Runtime, create_app, load_spec
from services.kit.settings import Settings

INTERNAL_TOKEN = "test-internal-token"
ORG_A, ORG_B = "tenant-a", "tenant-b"
HERE, THERE = "GM0505", "GM0642"
#: A well-formed key nobody issued.
UNKNOWN_KEY = "slk_aaaaaaaaaaaa_" + "A" * 43


@dataclass(frozen=True)
class Access:
    """Who gets past a route's door.

    ``kind``: ``public`` (anyone, the credential changes nothing), ``page`` (a browser's session: a
    bearer credential changes nothing and never shows the content, unless it is a key with one of
    ``scopes``, which such a page also takes), ``internal`` (the internal token
    only) or ``key`` (a key with one of ``scopes``; the internal token too when ``internal``).
    """

    kind: str
    scopes: frozenset[str] = frozenset()
    internal: bool = False


PUBLIC = Access("public")
PAGE = Access("page")
INTERNAL = Access("internal")


def page_or_key(*scopes: str) -> Access:
    return Access("page", frozenset(scopes))


def key(*scopes: str, internal: bool = False) -> Access:
    return Access("key", frozenset(scopes), internal)


@dataclass(frozen=True)
class Credential:
    """One caller of the matrix: its name, its Authorization header (None: none), and for a key its
    organisation, scope and municipality."""

    name: str
    authorization: str | None
    organisation: str | None = None
    scope: str | None = None
    municipality: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": self.authorization} if self.authorization else {}


async def credentials(conn: Any) -> list[Credential]:
    """No credential, an unknown key, the internal token, and per scope a key of organisation A in
    municipality HERE, of organisation B in municipality THERE, and a regional key of organisation A."""
    found = [
        Credential("none", None),
        Credential("unknown key", f"Bearer {UNKNOWN_KEY}"),
        Credential("internal token", f"Bearer {INTERNAL_TOKEN}"),
    ]
    for scope in access.SCOPES:
        for organisation, municipality in ((ORG_A, HERE), (ORG_B, THERE), (ORG_A, None)):
            made = await access.create_key(conn, organisation, [scope], municipality=municipality)
            name = f"{scope}@{organisation}/{municipality or 'region'}"
            found.append(Credential(name, f"Bearer {made}", organisation, scope, municipality))
    return found


def expected(rule: Access, who: Credential) -> str:
    """What ``who`` must get at a route with ``rule``'s door: ``401``, ``403``, ``in`` (past the door:
    neither 401 nor 403) or ``same`` (public and pages: what the caller without credential gets)."""
    if rule.kind == "page" and who.scope in rule.scopes:
        return "in"
    if rule.kind in ("public", "page"):
        return "same"
    if who.name == "internal token":
        return "in" if rule.kind == "internal" or rule.internal else "401"
    if who.scope is None:
        return "401"
    if rule.kind == "internal":
        return "401"
    if who.scope not in rule.scopes:
        return "403"
    return "in"


def routes_of(app: Any) -> Iterator[tuple[str, str, BaseRoute]]:
    """``(method, path, route)`` for every route of ``app``, through included routers and their prefixes
    (HEAD, which starlette adds to every GET, left out)."""

    def walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, str, BaseRoute]]:
        for route in routes:
            if hasattr(route, "original_router"):
                yield from walk(route.original_router.routes, prefix + (route.include_context.prefix or ""))
            elif isinstance(route, APIRoute | Route):
                for method in sorted(route.methods or ()):
                    if method != "HEAD":
                        yield method, prefix + route.path, route
            else:
                raise AssertionError(f"a route the matrix cannot read: {route!r}")

    yield from walk(list(app.routes), "")


def is_api(route: BaseRoute) -> bool:
    return isinstance(route, APIRoute) and route.include_in_schema


@dataclass
class Served:
    name: str
    app: Any
    runtime: Runtime[Any]
    client: httpx.AsyncClient


@asynccontextmanager
async def served(name: str, settings: Settings) -> AsyncIterator[Served]:
    """Service ``name`` started in the test's loop without its consumers and loops (no answer here
    depends on them), with an in-process HTTP client."""
    await broker.create_topics(settings)
    app = create_app(replace(load_spec(name), subscribers=lambda c: [], background=lambda c: []), settings)
    runtime: Runtime[Any] = app.state.runtime
    await runtime.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{name}.test", timeout=30) as client:
            yield Served(name, app, runtime, client)
    finally:
        await runtime.stop()
