"""Pure parts of matching's lifecycle: the waiting-list choice (the optimiser with every decline, the
greedy fallback), the registry's input models, and the coordinators' page's signed cookies and form
checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from contracts.labels import DECLINE_REASON_TEXTS, END_REASON_TEXTS
from services.kit import dutch
from services.matching import domain, optimise, web
from services.matching.domain import Organisation, Question, SupporterRecord, TooManyCodes
from services.matching.handlers import waiting
from services.matching.http.assignment_models import DeclineIn, EndIn
from services.matching.http.supporter_models import SupporterChanges, SupporterIn, availability_columns

NOW = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
ORGS = {"mee": Organisation("mee", "MEE Plus"), "wijkteam": Organisation("wijkteam", "Wijkteam", True)}


def supporter(id: str, **changes: Any) -> SupporterRecord:
    fields: dict[str, Any] = {
        "id": id,
        "name": id,
        "email": f"{id}@mee.example",
        "kind": "professional",
        "organisation": "mee",
        "municipalities": ["GM0505"],
        "life_domains": ["wmo"],
        "languages": ["nl"],
        "capacity": 1,
        "postcode": "3311",
    }
    fields.update(changes)
    return SupporterRecord(**fields)


def question(id: str, **changes: Any) -> Question:
    fields: dict[str, Any] = {"question_id": id, "municipality": "GM0505", "life_domains": ("wmo",)}
    fields.update(changes)
    return Question(**fields)


def since(*ids: str) -> dict[str, datetime]:
    """Waiting since: the first id waited longest."""
    return {qid: NOW - timedelta(days=len(ids) - i) for i, qid in enumerate(ids)}


# --- the greedy fallback ---------------------------------------------------------------------------


def test_greedy_gives_the_places_to_the_oldest_questions_within_capacity() -> None:
    pool = [supporter("a", capacity=2), supporter("b", capacity=1, active_cases=1)]
    qs = [question("new"), question("old"), question("middle")]
    chosen = optimise.greedy_assign_waiting(qs, since("old", "middle", "new"), pool, ORGS, NOW)
    assert [(q, s) for q, s, _ in chosen] == [("old", "a"), ("middle", "a")]


def test_greedy_respects_the_hard_rules_and_every_decline() -> None:
    pool = [
        supporter("deciding", organisation="wijkteam"),
        supporter("arabic", languages=["ar"]),
        supporter("declined"),
        supporter("fits"),
    ]
    qs = [question("q1"), question("q2")]
    chosen = optimise.greedy_assign_waiting(
        qs, since("q1", "q2"), pool, ORGS, NOW, excluded={"q1": frozenset({"declined", "fits"})}
    )
    assert [(q, s) for q, s, _ in chosen] == [("q2", "declined")] or [(q, s) for q, s, _ in chosen] == [("q2", "fits")]
    assert all(not domain.failed_rules(qs[1], scored.supporter, ORGS) for _, _, scored in chosen)


def test_greedy_never_exceeds_capacity() -> None:
    pool = [supporter(f"s{i}", capacity=i) for i in range(4)]  # 0 + 1 + 2 + 3 places
    qs = [question(f"q{i:02d}") for i in range(10)]
    chosen = optimise.greedy_assign_waiting(qs, since(*[q.question_id for q in qs]), pool, ORGS, NOW)
    per: dict[str, int] = {}
    for _, sid, _ in chosen:
        per[sid] = per.get(sid, 0) + 1
    assert len(chosen) == 6 and per == {"s1": 1, "s2": 2, "s3": 3}
    assert len({q for q, _, _ in chosen}) == 6


# --- the waiting list's choice ---------------------------------------------------------------------


def test_declined_questions_never_reach_a_decliner() -> None:
    pool = [supporter("a"), supporter("b")]
    qs = [question("q1"), question("q2")]
    chosen = waiting.choose_for_waiting(qs, since("q1", "q2"), pool, ORGS, NOW, {"q1": frozenset({"a"})})
    assert sorted((q, s) for q, s, _ in chosen) == [("q1", "b"), ("q2", "a")]
    # Nobody declined anything: the optimiser alone decides.
    assert sorted((q, s) for q, s, _ in waiting.choose_for_waiting(qs, {}, pool, ORGS, NOW, {})) == [
        ("q1", "a"),
        ("q2", "b"),
    ]


def test_the_optimiser_gets_the_exclusions(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def optimiser(*args: Any, exclude: Any = None, **kwargs: Any) -> list[Any]:
        seen["exclude"] = exclude
        return []

    monkeypatch.setattr(waiting, "assign_waiting", optimiser)
    waiting.choose_for_waiting([question("q")], {}, [supporter("a")], ORGS, NOW, {"q": frozenset({"a"})})
    assert seen["exclude"] == {"q": frozenset({"a"})}


def test_a_declined_question_is_optimised_with_the_rest_never_with_its_decliner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Deciding the declined question first (greedily, oldest first) would give it the supporter the
    other question needs; the optimiser places both, and never with the one who declined."""
    pool = [
        supporter("near", life_domains=["wmo", "youth"]),
        supporter("far", postcode="3361"),
        supporter("decliner"),
    ]
    qs = [question("q-declined", postcode="3311"), question("q-youth", life_domains=("youth",), postcode="3311")]
    declined = {"q-declined": frozenset({"decliner"})}
    handed: list[Any] = []

    def spy(questions: Any, *args: Any, **kwargs: Any) -> Any:
        handed.append(([q.question_id for q in questions], kwargs["exclude"]))
        return optimise.assign_waiting(questions, *args, **kwargs)

    monkeypatch.setattr(waiting, "assign_waiting", spy)
    chosen = waiting.choose_for_waiting(qs, since("q-declined", "q-youth"), pool, ORGS, NOW, declined)
    assert handed == [(["q-declined", "q-youth"], declined)]
    assert sorted((q, s) for q, s, _ in chosen) == [("q-declined", "far"), ("q-youth", "near")]
    greedy = optimise.greedy_assign_waiting(qs, since("q-declined", "q-youth"), pool, ORGS, NOW, declined)
    assert [(q, s) for q, s, _ in greedy] == [("q-declined", "near")], "what deciding it first would have done"


