"""Late first contact (pure): who hears of a FirstContactOverdue, and what the two mails say (Dutch, B1)."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.events import FirstContactOverdue
from services.kit.settings import Settings
from services.notifications.domain import Loket, QuestionFacts, SupporterContact, with_loket
from services.notifications.first_contact import (
    ESCALATION_TEMPLATE,
    REMINDER_TEMPLATE,
    OrganisationContact,
    pages_base,
    plan_first_contact_overdue,
)
from services.notifications.rendering import render

REMINDER = FirstContactOverdue(
    question_id="3f2a9c1b-0000-4000-8000-000000000001",
    assignment_id="a-1",
    supporter_id="s-1",
    organisation="mee",
    municipality="GM0642",
    stage="reminder",
    assigned_at=datetime(2026, 4, 2, 8, 0, tzinfo=UTC),
    working_days=2,
    noticed_at=datetime(2026, 4, 8, 8, 0, tzinfo=UTC),
)
ESCALATION = REMINDER.model_copy(update={"stage": "escalation", "working_days": 3})
SUPPORTER = SupporterContact("s-1", "Fatima el Amrani", "fatima@mee.example", "mee")
ORGANISATION = OrganisationContact("mee", "MEE Plus", "coordinatie@mee.example")
FACTS = QuestionFacts(REMINDER.question_id, "GM0642", ("debts", "housing"))
BASE = "https://matching.example.nl"


def plan(event: FirstContactOverdue, **changes: object) -> list:  # type: ignore[type-arg]
    args: dict[str, object] = {
        "supporter": SUPPORTER,
        "organisation": ORGANISATION,
        "facts": FACTS,
        "base": BASE,
        "loket_name": "Samenloket Drechtsteden",
        "fallback_coordinator": "overleg@loket.example",
    }
    args.update(changes)
    return plan_first_contact_overdue(event, **args)  # type: ignore[arg-type]


def test_the_reminder_goes_to_the_supporter_with_the_link_to_their_page_of_the_question() -> None:
    [delivery] = plan(REMINDER)
    assert (delivery.role, delivery.channel, delivery.template, delivery.address) == (
        "supporter",
        "email",
        REMINDER_TEMPLATE,
        "fatima@mee.example",
    )
    subject, text, html = render(delivery.template, with_loket(delivery.context, Loket("Samenloket Drechtsteden")))
    assert subject == "Herinnering: neem contact op met de inwoner uit Zwijndrecht"
    for part in (text, html):
        assert "Beste Fatima el Amrani," in part
        assert "Op 2 april 2026 kreeg u een vraag van een inwoner uit Zwijndrecht" in part
        assert "2 werkdagen" in part and "binnen 3 werkdagen" in part
        assert "Geldzorgen en schulden, Wonen" in part
        assert "3F2A9C1B" in part
        assert f"{BASE}/mijn-vragen/{REMINDER.question_id}" in part
        assert "Eerste contact gehad" in part
        assert "Samenloket Drechtsteden" in part
    assert "debts" not in text


def test_a_supporter_without_an_address_gets_no_reminder() -> None:
    assert plan(REMINDER, supporter=SupporterContact("s-1", "Fatima", None, "mee")) == []
    assert plan(REMINDER, supporter=None) == []


def test_the_escalation_goes_to_the_coordinator_of_the_supporters_organisation() -> None:
    [delivery] = plan(ESCALATION)
    assert (delivery.role, delivery.template, delivery.address) == (
        "coordinator",
        ESCALATION_TEMPLATE,
        "coordinatie@mee.example",
    )
    subject, text, html = render(delivery.template, delivery.context)
    assert subject == "Te laat: nog geen eerste contact bij vraag 3F2A9C1B uit Zwijndrecht"
    for part in (text, html):
        assert "Beste coördinator van MEE Plus," in part
        assert "Fatima el Amrani van uw organisatie kreeg op 2 april 2026 een vraag" in part
        assert "3 werkdagen" in part
        assert f"{BASE}/overleg#te-laat" in part


def test_without_an_organisation_address_the_general_coordinator_address_is_used() -> None:
    no_address = OrganisationContact("mee", "MEE Plus", None)
    [delivery] = plan(ESCALATION, organisation=no_address)
    assert delivery.address == "overleg@loket.example"
    [unknown] = plan(ESCALATION, organisation=None, supporter=None)
    assert unknown.address == "overleg@loket.example"
    _, text, _ = render(unknown.template, unknown.context)
    assert "Beste coördinator van Mee," in text and "een cliëntondersteuner (naam nu niet bekend) van uw" in text
    assert "s-1" not in text  # people read names, never ids
    assert plan(ESCALATION, organisation=no_address, fallback_coordinator=None) == []


def test_links_use_matchings_public_address_when_it_has_one() -> None:
    assert pages_base(Settings(matching_url="http://127.0.0.1:8002/")) == "http://127.0.0.1:8002"
    public = Settings(matching_url="http://matching:8002", matching_public_url="https://hulp.example.nl/")
    assert pages_base(public) == "https://hulp.example.nl"


def test_html_of_the_escalation_is_escaped() -> None:
    sneaky = OrganisationContact("mee", "<b>MEE</b> & co", "c@mee.example")
    [delivery] = plan(ESCALATION, organisation=sneaky)
    _, text, html = render(delivery.template, delivery.context)
    assert "&lt;b&gt;MEE&lt;/b&gt; &amp; co" in html and "<b>MEE</b> & co" in text


def test_an_organisation_without_an_address_in_matching_is_escalated_to_its_coordinator_in_the_region_file() -> None:
    listed = ESCALATION.model_copy(update={"organisation": "humanitas-drechtsteden"})
    [delivery] = plan(listed, organisation=OrganisationContact("humanitas-drechtsteden", "Humanitas", None))
    assert delivery.address == "coordinator@humanitas.example"  # regions/drechtsteden.toml
    [unknown] = plan(listed, organisation=None, supporter=None)
    assert unknown.address == "coordinator@humanitas.example"
    _, text, _ = render(unknown.template, unknown.context)
    assert "Beste coördinator van Humanitas Drechtsteden," in text
