"""schemathesis against intake's OpenAPI: whatever a client sends, intake never answers with a 5xx.

Requests carry a valid staff API key (the internal endpoints get the internal token), so generated
cases reach the handlers and the database instead of stopping at 401. schemathesis runs the app
in-process (ASGI) on an event loop of its own: the first request starts intake there (its lifespan),
against this module's database and broker, and schemathesis's pytest plugin ends that lifespan after
each operation's test. So every operation gets a fresh intake, without its consumers: joining a
consumer group takes seconds, and no HTTP answer depends on them.

The schema is read at import from an app that is never started (the OpenAPI description does not
depend on settings). ``schemathesis.pytest.from_fixture`` would be the natural way, but schemathesis
4.32 reads ``request.node._nodeid``, which pytest 9 no longer has.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import asyncpg
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi

from services.kit import access, broker, crypto, db
from services.kit.runtime import create_app, load_spec
from services.kit.settings import Settings

pytestmark = pytest.mark.integration

INTERNAL_TOKEN = "test-internal-token"
#: Headers of the API's own auth, generated from the schema: replaced by a valid key for every case.
AUTH_HEADERS = ("authorization", "x-api-key")


@pytest.fixture(scope="module")
async def staff_key(settings: Settings) -> str:
    await broker.create_topics(settings)
    await db.migrate(settings.database_url, access.SCHEMA, package=access.PACKAGE)
    conn = await asyncpg.connect(settings.database_url)
    try:
        return await access.create_key(conn, "schemathesis-loket", ["staff"])
    finally:
        await conn.close()


@pytest.fixture
def intake_app(settings: Settings, staff_key: str) -> Iterator[FastAPI]:
    """Intake (HTTP and outbox relay) on this module's infrastructure; started by the first request."""
    app = create_app(replace(load_spec("intake"), subscribers=lambda c: []), settings)
    try:
        yield app
    finally:
        asgi.shutdown_lifespans()


def openapi_document() -> dict[str, Any]:
    """Intake's OpenAPI description, from an app that is built but never started."""
    only_for_the_schema = Settings.model_validate(
        {
            "internal_token": "unused",
            "encryption_keys": f"schema:{crypto.generate_key()}",
            "index_key": crypto.generate_key(),
        }
    )
    document: dict[str, Any] = create_app(load_spec("intake"), only_for_the_schema).openapi()
    return document


schema = schemathesis.openapi.from_dict(openapi_document())


def test_the_schema_has_the_api_and_not_the_html_pages() -> None:
    paths = set(schema.raw_schema["paths"])
    assert {"/api/v1/questions", "/api/v1/questions/{question_id}", "/api/v1/signals"} <= paths
    assert not {p for p in paths if p == "/" or p.startswith(("/bevestiging", "/signaal", "/static"))}


@schema.parametrize()
@settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case: schemathesis.Case, intake_app: FastAPI, staff_key: str) -> None:
    for name in [h for h in case.headers or {} if h.lower() in AUTH_HEADERS]:
        del case.headers[name]
    token = INTERNAL_TOKEN if case.path.startswith("/internal/") else staff_key
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error], app=intake_app)
