"""The signal desk's and the council's pages (issue 16) over HTTP, on real PostgreSQL and a real broker.

The desk signs in with its key, reads its municipality's signals with their texts (never another
municipality's), sees late answers flagged, marks a signal read and answers it; a signal outside
its area is unknown (404). The council reads its area's signals with the answers.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.kit import access
from services.kit.settings import Settings
from tests.support.harness import RunningService, run_service

pytestmark = pytest.mark.integration

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("intake", settings.model_copy(update={"web_rate_limit": 1000})) as service:
        yield service


async def new_key(intake: RunningService, organisation: str, scope: str, municipality: str | None) -> str:
    async with intake.runtime.db.acquire() as conn:
        return await access.create_key(conn, organisation, [scope], municipality)


@asynccontextmanager
async def signed_in(intake: RunningService, path: str, key: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=intake.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
        login = await client.get(f"{path}/inloggen")
        token = CSRF.search(login.text)
        assert token, login.text
        signed = await client.post(
            f"{path}/inloggen", data={"csrf_token": token.group(1), "api_key": key, "terug": path}
        )
        assert signed.status_code == 303, signed.text
        yield client


async def post(client: httpx.AsyncClient, page: str, action: str, **data: str) -> httpx.Response:
    loaded = await client.get(page)
    token = CSRF.search(loaded.text)
    assert token, loaded.text
    return await client.post(action, data={"csrf_token": token.group(1), **data})


async def raise_signal(intake: RunningService, municipality: str, text: str, level: str = "local") -> str:
    staff = await new_key(intake, f"loket-{uuid.uuid4().hex[:6]}", "staff", None)
    body = {"theme": "waiting_times", "municipality": municipality, "level": level, "text": text}
    raised = await intake.client.post("/api/v1/signals", json=body, headers={"Authorization": f"Bearer {staff}"})
    assert raised.status_code == 202, raised.text
    signal_id: str = raised.json()["signal_id"]
    return signal_id


async def test_the_desk_reads_acknowledges_and_answers_its_own_signals_only(intake: RunningService) -> None:
    ours = f"Drie maanden gewacht op een keukentafelgesprek {uuid.uuid4().hex[:6]}."
    theirs = f"Het loket in Zwijndrecht is dicht op vrijdag {uuid.uuid4().hex[:6]}."
    old = f"Al lang geen antwoord op mijn vraag {uuid.uuid4().hex[:6]}."
    ours_id = await raise_signal(intake, "GM0505", ours)
    theirs_id = await raise_signal(intake, "GM0642", theirs)
    old_id = await raise_signal(intake, "GM0505", old)
    await intake.runtime.db.execute(
        "UPDATE signals SET raised_at = $2 WHERE signal_id = $1",
        uuid.UUID(old_id),
        datetime.now(UTC) - timedelta(days=70),
    )
    desk_key = await new_key(intake, "gemeente-dordrecht", "municipality", "GM0505")

    async with signed_in(intake, "/signalenloket", desk_key) as desk:
        page = (await desk.get("/signalenloket")).text
        assert ours in page and old in page and theirs not in page
        assert "Wachttijden" in page and "Dordrecht" in page
        late = re.search(rf'id="signaal-{old_id}".*?</h3>', page, re.S)
        assert late and "antwoord te laat" in late.group()
        fresh = re.search(rf'id="signaal-{ours_id}".*?</h3>', page, re.S)
        assert fresh and "te laat" not in fresh.group()

        read = await post(desk, "/signalenloket", f"/signalenloket/signalen/{ours_id}/gelezen")
        assert read.status_code == 303
        empty = await post(desk, "/signalenloket", f"/signalenloket/signalen/{ours_id}/antwoord", antwoord="  ")
        assert empty.status_code == 422 and "Schrijf een antwoord." in empty.text
        answer = f"Wij bellen binnen twee weken {uuid.uuid4().hex[:6]}."
        answered = await post(desk, "/signalenloket", f"/signalenloket/signalen/{ours_id}/antwoord", antwoord=answer)
        assert answered.status_code == 303
        assert answer in (await desk.get("/signalenloket")).text

        # Another municipality's signal is unknown to this desk, as is a made-up one.
        for target in (theirs_id, str(uuid.uuid4()), "niet-een-id"):
            refused = await post(desk, "/signalenloket", f"/signalenloket/signalen/{target}/antwoord", antwoord="Nee")
            assert refused.status_code == 404, target
        status = await intake.runtime.db.fetchval(
            "SELECT status FROM signals WHERE signal_id = $1", uuid.UUID(theirs_id)
        )
        assert status == "raised"

    api = await intake.client.get(f"/api/v1/signals/{ours_id}", headers={"Authorization": f"Bearer {desk_key}"})
    assert api.json()["status"] == "answered" and api.json()["answer"]["text"] == answer

    council_key = await new_key(intake, "adviesraad-dordrecht", "council", "GM0505")
    async with signed_in(intake, "/adviesraad", council_key) as council:
        page = (await council.get("/adviesraad")).text
        assert ours in page and answer in page and theirs not in page
        assert "U hield in" in page and "van de 2" in page
    # A desk key does not open the council's pages, nor a council key the desk's.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=intake.app), base_url="http://intake.test") as c:
        login = await c.get("/adviesraad/inloggen")
        token = CSRF.search(login.text)
        assert token
        wrong = await c.post("/adviesraad/inloggen", data={"csrf_token": token.group(1), "api_key": desk_key})
        assert wrong.status_code == 401
