"""Unit tests of the matching rules, scores and verdicts (pure, no infrastructure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.codes import LIFE_DOMAINS, SUPPORTER_KINDS
from contracts.events import QuestionReceived
from services.matching import domain
from services.matching.domain import Organisation, Question, SupporterRecord, Verdict, evaluate, failed_rules

ORGS = {
    "mee": Organisation("mee", "MEE Plus", decides_on_provisions=False),
    "ouderplatform": Organisation("ouderplatform", "Ouderplatform", decides_on_provisions=False),
    "wijkteam": Organisation("wijkteam", "Sociaal Wijkteam", decides_on_provisions=True),
}


def question(**changes: Any) -> Question:
    base = Question(
        question_id="q-1",
        municipality="GM0505",
        life_domains=("wmo",),
        preferred_supporter_kind="any",
        languages=("nl",),
        postcode="3311",
        referrer=None,
    )
    return replace(base, **changes)


def supporter(**changes: Any) -> SupporterRecord:
    base = SupporterRecord(
        id="s-1",
        name="Anna de Wit",
        email="anna@mee.example",
        kind="professional",
        organisation="mee",
        municipalities=("GM0505",),
        life_domains=("wmo", "youth", "debts"),
        languages=("nl",),
        specialisms=(),
        capacity=10,
        active_cases=2,
        postcode="3311",
        active=True,
    )
    return replace(base, **changes)


def codes(q: Question, s: SupporterRecord) -> list[str]:
    return [r.code for r in failed_rules(q, s, ORGS)]


def test_a_fitting_supporter_fails_no_rule() -> None:
    assert failed_rules(question(), supporter(), ORGS) == []


# --- one test per hard rule, each with a passing and a failing case ------------------------------


def test_rule_inactive() -> None:
    assert domain.rule_active(question(), supporter(active=True), ORGS) is None
    reason = domain.rule_active(question(), supporter(active=False), ORGS)
    assert reason is not None and reason.code == "inactive"
    assert codes(question(), supporter(active=False)) == ["inactive"]


def test_rule_no_capacity() -> None:
    assert domain.rule_capacity(question(), supporter(capacity=3, active_cases=2), ORGS) is None
    reason = domain.rule_capacity(question(), supporter(capacity=3, active_cases=3), ORGS)
    assert reason is not None and reason.code == "no_capacity"
    assert "3 van 3" in reason.text
    assert codes(question(), supporter(capacity=0, active_cases=0)) == ["no_capacity"]


def test_rule_municipality_not_served() -> None:
    assert (
        domain.rule_municipality(question(municipality="GM0642"), supporter(municipalities=("GM0505", "GM0642")), ORGS)
        is None
    )
    reason = domain.rule_municipality(question(municipality="GM0590"), supporter(), ORGS)
    assert reason is not None and reason.code == "municipality_not_served"
    assert "Papendrecht" in reason.text


def test_rule_life_domain_not_covered() -> None:
    """One supporter must cover every domain of the question; covering some is not enough."""
    assert domain.rule_life_domains(question(life_domains=("wmo", "debts")), supporter(), ORGS) is None
    reason = domain.rule_life_domains(question(life_domains=("wmo", "housing")), supporter(), ORGS)
    assert reason is not None and reason.code == "life_domain_not_covered"
    assert "Wonen" in reason.text and "Wmo" not in reason.text


def test_rule_language_not_spoken() -> None:
    """Speaking any one of the resident's languages is enough."""
    q = question(languages=("ar", "nl"))
    assert domain.rule_language(q, supporter(languages=("nl",)), ORGS) is None
    reason = domain.rule_language(q, supporter(languages=("en", "tr")), ORGS)
    assert reason is not None and reason.code == "language_not_spoken"
    assert "Arabisch" in reason.text


def test_rule_kind_not_chosen() -> None:
    volunteer = supporter(kind="volunteer")
    assert domain.rule_kind(question(preferred_supporter_kind="any"), volunteer, ORGS) is None
    assert domain.rule_kind(question(preferred_supporter_kind="volunteer"), volunteer, ORGS) is None
    reason = domain.rule_kind(question(preferred_supporter_kind="experience_expert"), volunteer, ORGS)
    assert reason is not None and reason.code == "kind_not_chosen"
    assert "ervaringsdeskundige" in reason.text and "vrijwilliger" in reason.text


