"""Council meetings over HTTP against real PostgreSQL and a real broker: planning, the council's own
list, recording who took part, and the events on ``samenloket.experiences`` (never a name)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any

import pytest
from aiokafka import ConsumerRecord

from contracts.events import CouncilMeetingHeld, CouncilMeetingPlanned
from contracts.topics import EXPERIENCES
from services.kit import access
from services.kit.settings import Settings
from tests.support.harness import RunningService, events_of, read_topic, run_service

pytestmark = pytest.mark.integration

Headers = dict[str, str]
URL = "/api/v1/council/meetings"
NEXT_MONTH = (date.today() + timedelta(days=30)).isoformat()


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("intake", settings) as service:
        yield service


def org(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def key_for(intake: RunningService, organisation: str, *scopes: str, municipality: str | None = None) -> Headers:
    async with intake.runtime.db.acquire() as conn:
        key = await access.create_key(conn, organisation, list(scopes), municipality)
    return {"Authorization": f"Bearer {key}"}


def plan(**changes: Any) -> dict[str, Any]:
    body = {
        "planned_for": NEXT_MONTH,
        "municipality": None,
        "themes": ["waiting_times", "reachability"],
        "invited_organisations": ["mee", "wijkteam-dordrecht"],
    }
    return body | changes


def about(meeting_id: str, ce_type: str, count: int = 1) -> Callable[[list[ConsumerRecord]], bool]:
    return lambda records: len([e for e in events_of(records, ce_type) if e.subject == meeting_id]) >= count


PARTICIPANTS = [
    {"role": "resident", "municipality": "GM0505", "age_band": "65_74", "life_domains": ["wmo"]},
    {"role": "resident", "municipality": "GM0642", "age_band": "18_26", "life_domains": ["youth", "education"]},
    {"role": "partner", "organisation": "wijkteam-dordrecht", "municipality": "GM0505"},
    {"role": "council_member"},
]


async def test_a_council_plans_a_meeting_and_records_who_took_part(intake: RunningService, settings: Settings) -> None:
    council_org = org("adviesraad")
    council = await key_for(intake, council_org, "council")

    planned = await intake.client.post(URL, json=plan(), headers=council)
    assert planned.status_code == 201, planned.text
    meeting = planned.json()
    meeting_id = meeting["meeting_id"]
    assert meeting["municipality"] is None and meeting["participants"] is None
    assert meeting["themes"] == ["waiting_times", "reachability"]

    listed = (await intake.client.get(URL, headers=council)).json()["meetings"]
    assert [m["meeting_id"] for m in listed] == [meeting_id]

    held_on = date.today().isoformat()
    recorded = await intake.client.post(
        f"{URL}/{meeting_id}/participants", json={"held_on": held_on, "participants": PARTICIPANTS}, headers=council
    )
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["held_on"] == held_on and len(recorded.json()["participants"]) == 4

    # A correction replaces the list and is announced again.
    corrected = await intake.client.post(
        f"{URL}/{meeting_id}/participants",
        json={"held_on": held_on, "participants": PARTICIPANTS[:2]},
        headers=council,
    )
    assert corrected.status_code == 200 and [p["role"] for p in corrected.json()["participants"]] == [
        "resident",
        "resident",
    ]

    def planned_and_held_twice(records: list[ConsumerRecord]) -> bool:
        return about(meeting_id, CouncilMeetingPlanned.ce_type)(records) and about(
            meeting_id, CouncilMeetingHeld.ce_type, 2
        )(records)

    records = await read_topic(settings, EXPERIENCES, until=planned_and_held_twice)
    [planned_event] = [e for e in events_of(records, CouncilMeetingPlanned.ce_type) if e.subject == meeting_id]
    payload = CouncilMeetingPlanned.model_validate(planned_event.data)
    assert (payload.council, payload.municipality, payload.planned_for.isoformat()) == (council_org, None, NEXT_MONTH)
    assert payload.invited_organisations == ["mee", "wijkteam-dordrecht"]
    held = [
        CouncilMeetingHeld.model_validate(e.data)
        for e in events_of(records, CouncilMeetingHeld.ce_type)
        if e.subject == meeting_id
    ]
    assert [len(h.participants) for h in held] == [4, 2]
    assert held[0].participants[1].life_domains == ["youth", "education"]
    raw = [e.data for e in events_of(records, CouncilMeetingHeld.ce_type) if e.subject == meeting_id]
    coarse = {"role", "organisation", "municipality", "age_band", "life_domains"}
    assert all(set(p) <= coarse for data in raw for p in data["participants"])


async def test_each_council_sees_only_its_own_meetings(intake: RunningService) -> None:
    mine = await key_for(intake, org("adviesraad"), "council")
    theirs = await key_for(intake, org("clientenraad"), "council")
    meeting_id = (await intake.client.post(URL, json=plan(), headers=mine)).json()["meeting_id"]

    assert (await intake.client.get(URL, headers=theirs)).json() == {"meetings": []}
    record = {"held_on": date.today().isoformat(), "participants": PARTICIPANTS}
    other = await intake.client.post(f"{URL}/{meeting_id}/participants", json=record, headers=theirs)
    assert other.status_code == 404
    unknown = await intake.client.post(f"{URL}/{uuid.uuid4()}/participants", json=record, headers=mine)
    assert unknown.status_code == 404


async def test_a_municipal_council_key_plans_for_its_municipality_only(intake: RunningService) -> None:
    name = org("adviesraad-dordrecht")
    local = await key_for(intake, name, "council", municipality="GM0505")
    regional = await key_for(intake, name, "council")

    for municipality in (None, "GM0642"):
        refused = await intake.client.post(URL, json=plan(municipality=municipality), headers=local)
        assert refused.status_code == 403 and "GM0505" in refused.json()["detail"]
    ours = await intake.client.post(URL, json=plan(municipality="GM0505"), headers=local)
    assert ours.status_code == 201
    region = await intake.client.post(URL, json=plan(), headers=regional)
    assert region.status_code == 201

    # The same council: the regional key sees both meetings, the local key only its municipality's.
    assert len((await intake.client.get(URL, headers=regional)).json()["meetings"]) == 2
    assert [m["municipality"] for m in (await intake.client.get(URL, headers=local)).json()["meetings"]] == ["GM0505"]


async def test_wrong_input_is_422_naming_the_field(intake: RunningService) -> None:
    council = await key_for(intake, org("adviesraad"), "council")
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    for body, field in [
        (plan(planned_for=yesterday), "planned_for"),
        (plan(planned_for="binnenkort"), "planned_for"),
        (plan(municipality="GM9999"), "municipality"),
        (plan(themes=["weather"]), "themes.0"),
        (plan(invited_organisations=["Mevrouw de Vries"]), "invited_organisations.0"),
    ]:
        response = await intake.client.post(URL, json=body, headers=council)
        assert response.status_code == 422, body
        assert [e["field"] for e in response.json()["errors"]] == [field], response.json()

    meeting_id = (await intake.client.post(URL, json=plan(), headers=council)).json()["meeting_id"]
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    for record, field in [
        ({"held_on": tomorrow, "participants": []}, "held_on"),
        ({"held_on": yesterday, "participants": [{"role": "resident", "name": "Jan"}]}, "participants.0.name"),
        ({"held_on": yesterday, "participants": [{"role": "mayor"}]}, "participants.0.role"),
        ({"held_on": yesterday}, "participants"),
    ]:
        response = await intake.client.post(f"{URL}/{meeting_id}/participants", json=record, headers=council)
        assert response.status_code == 422, record
        assert [e["field"] for e in response.json()["errors"]] == [field], response.json()


async def test_meetings_need_a_council_key(intake: RunningService) -> None:
    assert (await intake.client.get(URL)).status_code == 401
    for scope in ("staff", "municipality", "analyst", "submit"):
        headers = await key_for(intake, org("x"), scope)
        assert (await intake.client.post(URL, json=plan(), headers=headers)).status_code == 403, scope
        assert (await intake.client.get(URL, headers=headers)).status_code == 403, scope


async def test_two_councils_organise_a_meeting_together_and_record_what_came_of_it(intake: RunningService) -> None:
    adviesraad_org, clientenraad_org = org("adviesraad"), org("clientenraad")
    adviesraad = await key_for(intake, adviesraad_org, "council")
    clientenraad = await key_for(intake, clientenraad_org, "council")
    stranger = await key_for(intake, org("jeugdraad"), "council")

    planned = await intake.client.post(URL, json=plan(co_organisers=[clientenraad_org]), headers=adviesraad)
    assert planned.status_code == 201, planned.text
    meeting_id = planned.json()["meeting_id"]
    assert planned.json()["co_organisers"] == [clientenraad_org]

    # Both organisers see it; a third council does not, and may not touch it.
    for headers in (adviesraad, clientenraad):
        listed = (await intake.client.get(URL, headers=headers)).json()["meetings"]
        assert [m["meeting_id"] for m in listed] == [meeting_id]
    assert (await intake.client.get(URL, headers=stranger)).json()["meetings"] == []
    outcome = {"outcomes": "Wachttijden zijn het grootste punt.", "follow_up": ["Advies aan het college in juni"]}
    refused = await intake.client.post(f"{URL}/{meeting_id}/outcome", json=outcome, headers=stranger)
    assert refused.status_code == 404

    recorded = await intake.client.post(f"{URL}/{meeting_id}/outcome", json=outcome, headers=clientenraad)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["outcomes"] == outcome["outcomes"] and recorded.json()["follow_up"] == outcome["follow_up"]
    bsn = await intake.client.post(
        f"{URL}/{meeting_id}/outcome", json={"outcomes": "BSN 111222333"}, headers=adviesraad
    )
    assert bsn.status_code == 422 and [e["field"] for e in bsn.json()["errors"]] == ["outcomes"]

    records = await read_topic(
        intake.runtime.settings, EXPERIENCES, until=about(meeting_id, CouncilMeetingPlanned.ce_type)
    )
    [event] = [e for e in events_of(records, CouncilMeetingPlanned.ce_type) if e.subject == meeting_id]
    assert CouncilMeetingPlanned.model_validate(event.data).co_organisers == [clientenraad_org]
