"""Unit tests of the batch re-optimisation: against brute force, ageing, rules, duos, max-flow."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching import domain, optimise
from services.matching.domain import Organisation, Question, SupporterRecord

ORGS = {
    "mee": Organisation("mee", "MEE Plus"),
    "humanitas": Organisation("humanitas", "Humanitas"),
    "wijkteam": Organisation("wijkteam", "Sociaal Wijkteam", decides_on_provisions=True),
}
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)


def question(qid: str, **changes: Any) -> Question:
    base = Question(question_id=qid, municipality="GM0505", life_domains=("wmo",), postcode="3311", wants_duo=False)
    return replace(base, **changes)


def supporter(sid: str, **changes: Any) -> SupporterRecord:
    base = SupporterRecord(
        id=sid,
        name=sid,
        email=f"{sid}@example.nl",
        kind="professional",
        organisation="mee",
        municipalities=("GM0505",),
        life_domains=("wmo", "youth"),
        capacity=1,
        active_cases=0,
        postcode="3311",
    )
    return replace(base, **changes)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def brute_force(
    questions: list[Question], since: dict[str, datetime], pool: list[SupporterRecord]
) -> tuple[float, int]:
    """The best objective and the most questions placed, by trying every assignment."""
    options = []
    for q in questions:
        days = (NOW - since[q.question_id]).total_seconds() / 86400
        fits = [None]
        for s in pool:
            codes = {r.code for r in domain.failed_rules(q, replace(s, active_cases=0, capacity=1), ORGS, NOW.date())}
            if not codes and s.capacity > s.active_cases:
                value = optimise.PLACEMENT_VALUE + domain.score(q, s, waited_days=days).score
                fits.append((s.id, value + optimise.AGEING_PER_DAY * days))
        options.append(fits)
    free = {s.id: s.capacity - s.active_cases for s in pool}
    best_value, best_count = 0.0, 0
    for combo in itertools.product(*options):
        used: dict[str, int] = {}
        for choice in combo:
            if choice is not None:
                used[choice[0]] = used.get(choice[0], 0) + 1
        if any(n > free[sid] for sid, n in used.items()):
            continue
        chosen = [c for c in combo if c is not None]
        best_value = max(best_value, sum(c[1] for c in chosen))
        best_count = max(best_count, len(chosen))
    return best_value, best_count


def check_rules(
    rows: list[tuple[str, str, domain.Scored]], questions: list[Question], pool: list[SupporterRecord]
) -> None:
    """Every row passes every hard rule (a duo member all but domain coverage); no place is overbooked."""
    by_q = {q.question_id: q for q in questions}
    by_s = {s.id: s for s in pool}
    per_question: dict[str, int] = {}
    used: dict[str, int] = {}
    for qid, sid, _ in rows:
        per_question[qid] = per_question.get(qid, 0) + 1
        used[sid] = used.get(sid, 0) + 1
    for qid, sid, _ in rows:
        codes = {r.code for r in domain.failed_rules(by_q[qid], by_s[sid], ORGS, NOW.date())}
        assert codes <= ({"life_domain_not_covered"} if per_question[qid] == 2 else set())
    assert all(n in (1, 2) for n in per_question.values())
    for sid, n in used.items():
        assert by_s[sid].active_cases + n <= by_s[sid].capacity


pool_strategy = st.lists(
    st.builds(
        lambda i, kind, org, doms, langs, cap, used, pc: supporter(
            f"s-{i}",
            kind=kind,
            organisation=org,
            life_domains=tuple(doms),
            languages=tuple(langs),
            capacity=cap,
            active_cases=min(used, cap),
            postcode=pc,
        ),
        st.integers(0, 99),
        st.sampled_from(["professional", "volunteer"]),
        st.sampled_from(["mee", "humanitas", "wijkteam"]),
        st.lists(st.sampled_from(["wmo", "youth", "debts"]), min_size=1, max_size=2, unique=True),
        st.lists(st.sampled_from(["nl", "ar"]), min_size=1, max_size=2, unique=True),
        st.integers(0, 2),
        st.integers(0, 1),
        st.sampled_from(["3311", "3317", "3361"]),
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda s: s.id,
)
questions_strategy = st.lists(
    st.builds(
        lambda i, doms, kind, langs, pc, prev: question(
            f"q-{i}",
            life_domains=tuple(doms),
            preferred_supporter_kind=kind,
            languages=tuple(langs),
            postcode=pc,
            previous_supporters=prev,
        ),
        st.integers(0, 99),
        st.lists(st.sampled_from(["wmo", "youth", "debts"]), min_size=1, max_size=2, unique=True),
        st.sampled_from(["any", "professional", "volunteer"]),
        st.lists(st.sampled_from(["nl", "ar"]), min_size=1, max_size=1),
        st.sampled_from(["3311", "3351"]),
        st.sampled_from([(), ("s-1",)]),
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda q: q.question_id,
)


@settings(max_examples=120, deadline=None)
@given(pool=pool_strategy, questions=questions_strategy, ages=st.lists(st.floats(0, 60), min_size=5, max_size=5))
def test_optimiser_matches_brute_force(
    pool: list[SupporterRecord], questions: list[Question], ages: list[float]
) -> None:
    since = {q.question_id: days_ago(age) for q, age in zip(questions, ages, strict=False)}
    best_value, best_count = brute_force(questions, since, pool)
    rows = optimise.assign_waiting(questions, since, pool, ORGS, NOW, max_rounds=None)
    check_rules(rows, questions, pool)
    assert optimise.objective(rows, since, NOW) == pytest.approx(best_value, abs=1e-4)
    assert optimise.optimal_objective(questions, since, pool, ORGS, NOW) == pytest.approx(best_value, abs=1e-4)
    assert optimise.max_assignable(questions, pool, ORGS, NOW) == best_count
    # The default (no pricing rounds) still respects every rule and never places more than possible.
    quick = optimise.assign_waiting(questions, since, pool, ORGS, NOW)
    check_rules(quick, questions, pool)
    assert len(quick) <= best_count


def test_the_oldest_question_gets_the_last_place() -> None:
    pool = [supporter("s-1", capacity=1)]
    questions = [question("q-new"), question("q-old", postcode="3361")]  # the old one lives further away
    since = {"q-new": days_ago(1), "q-old": days_ago(30)}
    rows = optimise.assign_waiting(questions, since, pool, ORGS, NOW)
    assert [(q, s) for q, s, _ in rows] == [("q-old", "s-1")]
    assert "wacht al 30 dagen" in " ".join(c.reason.text for c in rows[0][2].components)


def test_ageing_eventually_beats_a_better_fit() -> None:
    """A question that fits worse still wins the place once it has waited long enough."""
    pool = [supporter("s-1", capacity=1, specialisms=("youth",))]
    good = question("q-good", life_domains=("youth",), previous_supporters=("s-1",))
    poor = question("q-poor", postcode="2964")
    for waited, winner in ((1, "q-good"), (60, "q-poor")):
        since = {"q-good": days_ago(0), "q-poor": days_ago(waited)}
        rows = optimise.assign_waiting([good, poor], since, pool, ORGS, NOW)
        assert [q for q, _, _ in rows] == [winner]


def test_batch_places_more_than_first_come_first_served() -> None:
    """The first question could go to either supporter; the second only to one of them."""
    pool = [supporter("s-flex", postcode="3311"), supporter("s-only", life_domains=("wmo",), postcode="3317")]
    flexible = question("q-1")
    narrow = question("q-2", life_domains=("youth",))
    pool[1] = replace(pool[1], life_domains=("wmo",))
    since = {"q-1": days_ago(5), "q-2": days_ago(1)}
    rows = optimise.assign_waiting([flexible, narrow], since, pool, ORGS, NOW)
    assert sorted((q, s) for q, s, _ in rows) == [("q-1", "s-only"), ("q-2", "s-flex")]
    assert optimise.max_assignable([flexible, narrow], pool, ORGS, NOW) == 2


def test_duo_questions_get_two_places() -> None:
    pool = [
        supporter("pro", life_domains=("debts",)),
        supporter("vol", kind="volunteer", organisation="humanitas", life_domains=("housing",)),
    ]
    q = question("q-duo", life_domains=("debts", "housing"), wants_duo=None)
    rows = optimise.assign_waiting([q], {"q-duo": days_ago(2)}, pool, ORGS, NOW)
    assert [(qid, sid) for qid, sid, _ in rows] == [("q-duo", "pro"), ("q-duo", "vol")]
    assert rows[0][2].score == rows[1][2].score
    assert rows[0][2].top_reasons(1)[0].text.startswith("Samen")
    no = optimise.assign_waiting([replace(q, wants_duo=False)], {"q-duo": days_ago(2)}, pool, ORGS, NOW)
    assert no == []


def test_nothing_to_do() -> None:
    assert optimise.assign_waiting([], {}, [supporter("s-1")], ORGS, NOW) == []
    assert optimise.assign_waiting([question("q")], {}, [], ORGS, NOW) == []
    assert optimise.max_assignable([question("q")], [supporter("s-1", active_cases=1)], ORGS, NOW) == 0
    assert optimise.optimal_objective([], {}, [], ORGS, NOW) == 0.0


def test_declined_supporters_are_never_proposed_again() -> None:
    pool = [supporter("s-best", capacity=1), supporter("s-other", capacity=1, postcode="3361")]
    rows = optimise.assign_waiting([question("q")], {}, pool, ORGS, NOW, exclude={"q": {"s-best"}})
    assert [(q, s) for q, s, _ in rows] == [("q", "s-other")]
    rows = optimise.assign_waiting([question("q")], {}, pool, ORGS, NOW, exclude={"q": {"s-best", "s-other"}})
    assert rows == []
