"""Helpers for the joint consultation's pages (``/overleg``) in tests, on the wired :class:`Platform` of
:mod:`tests.support.workspace`: a resident who asks to choose together, a coordinator signed in as a
browser without JavaScript would be, and the resident's own page."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from services.kit import access
from tests.support.harness import eventually
from tests.support.workspace import Platform, csrf_of, staff_key

INTERNAL = {"Authorization": "Bearer test-internal-token"}


async def ask_to_choose_together(
    p: Platform, *, share: bool = True, municipality: str = "GM0505", **changes: Any
) -> tuple[str, dict[str, str], str]:
    """A question taken at the loket, the resident ticking "Ik wil eerst kennismaken en samen kiezen";
    returns its id, the resident's contact, and the question's text."""
    tag = uuid.uuid4().hex[:8]
    person = {"name": f"Fatma Yilmaz {tag}", "email": f"fatma.{tag}@example.nl", "phone": "06 9876 5432"}
    text = f"Mijn moeder heeft dementie en ik wil hulp bij de aanvraag voor dagbesteding ({tag})."
    body = {
        "municipality": municipality,
        "life_domains": ["wmo", "participation"],
        "description": text,
        "postcode": "3311",
        "channel": "phone",
        "languages": ["nl"],
        "contact": person,
        "consent": {"share_with_supporter": share},
        "choose_together": True,
        **changes,
    }
    response = await p.intake.client.post(
        "/api/v1/questions", headers={"Authorization": f"Bearer {await staff_key(p)}"}, json=body
    )
    assert response.status_code == 202, response.text
    return response.json()["question_id"], person, text


async def in_consultation(p: Platform, question_id: str) -> None:
    """Wait until matching put the question in the consultation and intake knows it."""

    async def both() -> bool:
        queued = await p.matching.runtime.db.fetchval("SELECT 1 FROM consultations WHERE question_id = $1", question_id)
        status = await p.intake.runtime.db.fetchval(
            "SELECT status FROM questions WHERE question_id = $1::uuid", question_id
        )
        return bool(queued) and status == "consultation"

    await eventually(both, timeout=30)


async def coordinator_key(p: Platform, municipality: str | None = None, organisation: str = "regio-overleg") -> str:
    async with p.matching.runtime.db.acquire() as conn:
        return await access.create_key(conn, organisation, ["coordinator"], municipality=municipality)


@asynccontextmanager
async def coordinator(p: Platform, key: str) -> AsyncIterator[httpx.AsyncClient]:
    """A cookie-keeping client of matching, signed in to ``/overleg`` with ``key``."""
    async with httpx.AsyncClient(base_url=p.matching_url, headers={"Accept": "text/html"}, timeout=30) as client:
        login = await client.get("/overleg/inloggen")
        signed = await client.post(
            "/overleg/inloggen", data={"csrf_token": csrf_of(login.text), "api_key": key, "terug": "/overleg"}
        )
        assert signed.status_code == 303, signed.text
        yield client


async def post_on_page(client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    """Load ``page`` (the CSRF cookie and token), then post ``data`` to ``action`` as its form would."""
    loaded = await client.get(page)
    assert loaded.status_code == 200, loaded.text
    return await client.post(action, data={"csrf_token": csrf_of(loaded.text), **data})


async def resident_page(p: Platform, question_id: str) -> str:
    """The path of a fresh private link to the resident's own page ("Mijn vraag")."""
    link = await p.intake.client.post(f"/internal/v1/questions/{question_id}/status-link", headers=INTERNAL)
    assert link.status_code == 200, link.text
    url: str = link.json()["url"]
    return url[url.index("/mijn-vraag/") :]
