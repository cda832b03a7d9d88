"""schemathesis against intake's OpenAPI: whatever a client sends, intake never answers with a 5xx.

Cases carry the most powerful credentials: a key with every scope and no municipality (staff,
privacy officer, council, the municipality's signal desk...) and the internal token on the internal
endpoints; see :mod:`tests.support.fuzzing`, which also says how schemathesis runs the app.

``schemathesis.pytest.from_fixture`` would be the natural way, but schemathesis 4.32 reads
``request.node._nodeid``, which pytest 9 no longer has.
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

schema = schema_of("intake")


@pytest.fixture(scope="module")
async def credentials(settings: Settings) -> Credentials:
    return Credentials(await most_powerful_key(settings, organisation="schemathesis-loket"))


@pytest.fixture
def intake_app(settings: Settings, credentials: Credentials) -> Iterator[FastAPI]:
    yield from fuzzed_app("intake", settings)


def test_the_schema_has_the_api_and_not_the_html_pages() -> None:
    paths = set(schema.raw_schema["paths"])
    assert {"/api/v1/questions", "/api/v1/questions/{question_id}", "/api/v1/signals"} <= paths
    assert not {p for p in paths if p == "/" or p.startswith(("/bevestiging", "/signaal", "/static"))}


@schema.parametrize()
@settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case: schemathesis.Case, intake_app: FastAPI, credentials: Credentials) -> None:
    send(case, intake_app, credentials)
