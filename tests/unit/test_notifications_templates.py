"""The notification templates render Dutch text (B1) with the right facts, and HTML is escaped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.events import SupporterAssigned
from services.notifications.domain import (
    QuestionFacts,
    ResidentContact,
    SupporterContact,
    resident_assigned_context,
    supporter_new_case_context,
)
from services.notifications.examples import example_context
from services.notifications.rendering import TEMPLATES, render

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
ASSIGNMENT = SupporterAssigned(
    question_id="q-123",
    assignment_id="a-1",
    supporter_id="s-1",
    organisation="org-mee",
    supporter_kind="volunteer",
    municipality="GM0505",
    score=0.9,
    received_at=NOW,
    assigned_at=NOW,
)
SUPPORTER = SupporterContact("s-1", "Fatima el Amrani", "fatima@example.nl", "MEE Plus & Partners")
RESIDENT = ResidentContact("q-123", "r-1", "Anna de Vries", "anna@example.nl", None, True)
FACTS = QuestionFacts("q-123", "GM0505", ("debts", "youth"))


def test_supporter_new_case_names_the_case_in_dutch_words() -> None:
    context = supporter_new_case_context(ASSIGNMENT, SUPPORTER, FACTS, "http://matching.test/")
    subject, text, html = render("supporter_new_case", context)

    assert subject == "Nieuwe vraag voor u in Dordrecht"
    for part in (text, html):
        assert "Fatima el Amrani" in part
        assert "q-123" in part
        assert "Dordrecht" in part
        assert "Geldzorgen en schulden" in part
        assert "Opvoeden en jeugdhulp" in part
        assert "http://matching.test/mijn-vragen/q-123" in part
        assert "3 werkdagen" in part
    assert "debts" not in text
    assert "<li>Geldzorgen en schulden</li>" in html
    assert '<html lang="nl">' in html


def test_supporter_new_case_without_known_life_domains_points_to_the_question() -> None:
    context = supporter_new_case_context(ASSIGNMENT, SUPPORTER, None, "http://intake.test")
    _, text, html = render("supporter_new_case", context)

    assert "leest u bij de vraag zelf" in text
    assert "<ul>" not in html


def test_resident_assigned_tells_who_and_that_support_is_free_and_independent() -> None:
    subject, text, html = render("resident_assigned", resident_assigned_context(ASSIGNMENT, SUPPORTER, RESIDENT))

    assert subject == "Wij hebben een cliëntondersteuner voor u gevonden"
    assert "Beste Anna de Vries," in text
    assert "Uw cliëntondersteuner is Fatima el Amrani (vrijwilliger) van MEE Plus & Partners." in text
    assert "neemt binnen 3 werkdagen contact met u op" in text
    assert "gratis" in text and "onafhankelijk" in text
    assert "<strong>gratis</strong>" in html and "<strong>onafhankelijk</strong>" in html
    assert "Fatima el Amrani" in html


def test_html_is_autoescaped_and_text_is_not() -> None:
    supporter = SupporterContact("s-1", "<script>alert(1)</script>", "x@example.nl", "A & B")
    _, text, html = render("resident_assigned", resident_assigned_context(ASSIGNMENT, supporter, RESIDENT))

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "A &amp; B" in html
    assert "<script>alert(1)</script>" in text and "A & B" in text


def test_subject_is_a_single_line() -> None:
    for template in TEMPLATES:
        subject, _, _ = render(template, example_context(template))
        assert subject and "\n" not in subject


def test_unknown_template_and_missing_values_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown template"):
        render("nope", {})
    with pytest.raises(Exception, match="undefined"):
        render("resident_assigned", {"resident_name": "A"})
