"""Unit tests of the newer matching rules: needs, pauses, duos, continuity, waiting, distance, the index."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching import domain
from services.matching.domain import Organisation, Question, SupporterIndex, SupporterRecord, Verdict, evaluate
from services.matching.postcodes import load_places

ORGS = {
    "mee": Organisation("mee", "MEE Plus"),
    "humanitas": Organisation("humanitas", "Humanitas"),
    "wijkteam": Organisation("wijkteam", "Sociaal Wijkteam", decides_on_provisions=True),
}
TODAY = date(2025, 6, 1)


def question(**changes: Any) -> Question:
    base = Question(question_id="q-1", municipality="GM0505", life_domains=("wmo",), postcode="3311")
    return replace(base, **changes)


def supporter(**changes: Any) -> SupporterRecord:
    base = SupporterRecord(
        id="s-1",
        name="Anna",
        email="anna@mee.example",
        kind="professional",
        organisation="mee",
        municipalities=("GM0505",),
        life_domains=("wmo", "youth"),
        capacity=10,
        active_cases=2,
        postcode="3311",
    )
    return replace(base, **changes)


def codes(q: Question, s: SupporterRecord) -> list[str]:
    return [r.code for r in domain.failed_rules(q, s, ORGS, TODAY)]


# --- hard rules ----------------------------------------------------------------------------------


def test_required_specialisms_are_a_hard_rule() -> None:
    q = question(needs=("sign_language", "lvb"))
    assert codes(q, supporter(specialisms=("sign_language", "lvb", "ggz"))) == []
    assert codes(q, supporter(specialisms=("sign_language",))) == ["need_not_met"]
    reason = domain.rule_needs(q, supporter(specialisms=()), ORGS)
    assert reason is not None and "gebarentaal" in reason.text and "LVB" in reason.text
    # Lived experience is no specialism: it scores, but does not meet a need.
    assert codes(q, supporter(experience_themes=("sign_language", "lvb"))) == ["need_not_met"]


def test_paused_supporters_are_unavailable_until_the_date() -> None:
    paused = supporter(paused_until=date(2025, 6, 10))
    assert codes(question(), paused) == ["paused"]
    assert codes(question(), replace(paused, paused_until=TODAY)) == []
    reason = domain.rule_active(question(), paused, ORGS, today=TODAY)
    assert reason is not None and "10-06-2025" in reason.text
    assert codes(question(), supporter(active=False, paused_until=date(2020, 1, 1))) == ["inactive"]


def test_a_question_without_languages_asks_no_language() -> None:
    assert codes(question(languages=()), supporter(languages=("de",))) == []


def test_declined_supporters_are_never_proposed_again() -> None:
    pool = [supporter(id="s-1", active_cases=0), supporter(id="s-2", active_cases=5)]
    evaluation = evaluate(question(), pool, ORGS, exclude={"s-1"}, today=TODAY)
    assert [s.supporter.id for s in evaluation.ranked] == ["s-2"]
    index = SupporterIndex(pool, ORGS)
    assert [s.supporter.id for s in index.evaluate(question(), exclude={"s-1"}, today=TODAY).ranked] == ["s-2"]
    assert index.evaluate(question(), exclude={"s-1", "s-2"}, today=TODAY).verdict is Verdict.CONSULT


# --- scoring -------------------------------------------------------------------------------------


def test_continuity_gives_the_earlier_supporter_a_big_bonus() -> None:
    earlier = supporter(id="z-earlier", active_cases=7, postcode="3317")
    fresh = supporter(id="a-fresh", active_cases=0, specialisms=("wmo",))
    q = question(previous_supporters=("z-earlier",))
    ranked = evaluate(q, [fresh, earlier], ORGS, today=TODAY).ranked
    assert [s.supporter.id for s in ranked] == ["z-earlier", "a-fresh"]
    assert ranked[0].top_reasons(1)[0].code == "continuity"
    assert "eerder geholpen" in ranked[0].top_reasons(1)[0].text


def test_lived_experience_counts_as_fit_for_experience_experts() -> None:
    q = question(life_domains=("debts",))
    expert = supporter(id="b-expert", kind="experience_expert", life_domains=("debts",), experience_themes=("debts",))
    plain = supporter(id="a-plain", kind="experience_expert", life_domains=("debts",))
    assert [s.supporter.id for s in evaluate(q, [plain, expert], ORGS, today=TODAY).ranked] == ["b-expert", "a-plain"]
    fit = domain.score(q, expert).components[1]
    assert fit.value == 1.0 and "eigen ervaring" in fit.reason.text


def test_waiting_time_raises_the_score_and_is_explained() -> None:
    fresh = domain.score(question(), supporter())
    waited = domain.score(question(), supporter(), waited_days=14)
    assert waited.score == pytest.approx(fresh.score + 0.5 * domain.DEFAULT_WEIGHTS.waiting)
    assert waited.components[-1].reason.code == "waiting_time" and "14 dagen" in waited.components[-1].reason.text
    assert domain.score(question(), supporter(), waited_days=400).components[-1].value == 1.0


def test_distance_uses_the_postcode_table_and_falls_back_to_numbers() -> None:
    q = question(postcode="3311")
    places = load_places()
    near = domain.score(q, supporter(postcode="3312"), places=places).components[3]
    sliedrecht = domain.score(q, supporter(postcode="3361"), places=places).components[3]
    # Not in the table: the numeric proxy.
    outside = domain.score(q, supporter(postcode="3399"), places=places).components[3]
    assert 1.0 > near.value > sliedrecht.value > 0.0
    assert "km" in near.reason.text
    assert outside.value == pytest.approx(1 - 88 / domain.DISTANCE_SCALE)
    assert domain.score(question(postcode=None), supporter()).components[3].value == 0.5


def test_weights_add_up_to_one() -> None:
    assert sum(domain.DEFAULT_WEIGHTS.as_tuple()) == pytest.approx(1.0)


# --- duos ----------------------------------------------------------------------------------------

DUO_POOL = [
    supporter(id="pro-debts", life_domains=("debts",), active_cases=0),
    supporter(id="pro-far", life_domains=("debts",), postcode="2964"),
    supporter(id="vol-housing", kind="volunteer", organisation="humanitas", life_domains=("housing",)),
    supporter(id="exp-housing", kind="experience_expert", organisation="humanitas", life_domains=("housing", "wmo")),
    supporter(id="vol-debts", kind="volunteer", organisation="humanitas", life_domains=("debts",)),
    supporter(id="wt-all", organisation="wijkteam", life_domains=("debts", "housing")),
]


def duo_question(**changes: Any) -> Question:
    return question(life_domains=("debts", "housing"), **changes)


def test_a_duo_covers_the_domains_together() -> None:
    q = duo_question()
    assert evaluate(q, DUO_POOL, ORGS, today=TODAY).verdict is Verdict.CONSULT
    duo = domain.best_duo(q, DUO_POOL, ORGS, today=TODAY)
    assert duo is not None
    assert duo.supporter_ids[0] == "pro-debts"
    assert duo.partner.supporter.kind in ("volunteer", "experience_expert")
    assert duo.components[0].value == 1.0 and "Samen" in duo.top_reasons(1)[0].text
    assert duo.score == pytest.approx(sum(c.contribution for c in duo.components), abs=1e-6)
    first, second = duo.as_scored()
    assert first.score == second.score == duo.score


def test_duos_only_when_the_resident_allows_them() -> None:
    assert domain.best_duo(duo_question(wants_duo=False), DUO_POOL, ORGS, today=TODAY) is None
    assert domain.best_duo(duo_question(preferred_supporter_kind="professional"), DUO_POOL, ORGS, today=TODAY) is None
    assert domain.best_duo(question(life_domains=("debts",)), DUO_POOL, ORGS, today=TODAY) is None
    assert domain.best_duo(duo_question(wants_duo=True), DUO_POOL, ORGS, today=TODAY) is not None


def test_duo_members_pass_every_other_rule_and_need_room() -> None:
    full = [replace(s, active_cases=s.capacity) if s.kind != "professional" else s for s in DUO_POOL]
    assert domain.best_duo(duo_question(), full, ORGS, today=TODAY) is None
    waiting = domain.best_duo(duo_question(), full, ORGS, today=TODAY, require_room=False)
    assert waiting is not None
    german = [replace(s, languages=("de",)) if s.kind != "professional" else s for s in DUO_POOL]
    assert domain.best_duo(duo_question(), german, ORGS, today=TODAY) is None


def test_index_duo_matches_the_list_duo() -> None:
    index = SupporterIndex(DUO_POOL, ORGS)
    for q in (duo_question(), duo_question(previous_supporters=("vol-housing",)), duo_question(languages=("de",))):
        a = domain.best_duo(q, DUO_POOL, ORGS, today=TODAY)
        b = index.best_duo(q, today=TODAY)
        assert (a and a.supporter_ids, a and a.score) == (b and b.supporter_ids, b and b.score)


# --- the index gives the same answers as the list ------------------------------------------------

MUNICIPALITIES = ["GM0505", "GM0642"]
DOMAINS = ["wmo", "youth", "debts", "housing"]
LANGUAGES = ["nl", "ar", "tr"]
SPECIALISMS = ["lvb", "debts", "sign_language"]

supporters_strategy = st.lists(
    st.builds(
        lambda i, kind, org, munis, doms, langs, specs, themes, cap, used, pc, active, paused: supporter(
            id=f"s-{i}",
            kind=kind,
            organisation=org,
            municipalities=tuple(munis),
            life_domains=tuple(doms),
            languages=tuple(langs),
            specialisms=tuple(specs),
            experience_themes=tuple(themes),
            capacity=cap,
            active_cases=min(used, cap),
            postcode=pc,
            active=active,
            paused_until=date(2025, 6, paused) if paused else None,
        ),
        st.integers(0, 10_000),
        st.sampled_from(["professional", "volunteer", "experience_expert"]),
        st.sampled_from(["mee", "humanitas", "wijkteam", "unknown"]),
        st.lists(st.sampled_from(MUNICIPALITIES), min_size=1, max_size=2, unique=True),
        st.lists(st.sampled_from(DOMAINS), min_size=1, max_size=3, unique=True),
        st.lists(st.sampled_from(LANGUAGES), min_size=1, max_size=2, unique=True),
        st.lists(st.sampled_from(SPECIALISMS), max_size=2, unique=True),
        st.lists(st.sampled_from(SPECIALISMS), max_size=1, unique=True),
        st.integers(0, 4),
        st.integers(0, 4),
        st.sampled_from(["3311", "3317", "3361", "2964", "3399", None]),
        st.booleans(),
        st.sampled_from([None, None, 1, 20]),
    ),
    max_size=12,
    unique_by=lambda s: s.id,
)
questions_strategy = st.builds(
    lambda munis, doms, kind, langs, needs, pc, prev, duo: question(
        municipality=munis,
        life_domains=tuple(doms),
        preferred_supporter_kind=kind,
        languages=tuple(langs),
        needs=tuple(needs),
        postcode=pc,
        previous_supporters=prev,
        wants_duo=duo,
    ),
    st.sampled_from(MUNICIPALITIES),
    st.lists(st.sampled_from(DOMAINS), min_size=1, max_size=3, unique=True),
    st.sampled_from(["any", "professional", "volunteer", "experience_expert"]),
    st.lists(st.sampled_from([*LANGUAGES, "so"]), max_size=2, unique=True),
    st.lists(st.sampled_from([*SPECIALISMS, "ggz"]), max_size=1),
    st.sampled_from(["3311", "3312", "3399", None]),
    st.sampled_from([(), ("s-1",), ("s-2", "s-3")]),
    st.sampled_from([None, True, False]),
)


@settings(max_examples=150, deadline=None)
@given(pool=supporters_strategy, q=questions_strategy, waited=st.sampled_from([0.0, 3.5, 40.0]))
def test_index_and_list_agree(pool: list[SupporterRecord], q: Question, waited: float) -> None:
    by_list = evaluate(q, pool, ORGS, limit=5, today=TODAY, waited_days=waited)
    by_index = SupporterIndex(pool, ORGS).evaluate(q, limit=5, today=TODAY, waited_days=waited)
    assert [(s.supporter.id, s.score) for s in by_index.ranked] == [(s.supporter.id, s.score) for s in by_list.ranked]
    # The list gets every supporter; the index only those serving the municipality.
    serving = [s for s in pool if q.municipality in s.municipalities]
    by_serving = evaluate(q, serving, ORGS, today=TODAY, waited_days=waited)
    assert (by_index.eligible_count, by_index.full_count, by_index.verdict) == (
        by_serving.eligible_count,
        by_serving.full_count,
        by_serving.verdict,
    )
    assert by_index.consultation_candidates() == by_serving.consultation_candidates()
    assert by_index.failed == by_serving.failed
    for s in by_list.ranked:
        assert domain.failed_rules(q, s.supporter, ORGS, TODAY) == []
        assert 0.0 <= s.score <= 1.0
    duo_list = domain.best_duo(q, serving, ORGS, today=TODAY, waited_days=waited)
    duo_index = SupporterIndex(pool, ORGS).best_duo(q, today=TODAY, waited_days=waited)
    assert (duo_list and (duo_list.supporter_ids, duo_list.score)) == (
        duo_index and (duo_index.supporter_ids, duo_index.score)
    )


def test_index_books_and_releases_capacity() -> None:
    index = SupporterIndex([supporter(id="s-1", capacity=1, active_cases=0)], ORGS)
    assert index.evaluate(question(), today=TODAY).verdict is Verdict.ASSIGN
    assert index.book("s-1") and not index.book("s-1")
    assert index.evaluate(question(), today=TODAY).verdict is Verdict.WAIT
    index.release("s-1")
    assert index.supporter("s-1").active_cases == 0
    assert index.evaluate(question(municipality="GM0590"), today=TODAY).verdict is Verdict.CONSULT
