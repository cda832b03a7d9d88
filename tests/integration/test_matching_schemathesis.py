"""schemathesis against matching's OpenAPI: whatever a client sends, matching never answers with a 5xx.

Cases carry the most powerful credentials (a key with every scope, and the internal token, which
matching takes as an unlimited coordinator of every organisation); see :mod:`tests.support.fuzzing`.
The registry holds the key's organisation and a supporter, so generated bodies can pass validation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from services.kit.runtime import Runtime
from services.kit.settings import Settings
from services.matching import store
from tests.support.fuzzing import (
    ORGANISATION,
    Credentials,
    fuzz,
    fuzzed_app,
    most_powerful_key,
    operations,
    schema_of,
    seeded,
)

pytestmark = pytest.mark.integration

#: Cases per operation: enough to find a 5xx, few enough for about a minute per service.
MAX_EXAMPLES = 40
schema = schema_of("matching")


async def _seed(runtime: Runtime[Any]) -> None:
    async with runtime.db.acquire() as conn:
        await store.upsert_organisation(conn, ORGANISATION, "MEE Plus", False)


@pytest.fixture(scope="module")
async def credentials(settings: Settings) -> Credentials:
    key = await most_powerful_key(settings)
    await seeded("matching", settings, _seed)
    return Credentials(key)


@pytest.fixture
def matching_app(settings: Settings, credentials: Credentials) -> Iterator[FastAPI]:
    yield from fuzzed_app("matching", settings)


def test_the_schema_has_the_api_and_not_the_pages() -> None:
    paths = set(schema.raw_schema["paths"])
    assert {"/api/v1/supporters", "/api/v1/assignments/{question_id}", "/api/v1/consultations"} <= paths
    assert not {p for p in paths if p.startswith(("/overleg", "/mijn-vragen", "/static"))}


@pytest.mark.parametrize("operation", operations(schema))
def test_no_server_error(operation: Any, matching_app: FastAPI, credentials: Credentials) -> None:
    fuzz(operation, matching_app, credentials, max_examples=MAX_EXAMPLES)
