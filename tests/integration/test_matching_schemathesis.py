"""schemathesis against matching's OpenAPI: whatever a client sends, matching never answers with a 5xx.

Cases carry the most powerful credentials (a key with every scope, and the internal token, which
matching takes as an unlimited coordinator of every organisation); see :mod:`tests.support.fuzzing`.
The registry holds the key's organisation and a supporter, so generated bodies can pass validation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from services.kit.runtime import Runtime
from services.kit.settings import Settings
from services.matching import store
from tests.support.fuzzing import ORGANISATION, Credentials, fuzzed_app, most_powerful_key, schema_of, seeded, send

pytestmark = pytest.mark.integration

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


@schema.parametrize()
@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case: schemathesis.Case, matching_app: FastAPI, credentials: Credentials) -> None:
    send(case, matching_app, credentials)