def test_rule_not_independent() -> None:
    assert domain.rule_independent(question(), supporter(organisation="mee"), ORGS) is None
    # An independent organisation that referred the resident may still support them.
    assert domain.rule_independent(question(referrer="mee"), supporter(organisation="mee"), ORGS) is None
    deciding = domain.rule_independent(question(), supporter(organisation="wijkteam"), ORGS)
    assert deciding is not None and deciding.code == "not_independent"
    referring = domain.rule_independent(question(referrer="wijkteam"), supporter(organisation="wijkteam"), ORGS)
    assert referring is not None and referring.code == "not_independent"
    assert "doorverwezen" in referring.text
    unknown = domain.rule_independent(question(), supporter(organisation="nobody"), ORGS)
    assert unknown is not None and unknown.code == "not_independent"


def test_every_failed_rule_is_reported() -> None:
    s = supporter(active=False, capacity=1, active_cases=1, municipalities=("GM0642",), languages=("de",))
    s = replace(s, kind="volunteer", organisation="wijkteam", life_domains=())
    q = question(preferred_supporter_kind="professional")
    assert codes(q, s) == [
        "inactive",
        "no_capacity",
        "municipality_not_served",
        "life_domain_not_covered",
        "language_not_spoken",
        "kind_not_chosen",
        "not_independent",
    ]


# --- scoring and ranking -------------------------------------------------------------------------


def ranked_ids(q: Question, supporters: list[SupporterRecord]) -> list[str]:
    return [s.supporter.id for s in evaluate(q, supporters, ORGS).ranked]


def test_lower_workload_wins_when_otherwise_equal() -> None:
    busy = supporter(id="a-busy", capacity=10, active_cases=8)
    calm = supporter(id="b-calm", capacity=10, active_cases=1)
    assert ranked_ids(question(), [busy, calm]) == ["b-calm", "a-busy"]


def test_workload_is_relative_to_capacity() -> None:
    """Three of four places taken is busier than four of twenty."""
    small = supporter(id="a-small", capacity=4, active_cases=3)
    large = supporter(id="b-large", capacity=20, active_cases=4)
    assert ranked_ids(question(), [small, large]) == ["b-large", "a-small"]


def test_specialism_in_the_question_domains_ranks_higher() -> None:
    general = supporter(id="a-general")
    specialist = supporter(id="b-specialist", specialisms=("debts",))
    q = question(life_domains=("wmo", "debts"))
    assert ranked_ids(q, [general, specialist]) == ["b-specialist", "a-general"]


def test_domain_coverage_component_counts_covered_share() -> None:
    q = question(life_domains=("wmo", "housing"))
    full = domain.score(q, supporter(life_domains=("wmo", "housing")))
    half = domain.score(q, supporter(life_domains=("wmo",)))
    assert full.score > half.score
    coverage = {c.reason.code: c.value for c in half.components}["domain_coverage"]
    assert coverage == pytest.approx(0.5)


def test_speaking_the_first_language_ranks_higher() -> None:
    second = supporter(id="a-second", languages=("nl",))
    first = supporter(id="b-first", languages=("ar", "nl"))
    assert ranked_ids(question(languages=("ar", "nl")), [second, first]) == ["b-first", "a-second"]


def test_closer_postcode_ranks_higher() -> None:
    far = supporter(id="a-far", postcode="2950")
    near = supporter(id="b-near", postcode="3313")
    assert ranked_ids(question(postcode="3311"), [far, near]) == ["b-near", "a-far"]


def test_equal_scores_rank_by_id() -> None:
    assert ranked_ids(question(), [supporter(id="s-2"), supporter(id="s-1")]) == ["s-1", "s-2"]


def test_every_component_has_a_code_and_dutch_text() -> None:
    scored = domain.score(question(life_domains=("wmo", "debts")), supporter(specialisms=("debts",)))
    assert [c.reason.code for c in scored.components] == [
        "domain_coverage",
        "specialism",
        "language_match",
        "distance",
        "continuity",
        "workload",
        "waiting_time",
    ]
    assert all(c.reason.text for c in scored.components)
    assert scored.score == pytest.approx(sum(c.contribution for c in scored.components), abs=1e-6)
    top = scored.top_reasons(3)
    assert len(top) == 3 and top[0].code == "domain_coverage"


def test_limit_keeps_only_the_best() -> None:
    pool = [supporter(id=f"s-{i:02d}", active_cases=i % 10) for i in range(30)]
    evaluation = evaluate(question(), pool, ORGS, limit=3)
    assert evaluation.eligible_count == 30
    assert [s.supporter.active_cases for s in evaluation.ranked] == [0, 0, 0]
    assert evaluation.ranked == evaluate(question(), pool, ORGS).ranked[:3]


