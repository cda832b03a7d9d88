"""Polls' results and the panel's rules (issue 16): pure."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from services.intake.advice.domain import is_late, response_due
from services.intake.panel.domain import PanelChoice, matches, shown_size
from services.intake.polls.domain import parse_answer, results
from services.kit.links import link_matches, link_token

QUESTIONS = [{"text": "Kon u het loket bereiken?", "choices": ["Ja", "Nee"]}]


def counts(answers: list[list[int]], threshold: int = 3) -> list[object]:
    [question] = results(QUESTIONS, answers, threshold).questions
    choices = question["choices"]
    assert isinstance(choices, list)
    return [c["count"] for c in choices]


def test_poll_results_show_only_from_the_threshold_and_hide_a_small_choice_with_its_neighbours() -> None:
    assert results(QUESTIONS, [[0], [0]], 3).answers == "minder dan 3"
    assert counts([[0], [0]]) == ["verborgen", "verborgen"]
    assert counts([[0], [0], [0]]) == ["3", "0"]
    assert counts([[0], [0], [0], [1]]) == ["×", "minder dan 3"]  # 1 of 4: not to be worked out from the total


def test_a_poll_answer_needs_one_choice_per_question() -> None:
    assert parse_answer(QUESTIONS, ["1"]) == [1]
    assert parse_answer(QUESTIONS, [""]) is None and parse_answer(QUESTIONS, ["2"]) is None


def test_joining_the_panel_needs_explicit_consent_and_a_theme() -> None:
    assert PanelChoice(life_domains=["wmo", "wmo"], consent=True).life_domains == ["wmo"]
    for wrong in ({"life_domains": [], "consent": True}, {"life_domains": ["wmo"], "consent": False}):
        with pytest.raises(ValidationError):
            PanelChoice.model_validate(wrong)
    assert matches(["wmo", "debts"], ["debts"]) and matches(["wmo"], []) and not matches(["wmo"], ["youth"])
    assert shown_size(2, 10) == "minder dan 10" and shown_size(12, 10) == "12"


def test_personal_poll_links_need_the_shared_token() -> None:
    token = link_token("secret", "poll-invitation", "i-1")
    assert link_matches("secret", "poll-invitation", "i-1", token)
    assert not link_matches("other", "poll-invitation", "i-1", token)
    assert not link_matches("secret", "poll-invitation", "i-2", token)
    assert not link_matches("", "poll-invitation", "i-1", token)


def test_an_advice_response_is_due_after_six_weeks_of_working_days() -> None:
    due = response_due(date(2026, 3, 2), 6)  # a Monday: 30 working days, Good Friday and Easter Monday off
    assert due == date(2026, 4, 15)
    assert is_late(due, None, date(2026, 4, 16)) and not is_late(due, date(2026, 4, 16), date(2026, 4, 20))
