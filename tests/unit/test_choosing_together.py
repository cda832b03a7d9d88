"""Choosing together, the pure parts: the coordinators' forms (a date and a time in Dutch time, the
resident's own view, a duo), the duo chosen by hand, and what the resident's own page says about the
appointment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.intake.mine import domain as mine
from services.kit.dutch import DUTCH_TIME
from services.matching.domain import Question, SupporterRecord, as_pair, pair_notes
from services.matching.overleg import forms

NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Amsterdam


def values(**fields: str) -> dict[str, list[str]]:
    return {name: [value] for name, value in fields.items()}


@pytest.mark.parametrize("typed", ["2027-03-16", "16-03-2027", "16/3/2027", "16.03.2027"])
def test_a_date_reads_as_a_date_field_sends_it_or_as_people_type_it(typed: str) -> None:
    moment, errors = forms.read_appointment(values(datum=typed, tijd="14:30"), NOW)
    assert errors == {}
    assert moment == datetime(2027, 3, 16, 14, 30, tzinfo=DUTCH_TIME)


@pytest.mark.parametrize(
    ("day", "time", "field", "dutch"),
    [
        ("", "10:00", "datum", "Vul de datum van de afspraak in, bijvoorbeeld 16-03-2027."),
        ("2027-02-30", "10:00", "datum", "Deze datum bestaat niet. Schrijf de datum zo: 16-03-2027."),
        ("morgen", "10:00", "datum", "Deze datum bestaat niet. Schrijf de datum zo: 16-03-2027."),
        ("2027-03-16", "", "tijd", "Vul de tijd van de afspraak in, bijvoorbeeld 10:00."),
        ("2027-03-16", "24:00", "tijd", "Deze tijd klopt niet. Schrijf de tijd zo: 10:00."),
        ("2027-03-12", "10:00", "datum", "Deze dag en tijd zijn al voorbij. Kies een moment dat nog moet komen."),
        ("2027-07-01", "10:00", "datum", "Plan de afspraak binnen drie maanden."),
    ],
)
def test_a_wrong_moment_gets_one_dutch_message_at_its_field(day: str, time: str, field: str, dutch: str) -> None:
    moment, errors = forms.read_appointment(values(datum=day, tijd=time), NOW)
    assert moment is None
    assert errors[field] == dutch


def test_the_start_of_the_call_still_counts_as_now() -> None:
    moment, errors = forms.read_appointment(values(datum="2027-03-15", tijd="09:50"), NOW)
    assert errors == {} and moment is not None


def test_the_residents_view_refuses_a_bsn_and_bounds_its_length() -> None:
    assert forms.read_view(values(inwoner_wens="Iemand die Turks spreekt."))[1] == {}
    assert forms.read_view(values(inwoner_wens="BSN 111222333 graag"))[1] == {
        "inwoner_wens": "Schrijf geen burgerservicenummer (BSN) in de notitie."
    }
    assert "minstens 5" in forms.read_view(values(inwoner_wens="ja"))[1]["inwoner_wens"]
    assert "hoogstens 600" in forms.read_view(values(inwoner_wens="x" * 601))[1]["inwoner_wens"]


def test_a_duo_form_names_every_missing_field() -> None:
    _, _, _, errors = forms.read_duo(values())
    assert set(errors) == {"duo_beroepskracht", "duo_partner", "duo_reden"}
    assert errors["duo_partner"] == "Kies een vrijwilliger of ervaringsdeskundige."


def supporter(sid: str, kind: str, domains: list[str]) -> SupporterRecord:
    return SupporterRecord(
        id=sid,
        name=sid,
        email=f"{sid}@example.nl",
        kind=kind,
        organisation="mee",
        municipalities=["GM0505"],
        life_domains=domains,
        languages=["nl"],
        capacity=2,
    )


def question(domains: list[str], wants_duo: bool | None = None) -> Question:
    return Question(
        question_id="q-1",
        municipality="GM0505",
        life_domains=tuple(domains),
        preferred_supporter_kind="any",
        languages=("nl",),
        wants_duo=wants_duo,
    )


def test_a_duo_is_one_professional_and_one_volunteer_or_experience_expert_in_either_order() -> None:
    pro = supporter("pro", "professional", ["wmo"])
    expert = supporter("exp", "experience_expert", ["youth"])
    volunteer = supporter("vol", "volunteer", ["youth"])
    assert as_pair(expert, pro) == (pro, expert)
    assert as_pair(pro, volunteer) == (pro, volunteer)
    assert as_pair(pro, supporter("pro2", "professional", ["youth"])) is None
    assert as_pair(expert, volunteer) is None
    assert as_pair(pro, pro) is None


def test_what_a_duo_by_hand_misses_is_noted_not_refused() -> None:
    pro, partner = supporter("pro", "professional", ["wmo"]), supporter("vol", "volunteer", ["youth"])
    assert pair_notes(question(["wmo", "youth"]), pro, partner) == []
    notes = pair_notes(question(["wmo", "youth", "debts"], wants_duo=False), pro, partner)
    assert [n.code for n in notes] == ["duo_domains_not_covered", "duo_not_wanted"]
    assert notes[0].text == "Samen helpen ze niet bij: Geldzorgen en schulden."


def facts(appointment: mine.Appointment | None) -> mine.Facts:
    return mine.Facts(
        status="consultation",
        received_at=NOW - timedelta(days=1),
        changed_at=NOW - timedelta(days=1),
        choose_together=True,
        appointment=appointment,
        now=NOW,
    )


def test_the_residents_page_names_the_appointment_with_its_day_and_time() -> None:
    planned = datetime(2027, 3, 16, 9, 30, tzinfo=UTC)  # Tuesday 10:30 in Amsterdam
    text = mine.status_text(facts(mine.Appointment(planned)))
    assert text.title == "U heeft een afspraak om samen te kiezen"
    assert text.explanation.startswith(
        "U heeft een afspraak op dinsdag 16 maart 2027, 10:30 uur om samen te kiezen wie u gaat helpen."
    )
    assert "nieuwe afspraak" in text.next_step


def test_after_the_appointment_the_page_says_what_comes_next() -> None:
    past = datetime(2027, 3, 12, 9, 30, tzinfo=UTC)
    assert mine.status_text(facts(mine.Appointment(past))).title == "Uw afspraak om samen te kiezen is geweest"
    held = mine.status_text(facts(mine.Appointment(past, held_at=past + timedelta(hours=1))))
    assert held.title == "U heeft met ons gesproken"
    assert "12 maart 2027" in held.explanation


def test_without_an_appointment_the_page_promises_the_call() -> None:
    text = mine.status_text(facts(None))
    assert text.title == "Wij maken een afspraak om samen te kiezen"
