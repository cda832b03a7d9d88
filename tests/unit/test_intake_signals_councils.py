"""Council meetings' pure rules: the plan, the record of who took part, and which key may see a meeting."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from services.intake.councils.domain import (
    MeetingHeld,
    MeetingPlan,
    MeetingRefused,
    check_held,
    check_plan,
    may_see,
)
from services.kit.access import Principal

TODAY = date(2026, 11, 23)


def council(municipality: str | None = None, organisation: str = "adviesraad-dordrecht") -> Principal:
    return Principal("k", organisation, frozenset({"council"}), municipality)


def plan(**changes: object) -> MeetingPlan:
    body: dict[str, object] = {"planned_for": "2027-03-10", "themes": ["waiting_times"], "invited_organisations": []}
    return MeetingPlan.model_validate(body | changes)


def test_a_plan_keeps_themes_and_invitations_once_each() -> None:
    p = plan(themes=["reachability", "reachability", "other"], invited_organisations=["mee", "wijkteam", "mee"])
    assert p.themes == ["reachability", "other"] and p.invited_organisations == ["mee", "wijkteam"]
    assert p.municipality is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"planned_for": "volgende week"}, "planned_for"),
        ({"municipality": "GM99"}, "municipality"),
        ({"themes": ["weather"]}, "themes"),
        ({"invited_organisations": ["Jan Jansen"]}, "invited_organisations"),
        ({"minutes": "x"}, "minutes"),
    ],
)
def test_a_wrong_plan_names_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        plan(**change)
    assert {e["loc"][0] for e in info.value.errors()} == {field}


def test_a_plan_for_the_past_is_refused_on_planned_for() -> None:
    with pytest.raises(MeetingRefused) as info:
        check_plan(council(), plan(planned_for="2026-11-22"), TODAY)
    assert info.value.field == "planned_for"
    check_plan(council(), plan(planned_for="2026-11-23"), TODAY)  # today is fine


def test_a_municipal_council_key_plans_for_its_municipality_only() -> None:
    local = council("GM0505")
    check_plan(local, plan(municipality="GM0505"), TODAY)
    for other in (None, "GM0642"):
        with pytest.raises(MeetingRefused) as info:
            check_plan(local, plan(municipality=other), TODAY)
        assert info.value.field is None and "GM0505" in info.value.message


def test_participants_are_described_coarsely_never_by_name() -> None:
    held = MeetingHeld.model_validate(
        {
            "held_on": "2026-11-20",
            "participants": [
                {"role": "resident", "age_band": "65_74", "life_domains": ["wmo"], "municipality": "GM0505"},
                {"role": "partner", "organisation": "wijkteam"},
            ],
        }
    )
    assert [p.role for p in held.contract_participants()] == ["resident", "partner"]
    check_held(held, TODAY)
    for wrong, where in [
        ({"role": "resident", "name": "Jan Jansen"}, ("participants", 0, "name")),
        ({"role": "partner", "organisation": "Jan Jansen"}, ("participants", 0, "organisation")),
        ({"role": "chair"}, ("participants", 0, "role")),
        ({"role": "resident", "municipality": "GM99"}, ("participants", 0, "municipality")),
        ({"role": "resident", "age_band": "40"}, ("participants", 0, "age_band")),
    ]:
        with pytest.raises(ValidationError) as info:
            MeetingHeld.model_validate({"held_on": "2026-11-20", "participants": [wrong]})
        assert [e["loc"] for e in info.value.errors()] == [where], wrong


def test_a_meeting_cannot_have_been_held_tomorrow() -> None:
    held = MeetingHeld.model_validate({"held_on": "2026-11-24", "participants": []})
    with pytest.raises(MeetingRefused) as info:
        check_held(held, TODAY)
    assert info.value.field == "held_on"


def test_a_council_sees_its_own_meetings_only() -> None:
    assert may_see(council(), "adviesraad-dordrecht", None)
    assert may_see(council(), "adviesraad-dordrecht", "GM0642")
    assert not may_see(council(), "clientenraad-zwijndrecht", None)
    assert may_see(council("GM0505"), "adviesraad-dordrecht", "GM0505")
    assert not may_see(council("GM0505"), "adviesraad-dordrecht", None)
