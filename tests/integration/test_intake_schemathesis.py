"""schemathesis against intake's OpenAPI: whatever a client sends, intake never answers with a 5xx.

Cases carry the most powerful credentials: a key with every scope and no municipality (staff,
privacy officer, council, the municipality's signal desk...) and the internal token on the internal
endpoints; see :mod:`tests.support.fuzzing`, which also says how schemathesis runs the app.

``schemathesis.pytest.from_fixture`` would be the natural way, but schemathesis 4.32 reads
``request.node._nodeid``, which pytest 9 no longer has.
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
MAX_EXAMPLES = 40
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


@pytest.mark.parametrize("operation", operations(schema))
def test_no_server_error(operation: Any, intake_app: FastAPI, credentials: Credentials) -> None:
    fuzz(operation, intake_app, credentials, max_examples=MAX_EXAMPLES)
