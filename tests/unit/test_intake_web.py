"""The resident forms' pure rules: form → submission and Dutch errors (CSRF and the rate limit: test_kit_web)."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.codes import LANGUAGES, LIFE_DOMAINS, NEEDS
from services.intake import webforms
from services.intake.webforms import QuestionForm, SignalForm, normalise_postcode
from services.kit.region import region_of

DEMO = region_of()


def valid(**changes: Any) -> dict[str, list[str]]:
    values = {
        "life_domains": ["wmo", "debts"],
        "description": ["Ik zoek hulp bij mijn schulden."],
        "preferred_supporter_kind": ["volunteer"],
        "language": ["ar"],
        "meeting_preference": ["phone"],
        "name": ["A. de Vries"],
        "email": ["a.devries@example.nl"],
        "phone": [""],
        "postcode": ["3311 ab"],
        "municipality": ["GM0505"],
        "found_via": ["huisarts"],
        "consent": ["ja"],
    }
    return values | {k: v if isinstance(v, list) else [v] for k, v in changes.items()}


# --- question form ---------------------------------------------------------------------------------


def test_a_valid_form_becomes_the_api_submission() -> None:
    submission, errors = QuestionForm.parse(valid()).validate(DEMO)
    assert errors == []
    assert submission is not None
    expected = {
        "municipality": "GM0505",
        "life_domains": ["wmo", "debts"],
        "description": "Ik zoek hulp bij mijn schulden.",
        "preferred_supporter_kind": "volunteer",
        "languages": ["ar"],
        "postcode": "3311",
        "channel": "web",
        "contact": {"name": "A. de Vries", "email": "a.devries@example.nl", "phone": None, "preferred_channel": None},
        "consent": {"share_with_supporter": True},
        "found_via": "huisarts",
        "meeting_preference": "phone",
    }
    dumped = submission.model_dump(mode="json")
    assert {k: dumped[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("3311", "3311"), ("3311AB", "3311"), (" 3311 ab ", "3311"), ("12AB", "12AB"), ("0311", "0311"), ("", "")],
)
def test_postcodes_keep_their_four_digits(typed: str, kept: str) -> None:
    assert normalise_postcode(typed) == kept


@pytest.mark.parametrize(
    ("changes", "field", "dutch"),
    [
        ({"life_domains": []}, "life_domains", "Kies minstens één onderwerp"),
        ({"life_domains": ["gezondheid"]}, "life_domains", "Kies minstens één onderwerp"),
        ({"description": "   "}, "description", "Beschrijf in een paar zinnen"),
        ({"description": "x" * 4001}, "description", "niet meer dan 4000 tekens"),
        ({"description": "Mijn BSN is 111222333"}, "description", "burgerservicenummer"),
        ({"name": ""}, "name", "Vul uw naam in"),
        ({"email": "jan@"}, "email", "Dit e-mailadres klopt niet"),
        ({"email": "", "phone": ""}, "email", "Vul uw e-mailadres of uw telefoonnummer in"),
        ({"phone": "bel mij"}, "phone", "Dit telefoonnummer klopt niet"),
        ({"postcode": "12AB"}, "postcode", "Vul een goede postcode in"),
        ({"municipality": ""}, "municipality", "Kies uw gemeente"),
        ({"municipality": "GM99"}, "municipality", "Kies uw gemeente"),
        ({"language": "xx"}, "language", "Kies een taal"),
        ({"preferred_supporter_kind": "robot"}, "preferred_supporter_kind", "Kies wie u het liefst"),
        ({"meeting_preference": "maan"}, "meeting_preference", "Kies waar of hoe"),
        ({"found_via": "tv"}, "found_via", "Kies een antwoord"),
        ({"needs": ["braille"]}, "needs", "Kies uit de lijst wat u nodig heeft"),
        ({"language_2": "klingon"}, "language", "Kies een taal"),
        ({"consent": []}, "consent", "Zet een vinkje"),
    ],
)
def test_each_wrong_field_gets_one_dutch_message(changes: dict[str, Any], field: str, dutch: str) -> None:
    submission, errors = QuestionForm.parse(valid(**changes)).validate(DEMO)
    assert submission is None
    assert [(e.field, dutch in e.message) for e in errors] == [(field, True)]


def test_errors_come_in_page_order_with_anchors_on_the_first_option() -> None:
    _, errors = QuestionForm.parse({}).validate(DEMO)
    fields = [e.field for e in errors]
    assert fields == sorted(fields, key=QuestionForm.ORDER.index)
    anchors = {e.field: e.anchor for e in errors}
    assert anchors["life_domains"] == "life_domains-wmo"
    assert anchors["email"] == "email"


def test_more_languages_needs_a_duo_and_choosing_together_reach_the_submission() -> None:
    values = valid(
        language_2="nl",
        language_3="ar",
        needs=["sign_language", "interpreter"],
        wants_duo="ja",
        choose_together="ja",
    )
    submission, errors = QuestionForm.parse(values).validate(DEMO)
    assert errors == [] and submission is not None
    assert submission.languages == ["ar", "nl"], "the first choice first, each language once"
    assert submission.needs == ["sign_language", "interpreter"]
    assert submission.wants_duo is True and submission.choose_together is True
    plain, _ = QuestionForm.parse(valid()).validate(DEMO)
    assert plain is not None
    assert (plain.needs, plain.wants_duo, plain.choose_together) == ([], None, False), "unticked: not asked"


def test_choices_cover_every_code() -> None:
    assert [c[0] for c in webforms.NEED_CHOICES] == list(NEEDS)
    assert [c[0] for c in webforms.LIFE_DOMAIN_CHOICES] == list(LIFE_DOMAINS)
    assert [c[0] for c in webforms.LANGUAGE_CHOICES] == list(LANGUAGES)
    assert all(c[1] != c[0] for c in webforms.LANGUAGE_CHOICES), "every language has a Dutch name"
    assert {c[0] for c in webforms.municipality_choices(DEMO)} == set(DEMO.municipality_names)


# --- signal form -----------------------------------------------------------------------------------


def test_a_valid_signal_form_becomes_the_api_body() -> None:
    form = SignalForm.parse(
        {
            "theme": ["reachability"],
            "life_domain": [""],
            "municipality": ["GM0642"],
            "level": ["local"],
            "raised_by": ["resident"],
            "text": ["Niemand nam de telefoon op."],
        }
    )
    body, errors = form.validate(DEMO)
    assert errors == []
    assert body is not None and body.life_domain is None and body.theme == "reachability"


def test_a_wrong_signal_form_gets_dutch_messages() -> None:
    body, errors = SignalForm.parse({"text": ["x" * 2001], "level": ["overal"]}).validate(DEMO)
    assert body is None
    messages = {e.field: e.message for e in errors}
    assert set(messages) == {"theme", "municipality", "level", "raised_by", "text"}
    assert "2000 tekens" in messages["text"]


def test_a_bsn_in_a_signal_is_refused_in_dutch() -> None:
    form = SignalForm.parse(
        {
            "theme": ["other"],
            "municipality": ["GM0505"],
            "level": ["local"],
            "raised_by": ["resident"],
            "text": ["Mijn buurman met BSN 111.222.333 wacht al lang."],
        }
    )
    body, errors = form.validate(DEMO)
    assert body is None
    assert [e.field for e in errors] == ["text"]
    assert "burgerservicenummer" in errors[0].message


def test_a_municipality_the_region_does_not_serve_is_refused_in_plain_dutch_naming_the_ones_it_does() -> None:
    submission, errors = QuestionForm.parse(valid(municipality=["GM0375"])).validate(DEMO)
    assert submission is None
    (error,) = errors
    assert error.field == "municipality"
    assert "Samenloket Drechtsteden helpt alleen inwoners van Alblasserdam," in error.message
    assert "en Zwijndrecht" in error.message and "eigen gemeente" in error.message
    assert "GM" not in error.message  # people read names, not codes