# --- verdicts ------------------------------------------------------------------------------------


def test_verdict_assign_when_someone_is_eligible() -> None:
    evaluation = evaluate(question(), [supporter(id="s-1"), supporter(id="s-2", active=False)], ORGS)
    assert evaluation.verdict is Verdict.ASSIGN
    assert [s.supporter.id for s in evaluation.ranked] == ["s-1"]
    assert [r.code for r in evaluation.failed["s-2"]] == ["inactive"]


def test_verdict_wait_when_eligible_supporters_are_all_full() -> None:
    full = [supporter(id=f"s-{i}", capacity=2, active_cases=2) for i in range(3)]
    evaluation = evaluate(question(), [*full, supporter(id="x", municipalities=("GM0642",))], ORGS)
    assert evaluation.verdict is Verdict.WAIT
    assert evaluation.full_count == 3
    assert evaluation.ranked == []


def test_verdict_consult_when_nobody_passes_the_hard_rules() -> None:
    """A full supporter who also fails another rule does not make the question wait."""
    candidates = [
        supporter(id="s-wrong-language", languages=("de",)),
        supporter(id="s-full-and-wrong-kind", kind="volunteer", capacity=1, active_cases=1),
        supporter(id="s-wijkteam", organisation="wijkteam"),
        supporter(id="s-many", active=False, languages=("de",), life_domains=()),
    ]
    evaluation = evaluate(question(preferred_supporter_kind="professional"), candidates, ORGS)
    assert evaluation.verdict is Verdict.CONSULT
    verdicts = evaluation.consultation_candidates()
    assert [v.supporter_id for v in verdicts] == [
        "s-wijkteam",
        "s-wrong-language",
        "s-full-and-wrong-kind",
        "s-many",
    ]
    assert [r.code for r in verdicts[2].failed_rules] == ["no_capacity", "kind_not_chosen"]
    assert verdicts[0].organisation == "wijkteam"
    assert domain.consultation_reason().code == "no_eligible_supporter"


def test_consultation_shows_at_most_five_candidates() -> None:
    pool = [supporter(id=f"s-{i}", languages=("de",)) for i in range(9)]
    evaluation = evaluate(question(), pool, ORGS)
    assert evaluation.verdict is Verdict.CONSULT
    assert len(evaluation.consultation_candidates()) == 5


def test_consultation_without_candidates() -> None:
    evaluation = evaluate(question(), [], ORGS)
    assert evaluation.verdict is Verdict.CONSULT
    assert evaluation.consultation_candidates() == []


# --- records and questions -----------------------------------------------------------------------


def test_supporter_problems() -> None:
    assert domain.supporter_problems(supporter()) == []
    bad = supporter(kind="doctor", life_domains=("cooking",), capacity=1, active_cases=2, postcode="AB")
    problems = " ".join(domain.supporter_problems(bad))
    for part in ("kind", "cooking", "active_cases", "postcode"):
        assert part in problems


def test_question_from_event() -> None:
    event = QuestionReceived(
        question_id="q-9",
        resident_ref="r-9",
        municipality="GM0505",
        life_domains=["wmo", "youth"],
        preferred_supporter_kind="volunteer",
        languages=["tr", "nl"],
        postcode="3312",
        channel="partner",
        referrer="wijkteam",
        received_at=datetime(2025, 1, 2, tzinfo=UTC),
    )
    q = Question.from_event(event)
    assert (q.life_domains, q.languages, q.referrer, q.postcode) == (("wmo", "youth"), ("tr", "nl"), "wijkteam", "3312")


domains = st.lists(st.sampled_from(sorted(LIFE_DOMAINS)), min_size=1, max_size=4, unique=True)


@given(
    q_domains=domains,
    s_domains=domains,
    kind=st.sampled_from(SUPPORTER_KINDS),
    capacity=st.integers(0, 20),
    used=st.integers(0, 20),
    postcode=st.integers(1000, 9999),
)
def test_scores_stay_in_range_and_eligible_means_no_failures(
    q_domains: list[str], s_domains: list[str], kind: str, capacity: int, used: int, postcode: int
) -> None:
    s = supporter(kind=kind, life_domains=tuple(s_domains), capacity=capacity, active_cases=min(used, capacity))
    s = replace(s, postcode=str(postcode))
    q = question(life_domains=tuple(q_domains))
    scored = domain.score(q, s)
    assert 0.0 <= scored.score <= 1.0
    evaluation = evaluate(q, [s], ORGS)
    assert (evaluation.verdict is Verdict.ASSIGN) == (failed_rules(q, s, ORGS) == [])
