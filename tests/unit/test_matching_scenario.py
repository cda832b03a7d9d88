"""Unit tests of `match-eval` scenarios: validation naming each bad path, and the batch outcome."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.local import match_eval


def base() -> dict[str, Any]:
    return {
        "organisations": [
            {"id": "mee", "decides_on_provisions": False},
            {"id": "humanitas", "decides_on_provisions": False},
            {"id": "wijkteam", "decides_on_provisions": True},
        ],
        "supporters": [
            supporter("pro-1", capacity=1),
            supporter("pro-2", life_domains=["debts"], capacity=2, postcode="3317"),
            supporter("vol-1", kind="volunteer", organisation="humanitas", life_domains=["housing"], capacity=2),
            supporter("wt-1", organisation="wijkteam", life_domains=["wmo", "youth", "debts", "housing"], capacity=9),
        ],
        "questions": [
            question("q-old", "2025-05-01T09:00:00Z"),
            question("q-new", "2025-05-20T09:00:00Z", life_domains=["youth"]),
            question("q-duo", "2025-05-10T09:00:00Z", life_domains=["debts", "housing"], referrer="wijkteam"),
            question("q-sign", "2025-05-11T09:00:00Z", needs=["sign_language"]),
        ],
    }


def supporter(sid: str, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": sid,
        "kind": "professional",
        "organisation": "mee",
        "municipalities": ["GM0505"],
        "life_domains": ["wmo", "youth"],
        "languages": ["nl"],
        "specialisms": [],
        "capacity": 1,
        "active_cases": 0,
        "postcode": "3311",
    }
    return fields | changes


def question(qid: str, since: str, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": qid,
        "municipality": "GM0505",
        "life_domains": ["wmo"],
        "preferred_supporter_kind": "any",
        "languages": ["nl"],
        "needs": [],
        "postcode": "3311",
        "referrer": None,
        "waiting_since": since,
    }
    return fields | changes


def test_batch_outcome() -> None:
    result = match_eval.evaluate(match_eval.parse(json.dumps(base())))
    assigned = {a["question_id"]: a for a in result["assignments"]}
    assert assigned["q-old"]["supporter_ids"] == ["pro-1"]  # the older of two questions for one place
    assert assigned["q-duo"]["supporter_ids"] == ["pro-2", "vol-1"]  # the wijkteam referred: not them
    assert [a["question_id"] for a in result["assignments"]] == ["q-old", "q-duo"]  # oldest first
    for a in result["assignments"]:
        assert 0 < a["score"] <= 1 and 1 <= len(a["reasons"]) <= 3
        assert all(set(r) == {"code", "text"} for r in a["reasons"])
    unassigned = {u["question_id"]: u["reason"]["code"] for u in result["unassigned"]}
    assert unassigned == {"q-new": "no_capacity", "q-sign": "no_eligible_supporter"}


def test_now_changes_the_ageing_but_not_the_rules() -> None:
    later = match_eval.evaluate(match_eval.parse(json.dumps(base())), now=datetime(2025, 9, 1, tzinfo=UTC))
    assert {a["question_id"] for a in later["assignments"]} == {"q-old", "q-duo"}


def errors(data: Any) -> list[str]:
    with pytest.raises(match_eval.ScenarioError) as caught:
        match_eval.parse(data if isinstance(data, str) else json.dumps(data))
    return caught.value.lines


def test_schema_errors_name_each_path() -> None:
    data = base()
    data["supporters"][1]["kind"] = "doctor"
    data["supporters"][2]["municipalities"] = ["GM99"]
    data["questions"][0]["waiting_since"] = "yesterday"
    data["questions"][3]["colour"] = "red"
    del data["organisations"][0]["decides_on_provisions"]
    lines = errors(data)
    assert len(lines) == 5
    for path in (
        "supporters[1].kind:",
        "supporters[2].municipalities:",
        "questions[0].waiting_since:",
        "questions[3].colour:",
        "organisations[0].decides_on_provisions:",
    ):
        assert any(line.startswith(path) for line in lines), path


def test_cross_checks() -> None:
    data = base()
    data["supporters"][0]["organisation"] = "nobody"
    data["supporters"][1]["active_cases"] = 5
    data["questions"][1]["id"] = "q-old"
    data["questions"][2]["previous_supporters"] = ["ghost"]
    assert errors(data) == [
        "questions[1].id: duplicate id 'q-old'",
        "supporters[0].organisation: unknown organisation 'nobody'",
        "supporters[1].active_cases: 5 is more than the capacity 2",
        "questions[2].previous_supporters[0]: unknown supporter 'ghost'",
    ]


def test_not_json_and_missing_file(tmp_path: Path) -> None:
    assert errors("{nope")[0].startswith("(file): not valid JSON")
    assert errors([])[0].startswith("(file):")
    with pytest.raises(match_eval.ScenarioError) as caught:
        match_eval.run(tmp_path / "missing.json")
    assert "cannot read" in caught.value.lines[0]
