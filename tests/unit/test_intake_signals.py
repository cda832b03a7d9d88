"""The signal lifecycle's pure rules: raised_by from the key, routing (reach), steps, grouping, status link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
from pydantic import ValidationError

from services.intake.signals import domain
from services.intake.signals.domain import (
    AlreadyAnswered,
    AnswerBody,
    Reach,
    SignalFacts,
    SignalRefused,
    group_signals,
    reach_of,
    source_for,
)
from services.kit.access import Principal

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def key(*scopes: str, municipality: str | None = None, organisation: str = "org-a") -> Principal:
    return Principal("k", organisation, frozenset(scopes), municipality)


# --- raised_by follows from the key ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [(("council",), "council"), (("staff",), "staff"), (("coordinator",), "supporter"), (("submit",), "partner")],
)
def test_without_a_claim_the_key_decides(scopes: tuple[str, ...], expected: str) -> None:
    assert source_for(key(*scopes), None) == expected


def test_a_council_key_cannot_claim_to_be_staff() -> None:
    with pytest.raises(SignalRefused) as info:
        source_for(key("council"), "staff")
    assert info.value.field == "raised_by" and "council" in info.value.message


def test_a_claim_the_scopes_allow_is_kept() -> None:
    assert source_for(key("staff"), "resident") == "resident"
    assert source_for(key("submit"), "supporter") == "supporter"
    assert source_for(key("submit", "council"), "council") == "council"


def test_a_partner_cannot_claim_to_be_a_resident_or_council() -> None:
    for claim in ("resident", "council", "staff"):
        with pytest.raises(SignalRefused):
            source_for(key("submit"), claim)  # type: ignore[arg-type]


def test_a_key_that_may_not_raise_has_no_sources() -> None:
    assert domain.sources_for(key("municipality", "read-own")) == ()
    with pytest.raises(SignalRefused):
        source_for(key("read-own"), None)


# --- routing ---------------------------------------------------------------------------------------

MUNICIPALITIES = ("GM0505", "GM0642")
LEVELS = ("local", "regional")


def seen(principal: Principal, municipality: str, level: str, raiser: str | None = "org-z") -> bool:
    return reach_of(principal).covers(municipality, level, raiser)  # type: ignore[arg-type]


def test_a_municipal_desk_sees_its_own_municipality_at_every_level() -> None:
    desk = key("municipality", municipality="GM0505", organisation="gemeente-dordrecht")
    assert seen(desk, "GM0505", "local") and seen(desk, "GM0505", "regional")
    assert not seen(desk, "GM0642", "local") and not seen(desk, "GM0642", "regional")


def test_a_desk_or_council_without_municipality_sees_everything() -> None:
    for scope in ("municipality", "council"):
        region = key(scope)
        assert all(seen(region, m, lvl) for m, lvl in product(MUNICIPALITIES, LEVELS))


def test_a_local_council_sees_its_municipality_and_every_regional_signal() -> None:
    council = key("council", municipality="GM0505")
    assert seen(council, "GM0505", "local")
    assert seen(council, "GM0642", "regional")
    assert not seen(council, "GM0642", "local")


def test_a_raiser_sees_only_what_its_organisation_raised() -> None:
    partner = key("submit", "read-own", organisation="wijkteam")
    assert seen(partner, "GM0642", "local", raiser="wijkteam")
    assert not seen(partner, "GM0642", "local", raiser="other")
    assert not seen(partner, "GM0642", "local", raiser=None)  # a resident's signal


def test_a_raiser_key_tied_to_a_municipality_sees_its_own_signals_there_only() -> None:
    partner = key("staff", municipality="GM0505", organisation="loket")
    assert seen(partner, "GM0505", "local", raiser="loket")
    assert not seen(partner, "GM0642", "regional", raiser="loket")


def test_the_reach_of_a_raiser_has_no_desk_or_council_parts() -> None:
    assert reach_of(key("staff", organisation="loket")) == Reach(organisation="loket")


def test_only_the_desk_of_the_signals_municipality_may_respond() -> None:
    assert domain.may_respond(key("municipality", municipality="GM0505"), "GM0505")
    assert domain.may_respond(key("municipality"), "GM0642")  # the region's desk
    assert not domain.may_respond(key("municipality", municipality="GM0505"), "GM0642")
    assert not domain.may_respond(key("council"), "GM0505")


# --- steps -----------------------------------------------------------------------------------------


def test_acknowledging_changes_only_a_raised_signal() -> None:
    assert domain.acknowledge_changes("raised")
    assert not domain.acknowledge_changes("acknowledged")
    assert not domain.acknowledge_changes("answered")


def test_answering_acknowledges_an_unread_signal_and_is_final() -> None:
    assert domain.answer_acknowledges("raised")
    assert not domain.answer_acknowledges("acknowledged")
    with pytest.raises(AlreadyAnswered):
        domain.answer_acknowledges("answered")


def test_an_answer_is_1_to_4000_characters_without_a_bsn() -> None:
    assert AnswerBody.model_validate({"text": "  Wij pakken dit op.  "}).text == "Wij pakken dit op."
    for bad in ("", "   ", "x" * 4001, "Inwoner met BSN 111222333 is gebeld."):
        with pytest.raises(ValidationError) as info:
            AnswerBody.model_validate({"text": bad})
        assert [e["loc"] for e in info.value.errors()] == [("text",)]
    with pytest.raises(ValidationError):
        AnswerBody.model_validate({"text": "ok", "extra": 1})


# --- grouping --------------------------------------------------------------------------------------


def fact(n: int, theme: str = "waiting_times", life_domain: str | None = "youth", **changes: object) -> SignalFacts:
    values: dict[str, object] = {
        "signal_id": f"s{n:02d}",
        "theme": theme,
        "life_domain": life_domain,
        "municipality": "GM0505",
        "level": "local",
        "status": "raised",
        "raised_at": T0 + timedelta(days=n),
    }
    return SignalFacts(**(values | changes))  # type: ignore[arg-type]


def test_signals_group_by_theme_life_domain_and_level_largest_first() -> None:
    signals = [
        fact(1, municipality="GM0642"),
        fact(5),
        fact(3, status="answered"),
        fact(2, theme="reachability", life_domain=None),
        fact(4, level="regional"),
    ]
    groups = group_signals(signals)
    assert [(g.theme, g.life_domain, g.level, g.count) for g in groups] == [
        ("waiting_times", "youth", "local", 3),
        ("waiting_times", "youth", "regional", 1),
        ("reachability", None, "local", 1),
    ]
    first = groups[0]
    assert first.municipalities == ("GM0505", "GM0642")
    assert (first.first_raised_at, first.last_raised_at) == (T0 + timedelta(days=1), T0 + timedelta(days=5))
    assert first.answered == 1
    assert first.signal_ids == ("s01", "s03", "s05")  # in the order they were raised


def test_grouping_counts_every_signal_once_whatever_the_order() -> None:
    signals = [fact(n, theme=("other", "treatment")[n % 2], level=LEVELS[n % 3 % 2]) for n in range(12)]
    forward, backward = group_signals(signals), group_signals(list(reversed(signals)))
    assert forward == backward
    assert sum(g.count for g in forward) == len(signals)
    assert sorted(i for g in forward for i in g.signal_ids) == sorted(s.signal_id for s in signals)
    assert [g.count for g in forward] == sorted((g.count for g in forward), reverse=True)


def test_equal_groups_put_the_most_recent_first() -> None:
    groups = group_signals([fact(1, theme="other"), fact(9, theme="treatment")])
    assert [g.theme for g in groups] == ["treatment", "other"]


def test_no_signals_no_groups() -> None:
    assert group_signals([]) == []


# --- the resident's status link --------------------------------------------------------------------


def test_a_status_token_is_random_and_only_its_digest_is_kept() -> None:
    token, digest = domain.new_status_token()
    other, _ = domain.new_status_token()
    assert token != other and domain.looks_like_token(token)
    assert digest == domain.token_digest(token) and token not in digest and len(digest) == 64


@pytest.mark.parametrize("value", ["bedankt", "", "a" * 42, "a" * 44, "a" * 42 + "/", "../" + "a" * 40])
def test_things_that_are_not_tokens(value: str) -> None:
    assert not domain.looks_like_token(value)


def test_every_status_has_a_dutch_explanation() -> None:
    assert set(domain.RESIDENT_STATUS) == set(domain.STATUSES)
    assert domain.RESIDENT_STATUS["answered"].label == "Beantwoord"
