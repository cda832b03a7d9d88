"""Pure rules of residents' experiences: links, support and closing, the answers, the event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contracts.bsn import BSN_MESSAGE
from contracts.events import ExperienceStatements
from services.intake.experiences import domain
from services.intake.experiences.domain import (
    ALREADY_SHARED,
    ERASED,
    NOT_ENDED,
    ExperienceAnswers,
    Invitation,
    QuestionFacts,
    Support,
)
from services.intake.experiences.form import ExperienceForm
from services.intake.webforms import QuestionForm
from services.kit.region import region_of

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def support(
    assignment: str,
    *,
    assigned: int | None = 0,
    ended: int | None = None,
    declined: int | None = None,
    kind: str = "professional",
    organisation: str = "mee-plus",
) -> Support:
    def at(days: int | None) -> datetime | None:
        return None if days is None else T0 + timedelta(days=days)

    return Support(assignment, organisation, kind, at(assigned), None, at(declined), at(ended))  # type: ignore[arg-type]


# --- the personal link -------------------------------------------------------------------------------


def test_a_token_is_32_random_bytes_urlsafe_and_only_its_digest_is_kept() -> None:
    token, other = domain.new_token(), domain.new_token()
    assert token != other
    assert len(token) == 43 and domain.looks_like_token(token)
    digest = domain.token_digest(token)
    assert len(digest) == 64 and token not in digest
    assert digest == domain.token_digest(token) != domain.token_digest(other)


@pytest.mark.parametrize("value", ["", "bedankt", "a" * 42, "a" * 44, "a" * 42 + "/", "a" * 42 + "="])
def test_anything_not_shaped_like_a_token_is_not_looked_up(value: str) -> None:
    assert not domain.looks_like_token(value)


def test_a_link_works_60_days_and_once() -> None:
    issued = Invitation(T0, domain.expiry(T0))
    assert issued.expires_at == T0 + timedelta(days=60)
    assert domain.link_state(issued, T0) == "open"
    assert domain.link_state(issued, T0 + timedelta(days=59, hours=23)) == "open"
    assert domain.link_state(issued, T0 + timedelta(days=60)) == "expired"
    used = Invitation(T0, domain.expiry(T0), used_at=T0 + timedelta(days=1))
    assert domain.link_state(used, T0 + timedelta(days=2)) == "used"
    assert domain.link_state(used, T0 + timedelta(days=90)) == "used"  # used says more than expired


def test_the_link_points_at_the_experience_form_of_this_intake() -> None:
    assert domain.invitation_url("https://loket.example.nl/", "abc") == "https://loket.example.nl/ervaring/abc"


# --- support and closing ---------------------------------------------------------------------------------


def test_a_single_support_closes_the_question_when_it_ends() -> None:
    assert not domain.last_support_ended([support("a")])
    assert domain.last_support_ended([support("a", ended=30)])


def test_a_duo_closes_only_when_both_ended() -> None:
    lead, partner = support("lead", ended=30), support("partner", assigned=0, kind="volunteer")
    assert not domain.last_support_ended([lead, partner])
    assert domain.support_has_ended([lead, partner])  # but the resident may be invited already
    assert domain.last_support_ended([lead, support("partner", ended=40, kind="volunteer")])


def test_a_declined_support_neither_keeps_a_question_open_nor_closes_it() -> None:
    assert not domain.last_support_ended([support("a", declined=1)])
    assert domain.last_support_ended([support("a", declined=1), support("b", assigned=2, ended=20)])
    assert not domain.support_has_ended([support("a", declined=1)])


def test_the_experience_is_about_the_first_assigned_support_that_ended() -> None:
    lead = support("lead", assigned=0, ended=50, organisation="mee-plus")
    partner = support("partner", assigned=0, ended=20, kind="volunteer", organisation="ouderplatform")
    partner = Support(**{**vars(partner), "assigned_at": T0 + timedelta(minutes=1)})
    assert domain.support_of_experience([partner, lead]) == lead
    assert domain.support_of_experience([support("lead", ended=None), partner]) == partner
    assert domain.support_of_experience([support("a")]) is None
    unseen = support("x", assigned=None, ended=5)  # SupportEnded came without its SupporterAssigned
    assert domain.support_of_experience([unseen]) == unseen


def test_who_may_be_invited() -> None:
    ended, ongoing = [support("a", ended=10)], [support("a")]
    assert domain.invitation_refusal(erased=False, already_shared=False, supports=ended) is None
    assert domain.invitation_refusal(erased=False, already_shared=False, supports=ongoing) == NOT_ENDED
    assert domain.invitation_refusal(erased=False, already_shared=False, supports=[]) == NOT_ENDED
    assert domain.invitation_refusal(erased=False, already_shared=True, supports=ended) == ALREADY_SHARED
    assert domain.invitation_refusal(erased=True, already_shared=True, supports=ended) == ERASED
    assert {r.code for r in (NOT_ENDED, ALREADY_SHARED, ERASED)} == {
        "support_not_ended",
        "already_shared",
        "resident_erased",
    }


# --- the answers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("agree", "agree"), (" Neutral ", "neutral"), ("DISAGREE", "disagree"), ("", None), ("skip", None)],
)
def test_statement_answers(value: str, expected: str | None) -> None:
    assert domain.parse_agreement(value) == expected


@pytest.mark.parametrize("value", ["eens", "yes", "1", "agree!"])
def test_a_statement_answer_the_form_never_sends_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="not one of"):
        domain.parse_agreement(value)


def test_a_filled_in_form_gives_the_answers() -> None:
    form = ExperienceForm.parse(
        {
            "knew_where_to_go": ["agree"],
            "helped_quickly": ["disagree"],
            "supporter_on_my_side": ["skip"],
            "score": ["8"],
            "text": ["  Het ging goed, maar het duurde lang.  "],
            "csrf_token": ["x"],
        }
    )
    answers, errors = form.validate()
    assert errors == []
    assert answers == ExperienceAnswers(
        statements=ExperienceStatements(knew_where_to_go="agree", helped_quickly="disagree"),
        score=8,
        text="Het ging goed, maar het duurde lang.",
    )


def test_only_the_score_is_required_and_an_empty_text_is_no_text() -> None:
    answers, errors = ExperienceForm.parse({"score": ["1"], "text": ["   "]}).validate()
    assert errors == [] and answers is not None
    assert (answers.score, answers.text, answers.statements) == (1, None, ExperienceStatements())


@pytest.mark.parametrize("score", ["", "0", "11", "zeven", "7.5", "-3"])
def test_a_missing_or_wrong_score_is_asked_for_in_dutch(score: str) -> None:
    answers, errors = ExperienceForm.parse({"score": [score]}).validate()
    assert answers is None
    assert [(e.field, e.anchor) for e in errors] == [("score", "score-1")]
    assert errors[0].message == "Kies een rapportcijfer van 1 tot en met 10."


def test_errors_come_in_page_order_in_dutch() -> None:
    form = ExperienceForm.parse({"helped_quickly": ["misschien"], "score": ["4"], "text": ["x" * 2001]})
    answers, errors = form.validate()
    assert answers is None
    assert [e.field for e in errors] == ["helped_quickly", "text"]
    assert errors[0].message.startswith("Kies Eens, Neutraal of Oneens")
    assert errors[1].message == "Uw tekst is te lang. Gebruik niet meer dan 2000 tekens."


def test_a_bsn_in_the_text_is_refused_with_the_dutch_message() -> None:
    answers, errors = ExperienceForm.parse({"score": ["6"], "text": ["Mijn BSN is 111222333."]}).validate()
    assert answers is None and [(e.field, e.message) for e in errors] == [("text", BSN_MESSAGE)]


# --- the event ---------------------------------------------------------------------------------------------


def test_the_event_carries_codes_and_scores_but_no_text_and_no_question() -> None:
    experience_id = uuid.uuid4()
    answers = ExperienceAnswers(
        statements=ExperienceStatements(supporter_on_my_side="agree"), score=9, text="Mevrouw Jansen was top"
    )
    facts = QuestionFacts("GM0505", ["wmo", "youth"], "27_44")
    event = domain.shared_event(experience_id, facts, support("a", ended=3, kind="volunteer"), answers, T0)
    assert event.experience_id == str(experience_id)
    assert (event.municipality, event.life_domains, event.age_band) == ("GM0505", ["wmo", "youth"], "27_44")
    assert (event.organisation, event.supporter_kind, event.score, event.has_text) == ("mee-plus", "volunteer", 9, True)
    body = event.model_dump_json()
    assert "Jansen" not in body and "question" not in body and "resident" not in body

    bare = domain.shared_event(experience_id, facts, None, answers.model_copy(update={"text": None}), T0)
    assert (bare.organisation, bare.supporter_kind, bare.has_text) == (None, None, False)


# --- the age band on the question form -------------------------------------------------------------------


def question_values(**changes: list[str]) -> dict[str, list[str]]:
    values = {
        "life_domains": ["wmo"],
        "description": ["Hulp bij de aanvraag."],
        "name": ["Els"],
        "email": ["els@example.nl"],
        "postcode": ["3311"],
        "municipality": ["GM0505"],
        "consent": ["ja"],
    }
    return values | changes


def test_the_question_form_sends_the_age_band_when_given_and_none_otherwise() -> None:
    submission, errors = QuestionForm.parse(question_values(age_band=["65_74"])).validate(region_of())
    assert errors == [] and submission is not None and submission.age_band == "65_74"
    submission, errors = QuestionForm.parse(question_values(age_band=[""])).validate(region_of())
    assert errors == [] and submission is not None and submission.age_band is None


def test_an_unknown_age_band_is_explained_in_dutch() -> None:
    submission, errors = QuestionForm.parse(question_values(age_band=["40"])).validate(region_of())
    assert submission is None
    assert [(e.field, e.message) for e in errors] == [
        ("age_band", "Kies uw leeftijd uit de lijst, of kies 'Zeg ik liever niet'.")
    ]
