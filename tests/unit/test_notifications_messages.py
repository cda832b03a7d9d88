"""Who hears what: the waiting list, joint consultation, duos, accept/decline, the signal digest and previews."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from contracts.events import CandidateVerdict, ConsultationRequired, QuestionWaiting, Reason, SupporterAssigned
from services.notifications.domain import (
    Loket,
    ResidentContact,
    SupporterContact,
    plan_consultation_required,
    plan_question_waiting,
    plan_supporter_assigned,
    resident_assigned_context,
    with_loket,
)
from services.notifications.examples import EXAMPLES, example_context
from services.notifications.rendering import TEMPLATES, render
from services.notifications.signal_digest import SignalFact, digest_context, next_digest_time

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
RESIDENT = ResidentContact("q-1", "r-1", "Anna de Vries", "anna@example.nl", None, True)
NO_CONSENT = ResidentContact("q-1", "r-1", "Anna de Vries", "anna@example.nl", None, False)
SUPPORTER = SupporterContact("s-1", "Fatima el Amrani", "fatima@example.nl", "org-mee", "MEE Plus")
PARTNER = SupporterContact("s-2", "Kees Jansen", "kees@example.nl", "humanitas-drechtsteden", "Humanitas")
LOKET = Loket("Samenloket Drechtsteden", "078 000 00 00", "loket@samenloket.example.nl")
WAITING = QuestionWaiting(question_id="q-1", municipality="GM0505", eligible_supporters=2, since=NOW)
CONSULTATION = ConsultationRequired(
    question_id="q-1",
    municipality="GM0505",
    reason=Reason(code="no_language", text="Niemand spreekt de taal van de inwoner."),
    candidates=[
        CandidateVerdict(
            supporter_id="s-9", organisation="org-x", failed_rules=[Reason(code="l", text="Geen Tigrinya.")]
        )
    ],
    required_at=NOW,
)


def assignment(partner: str | None = None) -> SupporterAssigned:
    return SupporterAssigned(
        question_id="q-1",
        assignment_id="a-1",
        supporter_id="s-1",
        organisation="org-mee",
        supporter_kind="professional",
        municipality="GM0505",
        score=0.9,
        received_at=NOW,
        assigned_at=NOW,
        partner_supporter_id=partner,
    )


# --- every template renders its example ------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_its_example_in_dutch(template: str) -> None:
    subject, text, html = render(template, example_context(template))

    assert subject and "\n" not in subject
    assert "Met vriendelijke groet" in text and "Met vriendelijke groet" in html
    assert '<html lang="nl">' in html
    assert "{{" not in text and "{{" not in html


def test_every_template_has_an_example() -> None:
    assert set(EXAMPLES) == set(TEMPLATES)


@pytest.mark.parametrize("template", [t for t in TEMPLATES if t.startswith("resident_")])
def test_resident_mails_say_it_is_free_and_carry_the_opt_out_link(template: str) -> None:
    _, text, html = render(template, example_context(template))

    assert "gratis" in text and "onafhankelijk" in text
    assert "https://samenloket.example.nl/api/v1/opt-out?token=voorbeeld" in text
    assert 'href="https://samenloket.example.nl/api/v1/opt-out?token=voorbeeld"' in html


# --- resident: waiting list and consultation -------------------------------------------------------


def test_waiting_list_mail_explains_what_it_means() -> None:
    [planned] = plan_question_waiting(WAITING, RESIDENT)
    subject, text, html = render(planned.template, with_loket(planned.context, LOKET))

    assert (planned.role, planned.channel, planned.address) == ("resident", "email", "anna@example.nl")
    assert subject == "U staat op de wachtlijst voor cliëntondersteuning"
    assert "Zodra iemand tijd heeft, nemen wij contact met u op." in text
    assert "q-1" in text and "Met vriendelijke groet,\nSamenloket Drechtsteden" in text
    assert "Neem dan contact op met Samenloket Drechtsteden: bel 078 000 00 00 of mail naar" in text
    assert "<strong>wachtlijst</strong>" in html
    assert 'href="tel:0780000000"' in html and 'href="mailto:loket@samenloket.example.nl"' in html


def test_waiting_list_needs_address_and_consent() -> None:
    assert plan_question_waiting(WAITING, None) == []
    assert plan_question_waiting(WAITING, NO_CONSENT) == []


def test_consultation_tells_resident_a_team_looks_and_when_they_hear() -> None:
    planned = plan_consultation_required(CONSULTATION, RESIDENT, None, "http://matching.test")
    [resident] = planned
    subject, text, _ = render(resident.template, resident.context)

    assert resident.template == "resident_consultation"
    assert subject == "Een team kijkt samen naar uw vraag"
    assert "Binnen 5 werkdagen hoort u wat het team heeft besloten." in text


def test_consultation_tells_the_coordinator_the_reason_and_who_fell_off() -> None:
    names = {"s-9": SupporterContact("s-9", "Bram Visser", "bram@example.nl", "org-x", "MEE Plus")}
    planned = plan_consultation_required(CONSULTATION, None, "coord@example.nl", "http://matching.test", names=names)
    [coordinator] = planned
    subject, text, html = render(coordinator.template, coordinator.context)

    assert (coordinator.role, coordinator.address) == ("coordinator", "coord@example.nl")
    assert subject == "Gezamenlijk overleg nodig: vraag Q-1 (Dordrecht)"
    assert "Reden: Niemand spreekt de taal van de inwoner." in text
    assert "- Bram Visser (MEE Plus): Geen Tigrinya." in text
    assert "s-9" not in text and "org-x" not in text
    assert 'href="http://matching.test/overleg#vraag-q-1"' in html
    assert "/api/v1/questions" not in text + html


def test_the_coordinators_mail_names_the_question_by_the_residents_reference() -> None:
    resident = ResidentContact("q-1", "r-1", "Anna de Vries", "anna@example.nl", None, True, reference="K7QM3XPA")
    planned = plan_consultation_required(CONSULTATION, resident, "coord@example.nl", "http://matching.test")
    coordinator = next(p for p in planned if p.role == "coordinator")
    subject, text, _ = render(coordinator.template, coordinator.context)
    assert subject == "Gezamenlijk overleg nodig: vraag K7QM-3XPA (Dordrecht)"
    assert "K7QM-3XPA" in text


def test_a_candidate_matching_does_not_know_is_still_listed() -> None:
    [coordinator] = plan_consultation_required(CONSULTATION, None, "coord@example.nl", "http://matching.test")
    _, text, _ = render(coordinator.template, coordinator.context)
    assert "- Een ondersteuner (naam nu niet bekend) (Org X): Geen Tigrinya." in text
    assert "s-9" not in text and "org-x" not in text  # people read names, never ids


def test_no_coordinator_address_means_no_coordinator_mail() -> None:
    roles = [p.role for p in plan_consultation_required(CONSULTATION, RESIDENT, None, "http://i")]
    assert roles == ["resident"]


# --- supporter and duo -----------------------------------------------------------------------------


def test_supporter_mail_says_what_to_do_and_links_to_the_case_page() -> None:
    [supporter, _] = plan_supporter_assigned(assignment(), SUPPORTER, RESIDENT, None, "http://matching.test")
    subject, text, html = render(supporter.template, with_loket(supporter.context, LOKET))

    assert subject == "Nieuwe vraag in Dordrecht: contact binnen 3 werkdagen"
    assert "Wat moet u doen?" in text and "Wat moet u doen?</h2>" in html
    assert "1. Open de vraag" in text
    assert "2. Neem de vraag aan, of wijs hem af. Dat doet u op dezelfde pagina." in text
    assert "3. Neem binnen 3 werkdagen contact op met de inwoner." in text
    assert "http://matching.test/mijn-vragen/q-1" in text and 'href="http://matching.test/mijn-vragen/q-1"' in html
    assert "/api/v1/questions" not in text + html
    assert "coördinator" not in text  # acting needs nobody in between
    # The resident's name and address are on the page behind sign-in, never in the mail.
    assert "Anna" not in text + html and "anna@example.nl" not in text + html
    assert "U kunt er niet op antwoorden" not in text + html
    assert "Neem contact op met Samenloket Drechtsteden: bel 078 000 00 00" in text


def test_duo_mail_says_there_are_two_supporters_and_names_the_other() -> None:
    planned = plan_supporter_assigned(assignment("s-2"), SUPPORTER, RESIDENT, None, "http://i", PARTNER)
    resident = next(p for p in planned if p.role == "resident")
    _, text, html = render(resident.template, resident.context)

    assert "U krijgt twee cliëntondersteuners." in text
    assert "De tweede cliëntondersteuner is Kees Jansen van Humanitas." in text
    assert "<strong>twee cliëntondersteuners</strong>" in html


def test_duo_without_known_partner_still_says_two() -> None:
    _, text, _ = render("resident_assigned", resident_assigned_context(assignment("s-2"), SUPPORTER, RESIDENT))
    assert "U krijgt twee cliëntondersteuners." in text
    assert "De tweede cliëntondersteuner is" not in text


def test_single_supporter_mail_says_nothing_about_two() -> None:
    _, text, _ = render("resident_assigned", resident_assigned_context(assignment(), SUPPORTER, RESIDENT))
    assert "twee" not in text


# --- the digest ------------------------------------------------------------------------------------


def test_digest_groups_signals_by_theme_without_text() -> None:
    signals = [
        SignalFact("sig-b", "reachability", "GM0505", "local", NOW),
        SignalFact("sig-a", "waiting_times", "GM0505", "regional", NOW + timedelta(hours=1)),
        SignalFact("sig-c", "waiting_times", "GM0505", "local", NOW),
    ]
    context = digest_context(signals, date(2025, 3, 3))
    subject, text, html = render("signal_digest", context)

    assert [t["name"] for t in context["themes"]] == ["Wachttijden", "Bereikbaarheid"]
    assert [s["signal_id"] for s in context["themes"][0]["signals"]] == ["sig-c", "sig-a"]
    assert subject == "Signalen van 03-03-2025: 3 nieuw"
    assert "Wachttijden (2)" in text and "Bereikbaarheid (1)" in text
    assert "- 03-03-2025 10:00, Dordrecht, lokaal (signaal sig-c)" in text  # local time (CET)
    assert "Wachttijden (2)</h2>" in html


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2025, 3, 3, 6, 59, tzinfo=UTC), datetime(2025, 3, 3, 8, 0, tzinfo=AMS)),  # 07:59 CET
        (datetime(2025, 3, 3, 7, 0, tzinfo=UTC), datetime(2025, 3, 4, 8, 0, tzinfo=AMS)),  # exactly 08:00
        (datetime(2025, 7, 1, 5, 30, tzinfo=UTC), datetime(2025, 7, 1, 8, 0, tzinfo=AMS)),  # 07:30 CEST
        (datetime(2025, 3, 29, 22, 0, tzinfo=UTC), datetime(2025, 3, 30, 8, 0, tzinfo=AMS)),  # over the DST switch
    ],
)
def test_next_digest_time_is_the_next_0800_in_amsterdam(now: datetime, expected: datetime) -> None:
    result = next_digest_time(now)
    assert result == expected
    assert result.astimezone(AMS).hour == 8
    assert result > now
