"""The rules of the supporters' pages without I/O: sign-in links, where a link may lead, the step forms,
what a case shows, and the sign-in mail's link check."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.matching.handlers.first_contact import day_problem
from services.matching.store.workspace import CaseRow
from services.matching.workspace import forms, views
from services.matching.workspace.clients import CaseData, ResidentContact, Unavailable
from services.matching.workspace.signin import (
    TOKEN,
    address_key,
    audit_key,
    client_hash,
    email_problem,
    link_url,
    new_token,
    safe_return,
    token_hash,
)
from services.notifications.sign_in_mail import link_allowed, sign_in_context

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def case(**changes: object) -> CaseRow:
    fields: dict[str, object] = {
        "assignment_id": "a-1",
        "question_id": "3f0c9a4e-1111-2222-3333-444455556666",
        "supporter_id": "s-1",
        "organisation": "mee",
        "status": "assigned",
        "role": "lead",
        "partner_id": None,
        "assigned_at": NOW,
        "accepted_at": None,
        "closed_at": None,
        "close_reason": None,
        "first_contact_on": None,
        "first_contact_method": None,
        "first_contact_recorded_at": None,
        "municipality": "GM0505",
        "question": {
            "municipality": "GM0505",
            "life_domains": ["wmo", "debts"],
            "languages": ["nl", "ar"],
            "needs": ["interpreter", "lvb"],
            "meeting_preference": "home",
            "preferred_supporter_kind": "volunteer",
            "postcode": "3311",
        },
        "declined_by": None,
    }
    fields.update(changes)
    return CaseRow(**fields)  # type: ignore[arg-type]


def test_a_link_token_is_random_and_only_its_hash_is_kept() -> None:
    one, two = new_token(), new_token()
    assert one != two and TOKEN.match(one) and TOKEN.match(two)
    assert token_hash(one) != one and len(token_hash(one)) == 64
    assert link_url("https://m.example/", one) == f"https://m.example/mijn-vragen/inloggen/{one}"


def test_clients_and_addresses_are_named_by_keyed_hashes_only() -> None:
    key = audit_key("secret")
    assert client_hash(key, "10.0.0.1") == client_hash(key, "10.0.0.1") != client_hash(key, "10.0.0.2")
    assert "10.0.0.1" not in client_hash(key, "10.0.0.1")
    assert client_hash(audit_key("other"), "10.0.0.1") != client_hash(key, "10.0.0.1")
    assert address_key(" Anna@MEE.example ") == address_key("anna@mee.example")


def test_a_link_leads_back_only_to_the_supporters_own_pages() -> None:
    assert safe_return("/mijn-vragen/q-1") == "/mijn-vragen/q-1"
    assert safe_return("/mijn-vragen") == "/mijn-vragen"
    for bad in (
        None,
        "",
        "https://evil.example/",
        "//evil.example",
        "/overleg",
        "/mijn-vragen/inloggen",
        "/mijn-vragen/uitloggen",
        "/mijn-vragen/q-1/aannemen",
        "/mijn-vragen/a\\b",
    ):
        assert safe_return(bad) == "/mijn-vragen", bad


def test_the_sign_in_form_explains_a_missing_or_mistyped_address() -> None:
    assert email_problem("") == "Vul uw e-mailadres in."
    assert email_problem("anna") == "Vul een e-mailadres in zoals naam@voorbeeld.nl."
    assert email_problem("a" * 250 + "@x.nl") is not None
    assert email_problem("anna@mee.example") is None


def test_declining_needs_a_reason_and_a_note_for_another_reason_without_a_bsn() -> None:
    assert forms.read_decline({}) == {"reden-no_time": "Kies waarom u deze vraag afwijst."}
    assert forms.read_decline({"reden": ["no_time"]}) == forms.Decline("no_time", None)
    assert "toelichting" in forms.read_decline({"reden": ["other"], "toelichting": [""]})  # type: ignore[operator]
    assert forms.read_decline({"reden": ["other"], "toelichting": ["Ik verhuis"]}) == forms.Decline(
        "other", "Ik verhuis"
    )
    with_bsn = forms.read_decline({"reden": ["other"], "toelichting": ["BSN 111222333 van de inwoner"]})
    assert with_bsn == {"toelichting": "Schrijf geen burgerservicenummer (BSN) in de toelichting."}
    too_long = forms.read_decline({"reden": ["no_time"], "toelichting": ["x" * 501]})
    assert isinstance(too_long, dict) and "toelichting" in too_long
    assert isinstance(forms.read_decline({"reden": ["no_click"]}), dict), "only the supporter's own reasons"


def test_first_contact_reads_a_date_field_or_a_typed_dutch_date_and_a_method() -> None:
    assert forms.read_contact({"datum": ["2026-03-02"], "manier": ["phone"]}) == forms.Contact(
        date(2026, 3, 2), "phone"
    )
    assert forms.read_contact({"datum": ["2-3-2026"], "manier": ["visit"]}) == forms.Contact(date(2026, 3, 2), "visit")
    assert forms.read_contact({"datum": ["31-2-2026"], "manier": ["phone"]}) == {
        "datum": "Vul een datum in zoals 2-3-2026."
    }
    assert forms.read_contact({}) == {
        "datum": "Vul de dag in waarop u de inwoner voor het eerst sprak.",
        "manier-phone": "Kies hoe u de inwoner sprak.",
    }


def test_the_day_of_first_contact_lies_between_the_assignment_and_today() -> None:
    assigned = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 2 March in Dutch time
    assert day_problem(date(2026, 3, 2), assigned, date(2026, 3, 4)) is None
    assert "toekomst" in (day_problem(date(2026, 3, 5), assigned, date(2026, 3, 4)) or "")
    assert "vóór" in (day_problem(date(2026, 3, 1), assigned, date(2026, 3, 4)) or "")


def test_ending_takes_one_of_the_supporters_outcomes() -> None:
    assert forms.read_end({"uitkomst": ["completed"]}) == "completed"
    assert forms.read_end({"uitkomst": ["transferred"]}) == {
        "uitkomst-completed": "Kies waarom de ondersteuning stopt."
    }


def test_a_case_reads_in_names_and_labels_never_codes() -> None:
    view = views.case_view(case(partner_id="s-2"), {"mee": "MEE Plus", "ouders": "Ouderplatform"}, ("Kees", "ouders"))
    assert view.municipality == "Dordrecht"
    assert view.life_domains == ["Hulp en zorg thuis (Wmo)", "Geldzorgen en schulden"]
    assert view.languages == ["Nederlands", "Arabisch"]
    assert view.needs == ["Tolk", "Licht verstandelijke beperking (LVB)"]
    assert view.meeting == "Bij mij thuis"
    assert view.kind_preference == "Vrijwilliger"
    assert view.partner == "Kees (Ouderplatform)"
    assert view.reference == "3F0C9A4E"
    assert (view.stage, view.stage_label) == ("new", "Nieuw")


def test_the_stage_of_a_case_follows_its_assignment() -> None:
    assert views.stage_of(case(status="accepted")) == "accepted"
    assert views.stage_of(case(status="accepted", first_contact_recorded_at=NOW)) == "in_contact"
    assert views.stage_of(case(status="ended", close_reason="completed")) == "ended"
    assert views.stage_of(case(status="declined", close_reason="no_time")) == "declined"
    grouped = views.grouped([views.case_view(case(status=s), {}, None) for s in ("assigned", "ended", "declined")])
    assert [(gid, len(items)) for gid, _, _, items in grouped] == [
        ("nieuw", 1),
        ("aangenomen", 0),
        ("in-contact", 0),
        ("gestopt", 2),
    ]


def test_a_case_that_moved_on_says_why() -> None:
    assert "duo" in views.conflict_text(case(status="ended", close_reason="duo_dissolved"), "x")
    assert views.conflict_text(case(status="ended", close_reason="completed"), "x") == "De ondersteuning is klaar."
    resident = views.conflict_text(
        case(status="declined", close_reason="resident_preference", declined_by="resident"), "x"
    )
    assert resident.startswith("De inwoner wil liever een andere ondersteuner.")
    assert views.conflict_text(case(), "De handler zegt waarom.") == "De handler zegt waarom."


def test_the_residents_contact_shows_only_with_consent() -> None:
    contact = ResidentContact(name="Anna", phone="06 123 45 678", email="anna@example.nl")
    shown = views.resident_view(
        CaseData(question_id="q", description="Hulp", share_with_supporter=True, contact=contact)
    )
    assert (shown.name, shown.phone_href, shown.consented) == ("Anna", "tel:0612345678", True)
    hidden = views.resident_view(
        CaseData(question_id="q", description="Hulp", share_with_supporter=False, contact=contact)
    )
    assert (hidden.name, hidden.phone, hidden.consented, hidden.description) == ("", "", False, "Hulp")
    assert "gewist" in views.resident_view(Unavailable("erased")).missing


def test_notifications_mail_only_sign_in_links_of_matching() -> None:
    bases = ["https://ondersteuners.example.nl", "http://127.0.0.1:8002"]
    token = new_token()
    assert link_allowed(f"https://ondersteuners.example.nl/mijn-vragen/inloggen/{token}", bases)
    assert link_allowed(f"http://127.0.0.1:8002/mijn-vragen/inloggen/{token}", bases)
    assert not link_allowed(f"https://evil.example/mijn-vragen/inloggen/{token}", bases)
    assert not link_allowed(f"https://ondersteuners.example.nl.evil.example/mijn-vragen/inloggen/{token}", bases)
    assert not link_allowed("https://ondersteuners.example.nl/overleg", bases)
    context = sign_in_context("Fatima", "u", NOW + timedelta(minutes=15), NOW, "Samenloket")
    assert context["minutes"] == 15


def test_the_sign_in_mail_holds_the_link_its_lifetime_and_what_to_do_if_not_asked() -> None:
    from services.notifications.rendering import render

    url = f"https://ondersteuners.example.nl/mijn-vragen/inloggen/{new_token()}"
    subject, text, html = render(
        "supporter_sign_in", sign_in_context("Fatima", url, NOW + timedelta(minutes=15), NOW, "Samenloket")
    )
    assert subject == "Uw link om in te loggen bij Mijn vragen"
    for part in (text, html):
        assert url in part and "15 minuten" in part and "Vroeg u niet om deze link?" in part
    assert f'href="{url}"' in html