def test_a_pool_the_optimiser_cannot_index_is_decided_greedily() -> None:
    babel = supporter("a", languages=["nl", *(f"x{i}" for i in range(64))])
    with pytest.raises(TooManyCodes):
        optimise.assign_waiting([question("q")], {}, [babel], ORGS, NOW)
    chosen = waiting.choose_for_waiting([question("q")], {}, [babel], ORGS, NOW, {})
    assert [(q, s) for q, s, _ in chosen] == [("q", "a")]


def test_the_real_optimiser_keeps_to_capacity_and_declines() -> None:
    pool = [supporter("a", capacity=2), supporter("b", capacity=1)]
    qs = [question(f"q{i}") for i in range(5)]
    excluded = {"q0": frozenset({"a", "b"}), "q1": frozenset({"a"})}
    chosen = waiting.choose_for_waiting(qs, since(*[q.question_id for q in qs]), pool, ORGS, NOW, excluded)
    per: dict[str, int] = {}
    for qid, sid, _ in chosen:
        assert sid not in excluded.get(qid, frozenset())
        per[sid] = per.get(sid, 0) + 1
    assert per == {"a": 2, "b": 1}
    assert len({q for q, _, _ in chosen}) == 3


# --- registry input ---------------------------------------------------------------------------------


def supporter_in(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Anna",
        "email": "anna@mee.example",
        "kind": "professional",
        "organisation": "mee",
        "municipalities": ["GM0505"],
        "life_domains": ["wmo"],
        "capacity": 3,
    }
    body.update(changes)
    return body


