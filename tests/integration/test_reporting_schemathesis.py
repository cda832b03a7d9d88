"""schemathesis against reporting's OpenAPI: whatever a client sends, reporting never answers with a 5xx.
Cases carry the most powerful credentials (a key with every scope and no municipality, and the
internal token); see :mod:`tests.support.fuzzing`.
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

schema = schema_of("reporting")


@pytest.fixture(scope="module")
async def credentials(settings: Settings) -> Credentials:
    return Credentials(await most_powerful_key(settings))


@pytest.fixture
def reporting_app(settings: Settings, credentials: Credentials) -> Iterator[FastAPI]:
    yield from fuzzed_app("reporting", settings)


def test_the_schema_has_the_api_and_not_the_dashboard() -> None:
    paths = set(schema.raw_schema["paths"])
    assert {"/api/v1/reports", "/api/v1/reports/overview", "/api/v1/reports/ingest"} <= paths
    assert not {p for p in paths if p.startswith(("/dashboard", "/static"))}


@schema.parametrize()
@settings(max_examples=80, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case: schemathesis.Case, reporting_app: FastAPI, credentials: Credentials) -> None:
    send(case, reporting_app, credentials)
