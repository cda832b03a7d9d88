"""BSN refusal: the 11-proef on free text, and the Dutch error every intake text field gives."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from contracts.bsn import BSN_MESSAGE, contains_bsn, find_bsns, is_valid_bsn
from contracts.events import Contact, QuestionSubmission, ReferralSubmitted
from services.intake.domain import SignalSubmission


@pytest.mark.parametrize("number", ["111222333", "123456782", "999999990", "010000008"])
def test_valid_bsns_pass_the_11_proef(number: str) -> None:
    assert is_valid_bsn(number)


@pytest.mark.parametrize("number", ["123456789", "111222334", "000000000", "12345678", "1234567820", "12345678a"])
def test_other_numbers_are_no_bsn(number: str) -> None:
    assert not is_valid_bsn(number)


@pytest.mark.parametrize(
    "text",
    [
        "111222333",
        "Mijn BSN is 111222333.",
        "bsn 111.222.333 graag",
        "bsn: 111 222 333",
        "123-456-782",
        "12 34 56 782",
        "nummer:123456782, zoon",
        "111\u00a0222\u00a0333",
        "BSN:111222333",
        "(111222333)",
    ],
)
def test_a_bsn_in_text_is_found(text: str) -> None:
    assert contains_bsn(text)


@pytest.mark.parametrize(
    "text",
    [
        "Bel mij op 0612345678",
        "06-12345678",
        "06 123 456 78",
        "+31 6 12345678",
        "0031612345678",
        "010 123 4567",
        "078-1234567",
        "123456789",  # fails the 11-proef
        "postcode 3311 AB, huisnummer 12",
        "geboren 12-03-2015, 3 kinderen",
        "IBAN NL91ABNA0417164300",
        "1111222333",  # ten digits, although 111222333 is inside
        "111222333444",
        "111.222.3334",
        "bedrag 1.234.567,89 euro",
        "kenmerk AB111222333",
        "code 111222333x",
        "3f111222333a9c",  # hex in an id
    ],
)
def test_phone_numbers_and_other_numbers_are_not_taken_for_a_bsn(text: str) -> None:
    assert find_bsns(text) == []


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_ten_digits_such_as_a_phone_number_are_never_a_bsn(digits: str) -> None:
    assert not contains_bsn(digits)
    assert not contains_bsn(f"Bel {digits[:2]}-{digits[2:]} of {digits[:3]} {digits[3:6]} {digits[6:]}")


@given(st.lists(st.integers(0, 9), min_size=8, max_size=8), st.sampled_from(["", ".", " ", "-"]))
def test_every_valid_bsn_is_found_however_it_is_grouped(head: list[int], sep: str) -> None:
    weights = (9, 8, 7, 6, 5, 4, 3, 2)
    last = sum(w * d for w, d in zip(weights, head, strict=True)) % 11
    assume(last <= 9 and (any(head) or last != 0))  # else no check digit makes these eight digits a BSN
    digits = "".join(map(str, head)) + str(last)
    assert is_valid_bsn(digits)
    grouped = sep.join((digits[:3], digits[3:6], digits[6:]))
    assert find_bsns(f"Mijn nummer is {grouped}.") == [digits]


def submission(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "municipality": "GM0505",
        "life_domains": ["wmo"],
        "description": "Ik zoek hulp bij de aanvraag voor begeleiding.",
        "postcode": "3311",
        "contact": {"name": "A. de Vries", "phone": "0612345678"},
        "consent": {"share_with_supporter": True},
    }
    return body | changes


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return {".".join(map(str, e["loc"])): e["msg"] for e in exc.value.errors()}


def test_a_description_with_a_bsn_is_refused_in_dutch() -> None:
    with pytest.raises(ValidationError) as caught:
        QuestionSubmission.model_validate(submission(description="Mijn BSN is 111.222.333, help mij."))
    assert errors_of(caught) == {"description": BSN_MESSAGE}
    assert caught.value.errors()[0]["type"] == "bsn_found"


def test_a_name_with_a_bsn_is_refused_in_dutch() -> None:
    with pytest.raises(ValidationError) as caught:
        Contact.model_validate({"name": "A. de Vries 123456782"})
    assert errors_of(caught) == {"name": BSN_MESSAGE}


def test_a_referral_on_the_topic_with_a_bsn_is_refused_too() -> None:
    body = submission(description="BSN 111222333") | {"partner_reference": "ref-1", "referrer": "wijkteam"}
    with pytest.raises(ValidationError) as caught:
        ReferralSubmitted.model_validate(body)
    assert "description" in errors_of(caught)


def test_a_signal_text_with_a_bsn_is_refused_in_dutch() -> None:
    body = {
        "theme": "waiting_times",
        "municipality": "GM0505",
        "level": "local",
        "raised_by": "resident",
        "text": "Lang gewacht, mijn bsn 111 222 333",
    }
    with pytest.raises(ValidationError) as caught:
        SignalSubmission.model_validate(body)
    assert errors_of(caught) == {"text": BSN_MESSAGE}


def test_texts_with_phone_numbers_are_accepted() -> None:
    body = submission(description="Bel mij liever op 06-12345678 of 078 123 4567, na 17.00 uur.")
    assert QuestionSubmission.model_validate(body).description.startswith("Bel mij")
