"""The advice register (issue 16) across intake and reporting, on real PostgreSQL and a real broker.

A council records an advice to the College linking one of its signals; the register flags the
response as late once its due day has passed; the municipality's desk records the decision and the
response; AdviceGiven and AdviceAnswered carry no text; reporting's quarterly report (API and page)
lists the advice with its outcome. Other councils and desks get 404; bad input gets 422 naming the field.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from contracts.events import AdviceAnswered, AdviceGiven
from contracts.topics import EXPERIENCES
from services.kit import access
from services.kit.settings import Settings
from tests.support.harness import RunningService, events_of, eventually, read_topic, run_service

pytestmark = pytest.mark.integration

Headers = dict[str, str]
TODAY = date.today()


@dataclass
class Both:
    intake: RunningService
    reporting: RunningService


@pytest.fixture(scope="module")
async def both(settings: Settings) -> AsyncIterator[Both]:
    async with run_service("intake", settings) as intake, run_service("reporting", settings) as reporting:
        yield Both(intake, reporting)


async def key(svc: RunningService, organisation: str, scope: str, municipality: str | None = None) -> Headers:
    async with svc.runtime.db.acquire() as conn:
        made = await access.create_key(conn, organisation, [scope], municipality)
    return {"Authorization": f"Bearer {made}"}


def advice(**changes: Any) -> dict[str, Any]:
    body = {
        "subject": "Wachttijden Wmo-gesprek",
        "given_on": TODAY.isoformat(),
        "text": "Wij adviseren het college om binnen vier weken een keukentafelgesprek te voeren.",
        "addressee": "college",
        "themes": ["waiting_times"],
        "life_domains": ["wmo"],
    }
    return body | changes


async def test_an_advice_goes_from_given_to_answered_and_appears_in_the_quarterly_report(both: Both) -> None:
    intake = both.intake
    council = await key(intake, "adviesraad-dordrecht", "council", "GM0505")
    staff = await key(intake, "loket", "staff")
    raised = await intake.client.post(
        "/api/v1/signals",
        json={"theme": "waiting_times", "municipality": "GM0505", "level": "local", "text": "Lang wachten."},
        headers=staff,
    )
    signal_id = raised.json()["signal_id"]
    elsewhere = (
        await intake.client.post(
            "/api/v1/signals",
            json={"theme": "waiting_times", "municipality": "GM0642", "level": "local", "text": "Elders."},
            headers=staff,
        )
    ).json()["signal_id"]

    # Bad input: 422 naming the field.
    for body, field in (
        (advice(given_on=(TODAY + timedelta(days=3)).isoformat()), "given_on"),
        (advice(addressee="board"), "addressee_organisation"),
        (advice(signal_ids=[elsewhere]), "signal_ids"),
        (advice(text="Mijn BSN is 111222333"), "text"),
    ):
        refused = await intake.client.post("/api/v1/advices", json=body, headers=council)
        assert refused.status_code == 422, (field, refused.text)
        assert [e["field"] for e in refused.json()["errors"]] == [field], refused.text

    given = await intake.client.post("/api/v1/advices", json=advice(signal_ids=[signal_id]), headers=council)
    assert given.status_code == 201, given.text
    view = given.json()
    advice_id = view["advice_id"]
    assert view["late"] is False and view["answer"] is None and view["signal_ids"] == [signal_id]
    assert date.fromisoformat(view["response_due"]) > TODAY + timedelta(weeks=5)

    # Due day passed without a response: flagged late.
    await intake.runtime.db.execute(
        "UPDATE council_advices SET response_due = $2 WHERE advice_id = $1",
        uuid.UUID(advice_id),
        TODAY - timedelta(days=1),
    )
    listed = (await intake.client.get("/api/v1/advices", headers=council)).json()["advices"]
    assert [(a["advice_id"], a["late"]) for a in listed] == [(advice_id, True)]

    # Another council and another municipality's desk: unknown.
    other_council = await key(intake, "clientenraad-mee", "council", "GM0505")
    other_desk = await key(intake, "gemeente-zwijndrecht", "municipality", "GM0642")
    for headers in (other_council, other_desk):
        assert (await intake.client.get(f"/api/v1/advices/{advice_id}", headers=headers)).status_code == 404
        answer_try = await intake.client.post(
            f"/api/v1/advices/{advice_id}/answer",
            json={
                "decision": "adopted",
                "decided_on": TODAY.isoformat(),
                "response": "Ja",
                "responded_on": TODAY.isoformat(),
            },
            headers=headers,
        )
        assert answer_try.status_code == 404

    desk = await key(intake, "gemeente-dordrecht", "municipality", "GM0505")
    answered = await intake.client.post(
        f"/api/v1/advices/{advice_id}/answer",
        json={
            "decision": "partly_adopted",
            "decided_on": TODAY.isoformat(),
            "response": "Het college neemt het advies deels over: gesprekken binnen zes weken.",
            "responded_on": TODAY.isoformat(),
        },
        headers=desk,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["late"] is False and answered.json()["answer"]["decision"] == "partly_adopted"

    # The events carry codes and dates, never the words.
    records = await read_topic(
        both.intake.runtime.settings,
        EXPERIENCES,
        until=lambda rs: any(e.subject == advice_id for e in events_of(rs, AdviceAnswered.ce_type)),
    )
    mine = [r for r in records if r.key == advice_id.encode()]
    assert len(mine) == 2
    for r in mine:
        assert (
            b"keukentafelgesprek" not in r.value and b"zes weken" not in r.value and b"Wachttijden Wmo" not in r.value
        )
    given_event = AdviceGiven.model_validate_json(mine[0].value)
    assert (given_event.recipient, given_event.signal_count, given_event.municipality) == ("college", 1, "GM0505")

    # Reporting lists it in the quarterly report with its outcome.
    analyst = await key(both.reporting, "gemeente-dordrecht", "analyst", "GM0505")

    async def reported() -> list[dict[str, Any]]:
        body = (
            await both.reporting.client.get("/api/v1/reports", params={"municipality": "GM0505"}, headers=analyst)
        ).json()
        found: list[dict[str, Any]] = [a for a in body["advices"] if a["advice_id"] == advice_id]
        return found if found and found[0]["decision"] else []

    found = await eventually(reported)
    assert isinstance(found, list)
    [line] = found
    assert line["outcome"] == "Deels overgenomen" and line["addressee"] == "College van B&W"
    assert line["themes"] == ["Wachttijden"] and line["late"] is False
    quarter = (TODAY.month - 1) // 3 + 1
    page = await both.reporting.client.get(
        "/dashboard/kwartaalrapportage",
        params={"jaar": str(TODAY.year), "kwartaal": str(quarter), "gemeente": "GM0505"},
        headers=analyst,
    )
    assert page.status_code == 200, page.text
    row = re.search(rf'data-advice-id="{advice_id}".*?</tr>', page.text, re.S)
    assert row and "Deels overgenomen" in row.group()
