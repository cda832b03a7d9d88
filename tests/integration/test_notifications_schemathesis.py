"""schemathesis against notifications' OpenAPI: whatever a client sends, notifications never answers with
a 5xx. Cases carry the most powerful credentials (a key with every scope, and the internal token); see
:mod:`tests.support.fuzzing`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from services.kit.settings import Settings
from tests.support.fuzzing import Credentials, fuzzed_app, most_powerful_key, schema_of, send

pytestmark = pytest.mark.integration

schema = schema_of("notifications")


@pytest.fixture(scope="module")
async def credentials(settings: Settings) -> Credentials:
    return Credentials(await most_powerful_key(settings))


@pytest.fixture
def notifications_app(settings: Settings, credentials: Credentials) -> Iterator[FastAPI]:
    yield from fuzzed_app("notifications", settings)


def test_the_schema_has_the_api() -> None:
    paths = set(schema.raw_schema["paths"])
    assert {"/api/v1/deliveries", "/api/v1/templates/{name}/preview", "/api/v1/opt-out"} <= paths


@schema.parametrize()
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case: schemathesis.Case, notifications_app: FastAPI, credentials: Credentials) -> None:
    send(case, notifications_app, credentials)
