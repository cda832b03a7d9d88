"""The attacker's fuzzing of a service's OpenAPI with schemathesis (issue 14, deliverable 6).

Each service's module builds its schema with :func:`schema_of`, its app with :func:`fuzzed_app` and
sends every generated case with :func:`send` carrying the most powerful credentials there are: a key
with every scope and no municipality, and, on every other case (and on ``/internal`` routes always),
the internal token, which matching and reporting also take as an unlimited caller. Generated auth
headers are replaced, so cases reach the handlers and the database instead of stopping at 401.

Each operation is its own pytest test (:func:`operations`, one parametrized id per operation, so
pytest-xdist schedules and reports every one; schemathesis's own ``parametrize`` gives them all one
node id under pytest 9, and xdist then runs only the first), and :func:`fuzz` sends it hypothesis's
cases, valid and invalid ones. schemathesis runs the app in-process (ASGI) on an event loop of its
own: the first request starts the service there (its lifespan), against the module's database and
broker, and the app fixture ends that lifespan after each operation's test
(``asgi.shutdown_lifespans``). So every operation gets a fresh service, without its consumers and
loops: joining a consumer group takes seconds, and no HTTP answer depends on them. The schema is read
at import from an app that is never started (the OpenAPI description does not depend on settings).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any

import asyncpg
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi

from services.kit import access, broker, crypto, db
from services.kit.runtime import Runtime, create_app, load_spec
from services.kit.settings import Settings

INTERNAL_TOKEN = "test-internal-token"
#: Headers of the API's own auth, generated from the schema: replaced by a valid credential for every case.
AUTH_HEADERS = ("authorization", "x-api-key")
#: Cases sent per service in this process (the terminal summary prints them: the fuzz counts).
CASES: Counter[str] = Counter()
#: Organisation of the all-scopes key (matching binds a coordinator key to its organisation's supporters).
ORGANISATION = "mee"


def schema_of(name: str) -> Any:
    """Service ``name``'s OpenAPI description as a schemathesis schema, from an app never started."""
    only_for_the_schema = Settings.model_validate(
        {
            "internal_token": "unused",
            "encryption_keys": f"schema:{crypto.generate_key()}",
            "index_key": crypto.generate_key(),
        }
    )
    document: dict[str, Any] = create_app(load_spec(name), only_for_the_schema).openapi()
    return schemathesis.openapi.from_dict(document)


async def most_powerful_key(settings: Settings, organisation: str = ORGANISATION) -> str:
    """A key with every scope and no municipality (creates the topics and the access schema first)."""
    await broker.create_topics(settings)
    await db.migrate(settings.database_url, access.SCHEMA, package=access.PACKAGE)
    conn = await asyncpg.connect(settings.database_url)
    try:
        return await access.create_key(conn, organisation, list(access.SCOPES))
    finally:
        await conn.close()


def fuzzed_app(name: str, settings: Settings) -> Iterator[FastAPI]:
    """Service ``name`` (HTTP and outbox relay, no consumers, no loops), started by the first request."""
    spec = replace(load_spec(name), subscribers=lambda c: [], background=lambda c: [])
    app = create_app(spec, settings)
    try:
        yield app
    finally:
        asgi.shutdown_lifespans()


class Credentials:
    """The all-scopes key and the internal token, taken in turn (``/internal`` routes: the token)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.turns = itertools.cycle((key, INTERNAL_TOKEN))

    def for_path(self, path: str) -> str:
        return INTERNAL_TOKEN if path.startswith("/internal/") else next(self.turns)


def operations(schema: Any) -> list[Any]:
    """Every operation of ``schema``, as ``pytest.param`` with the operation's label as id."""
    return [pytest.param(found.ok(), id=found.ok().label) for found in schema.get_all_operations()]


def fuzz(operation: Any, app: FastAPI, credentials: Credentials, max_examples: int) -> None:
    """Up to ``max_examples`` valid and invalid cases of ``operation``, each sent as :func:`send` does."""
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(max_examples=max_examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def each(case: schemathesis.Case) -> None:
        send(case, app, credentials)

    each()


def send(case: schemathesis.Case, app: FastAPI, credentials: Credentials) -> None:
    """Send ``case`` with a powerful credential; fails on any 5xx."""
    for name in [h for h in case.headers or {} if h.lower() in AUTH_HEADERS]:
        del case.headers[name]
    token = credentials.for_path(case.path)
    CASES[app.title] += 1
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error], app=app)


async def seeded(name: str, settings: Settings, seed: Callable[[Runtime[Any]], Awaitable[None]]) -> None:
    """Start service ``name`` once (its migrations), run ``seed`` on its runtime, and stop it again."""
    app = create_app(replace(load_spec(name), subscribers=lambda c: [], background=lambda c: []), settings)
    runtime: Runtime[Any] = app.state.runtime
    await runtime.start()
    try:
        await seed(runtime)
    finally:
        await runtime.stop()
