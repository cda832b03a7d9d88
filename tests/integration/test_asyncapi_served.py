"""Every service serves the AsyncAPI document at ``GET /asyncapi.json``, without a key."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi.routing import APIRoute

from contracts import topics
from contracts.asyncapi import document
from services.kit.runtime import create_app, load_spec
from services.kit.settings import Settings
from tests.support.harness import RunningService, run_service

pytestmark = pytest.mark.integration

SERVICES = ("intake", "matching", "notifications", "reporting")


@pytest.fixture(scope="module")
async def reporting(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("reporting", settings) as service:
        yield service


async def test_a_running_service_serves_the_document_to_anyone(reporting: RunningService) -> None:
    response = await reporting.client.get("/asyncapi.json")  # no Authorization header: public
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    served = response.json()
    assert served == document()
    assert {c["address"] for c in served["channels"].values()} == set(topics.ALL_TOPICS)
    openapi = (await reporting.client.get("/openapi.json")).json()
    assert "/asyncapi.json" in openapi["paths"]


async def test_every_service_serves_the_same_document(settings: Settings) -> None:
    """The route needs nothing the lifespan starts, so each app answers without its database or broker."""
    expected = document()
    for name in SERVICES:
        app = create_app(load_spec(name), settings)
        assert "/asyncapi.json" in {route.path for route in app.routes if isinstance(route, APIRoute)}, name
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}.test") as client:
            response = await client.get("/asyncapi.json")
        assert response.status_code == 200, name
        assert response.json() == expected, name
