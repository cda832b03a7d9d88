"""schemathesis against notifications' OpenAPI: whatever a client sends, notifications never answers with
a 5xx. Cases carry the most powerful credentials (a key with every scope, and the internal token); see
:mod:`tests.support.fuzzing`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from services.kit.settings import Settings
from tests.support.fuzzing import Credentials, fuzz, fuzzed_app, most_powerful_key, operations, schema_of

pytestmark = pytest.mark.integration

#: Cases per operation: enough to find a 5xx, few enough for about a minute per service.
MAX_EXAMPLES = 60
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


@pytest.mark.parametrize("operation", operations(schema))
def test_no_server_error(operation: Any, notifications_app: FastAPI, credentials: Credentials) -> None:
    fuzz(operation, notifications_app, credentials, max_examples=MAX_EXAMPLES)
