"""Intake's pure rules: identifiers, resident matching, status changes, signal input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.intake.domain import (
    STATUSES,
    Candidate,
    Identifiers,
    SignalSubmission,
    blind_index,
    choose_resident,
    compatible,
    index_key,
    normalise_email,
    normalise_phone,
    status_change_applies,
)

KEY = index_key("unit-test-secret")

# --- normalising -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a.devries@example.nl", "a.devries@example.nl"),
        ("  A.deVries@Example.NL \t", "a.devries@example.nl"),
    ],
)
def test_normalise_email_trims_and_lowercases(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["0612345678", "06-12345678", "06 1234 5678", "(06) 12 34 56 78", "+31612345678", "+31 6 1234 5678",
     "0031612345678", "0031 6 12345678", "+31 (0)6 12345678"],
)  # fmt: skip
def test_dutch_mobile_number_spellings_are_one_number(raw: str) -> None:
    assert normalise_phone(raw) == "0612345678"


def test_landline_and_foreign_numbers() -> None:
    assert normalise_phone("078-123 45 67") == "0781234567"
    assert normalise_phone("+31 78 123 4567") == "0781234567"
    assert normalise_phone("+32 470 12 34 56") == normalise_phone("0032470123456") == "0032470123456"


def test_different_numbers_stay_different() -> None:
    assert normalise_phone("0612345678") != normalise_phone("0612345679")


# --- blind indexes ---------------------------------------------------------------------------------


def test_identifiers_equal_for_equal_normalised_values() -> None:
    a = Identifiers.of(KEY, " A@Example.nl", "+31 6 12345678")
    b = Identifiers.of(KEY, "a@example.nl", "0612345678")
    assert a == b
    assert a.email is not None and a.phone is not None
    assert a.email != a.phone  # the kind is part of the index
    assert "example" not in a.email and "612345678" not in a.phone


def test_identifiers_depend_on_the_key() -> None:
    assert (
        Identifiers.of(index_key("other"), "a@example.nl", None).email
        != Identifiers.of(KEY, "a@example.nl", None).email
    )


def test_missing_identifiers_are_none() -> None:
    ids = Identifiers.of(KEY, None, "  ")
    assert ids == Identifiers(email=None, phone=None)
    assert ids.values() == []


def test_blind_index_is_hex_sha256() -> None:
    value = blind_index(KEY, "email", "a@example.nl")
    assert len(value) == 64 and int(value, 16) >= 0


# --- resident matching -----------------------------------------------------------------------------

E1, E2, P1, P2 = "e1", "e2", "p1", "p2"


def test_no_identifiers_means_a_new_resident() -> None:
    assert choose_resident(Identifiers(None, None), [Candidate("r1", None, None)]) is None


def test_no_candidates_means_a_new_resident() -> None:
    assert choose_resident(Identifiers(E1, P1), []) is None


def test_same_email_and_phone_reuse_the_resident() -> None:
    assert choose_resident(Identifiers(E1, P1), [Candidate("r1", E1, P1)]) == "r1"


def test_same_email_without_phone_on_either_side_reuses() -> None:
    assert choose_resident(Identifiers(E1, None), [Candidate("r1", E1, P1)]) == "r1"
    assert choose_resident(Identifiers(E1, P1), [Candidate("r1", E1, None)]) == "r1"


def test_phone_alone_matches() -> None:
    assert choose_resident(Identifiers(None, P1), [Candidate("r1", E1, P1)]) == "r1"


def test_one_identifier_matching_and_the_other_conflicting_means_new() -> None:
    assert choose_resident(Identifiers(E1, P2), [Candidate("r1", E1, P1)]) is None
    assert choose_resident(Identifiers(E2, P1), [Candidate("r1", E1, P1)]) is None


def test_email_of_one_and_phone_of_another_is_never_merged() -> None:
    candidates = [Candidate("r1", E1, None), Candidate("r2", None, P1)]
    assert choose_resident(Identifiers(E1, P1), candidates) is None


def test_more_matches_win_over_fewer() -> None:
    candidates = [Candidate("r1", E1, None), Candidate("r2", E1, P1)]
    assert choose_resident(Identifiers(E1, P1), candidates) == "r2"


def test_exact_profile_breaks_a_tie() -> None:
    """After a conflict created a second resident with the same e-mail, each keeps its own ref."""
    candidates = [Candidate("r1", E1, P1), Candidate("r2", E1, P2), Candidate("r3", E1, None)]
    assert choose_resident(Identifiers(E1, None), candidates) == "r3"
    assert choose_resident(Identifiers(E1, P2), candidates) == "r2"


def test_remaining_tie_means_new() -> None:
    candidates = [Candidate("r1", E1, P1), Candidate("r2", E1, P2)]
    assert choose_resident(Identifiers(E1, None), candidates) is None


identifier = st.sampled_from([None, "a", "b", "c"])
candidate = st.builds(Candidate, st.uuids().map(str), identifier, identifier)


@given(st.builds(Identifiers, identifier, identifier), st.lists(candidate, max_size=6))
def test_chosen_resident_never_conflicts_and_shares_an_identifier(ids: Identifiers, cands: list[Candidate]) -> None:
    ref = choose_resident(ids, cands)
    if ref is None:
        return
    chosen = [c for c in cands if c.resident_ref == ref]
    assert chosen, "the ref must be one of the candidates"
    assert all(compatible(ids, c) for c in chosen)
    assert any((ids.email and c.email == ids.email) or (ids.phone and c.phone == ids.phone) for c in chosen)


# --- status ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("new", ["waiting", "consultation", "assigned"])
def test_received_moves_on(new: str) -> None:
    assert status_change_applies("received", new)  # type: ignore[arg-type]


def test_reassignment_applies_but_repeats_of_waiting_do_not() -> None:
    assert status_change_applies("assigned", "assigned")
    assert not status_change_applies("waiting", "waiting")
    assert not status_change_applies("consultation", "consultation")
    assert status_change_applies("waiting", "assigned")
    assert status_change_applies("assigned", "waiting")


@pytest.mark.parametrize("current", ["closed", "withdrawn"])
@pytest.mark.parametrize("new", STATUSES)
def test_terminal_statuses_stay(current: str, new: str) -> None:
    assert not status_change_applies(current, new)  # type: ignore[arg-type]


@pytest.mark.parametrize("current", STATUSES)
def test_nothing_goes_back_to_received(current: str) -> None:
    assert not status_change_applies(current, "received")  # type: ignore[arg-type]


# --- signal input ----------------------------------------------------------------------------------

SIGNAL = {"theme": "waiting_times", "municipality": "GM0505", "level": "local", "raised_by": "supporter", "text": "x"}


def test_signal_accepts_the_minimal_body() -> None:
    signal = SignalSubmission.model_validate(SIGNAL)
    assert signal.life_domain is None and signal.text == "x"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"theme": "weather"}, "theme"),
        ({"municipality": "GM99"}, "municipality"),
        ({"level": "national"}, "level"),
        ({"raised_by": "robot"}, "raised_by"),
        ({"life_domain": "cars"}, "life_domain"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"extra": 1}, "extra"),
    ],
)
def test_signal_refuses_bad_fields(change: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        SignalSubmission.model_validate(SIGNAL | change)
    assert [e["loc"][0] for e in info.value.errors()] == [field]


def test_what_is_no_municipality_code_says_what_one_looks_like() -> None:
    with pytest.raises(ValidationError) as info:
        SignalSubmission.model_validate(SIGNAL | {"municipality": "GM05O5"})
    assert "GM[0-9]{4}" in str(info.value)