def errors(model: type[Any], data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return {".".join(str(p) for p in e["loc"]): e["msg"] for e in info.value.errors()}


def test_supporter_input_normalises_codes_and_postcode() -> None:
    parsed = SupporterIn.model_validate(
        supporter_in(postcode="3311 ab", languages=["nl", "nl", "ar"], life_domains=["wmo", "youth", "wmo"])
    )
    assert parsed.postcode == "3311"
    assert parsed.languages == ["nl", "ar"] and parsed.life_domains == ["wmo", "youth"]
    assert parsed.availability == "active" and parsed.specialisms == []


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("life_domains", ["cooking"], "housing"),
        ("languages", ["klingon"], "pap"),
        ("specialisms", ["astrology"], "sign_language"),
        ("experience_themes", ["astrology"], "debts"),
        ("kind", "doctor", "experience_expert"),
        ("postcode", "0123", "4 digits"),
        ("postcode", "33111", "4 digits"),
        ("capacity", 1000, "200"),
        ("municipalities", [], "at least 1"),
    ],
)
def test_bad_supporter_input_names_the_field_and_what_is_allowed(field: str, value: Any, says: str) -> None:
    found = errors(SupporterIn, supporter_in(**{field: value}))
    assert list(found) == [field]
    assert says in found[field]


def test_a_pause_date_goes_with_paused_and_lies_ahead() -> None:
    today = dutch.today()
    assert "paused" in errors(SupporterIn, supporter_in(paused_until=str(today + timedelta(days=2))))["paused_until"]
    late = errors(SupporterIn, supporter_in(availability="paused", paused_until=str(today)))
    assert "after today" in late["paused_until"]
    ok = SupporterIn.model_validate(supporter_in(availability="paused", paused_until=str(today + timedelta(days=2))))
    assert ok.paused_until == today + timedelta(days=2)


def test_availability_maps_to_the_columns_the_capacity_guard_reads() -> None:
    back = dutch.today() + timedelta(days=7)
    assert availability_columns("active", None) == {"active": True, "paused_until": None}
    assert availability_columns("paused", back) == {"active": True, "paused_until": back}
    assert availability_columns("paused", None) == {"active": False, "paused_until": None}


def test_supporter_changes_set_only_what_was_given() -> None:
    back = dutch.today() + timedelta(days=7)
    assert SupporterChanges.model_validate({"capacity": 4}).columns() == {"capacity": 4}
    assert SupporterChanges.model_validate({"paused_until": str(back)}).columns() == {
        "active": True,
        "paused_until": back,
    }
    assert SupporterChanges.model_validate({"availability": "active"}).columns() == {
        "active": True,
        "paused_until": None,
    }
    assert SupporterChanges.model_validate({"postcode": None}).columns() == {"postcode": None}
    assert "active_cases" in errors(SupporterChanges, {"active_cases": 0})


def test_decline_and_end_reasons_come_from_the_code_lists() -> None:
    assert DeclineIn.model_validate({"by": "resident", "reason_code": "no_click"}).reason_text is None
    found = errors(DeclineIn, {"by": "resident", "reason_code": "bored"})
    assert "resident_preference" in found["reason_code"]
    bsn = errors(DeclineIn, {"by": "supporter", "reason_code": "other", "reason_text": "BSN 111222333"})
    assert "burgerservicenummer" in bsn["reason_text"]
    assert EndIn().reason_code == "completed"
    assert "moved" in errors(EndIn, {"reason_code": "bored"})["reason_code"]
    assert all(text.endswith(".") for text in {**DECLINE_REASON_TEXTS, **END_REASON_TEXTS}.values())


# --- the page's form -------------------------------------------------------------------------------


def test_the_hand_assignment_form_needs_a_supporter_and_a_reason_without_bsn() -> None:
    assert web._form_problem("", "Omdat de inwoner dat wil.") == "Kies een ondersteuner."
    assert "minstens 5" in (web._form_problem("s-1", "ok") or "")
    assert "BSN" in (web._form_problem("s-1", "Inwoner heeft BSN 111222333") or "")
    assert web._form_problem("s-1", "Spreekt Turks, tolk geregeld.") is None
