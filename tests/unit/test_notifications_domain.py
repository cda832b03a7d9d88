"""Pure rules of notifications: delivery identities, who is told, error redaction."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from contracts.events import SupporterAssigned
from services.notifications.domain import (
    QuestionFacts,
    ResidentContact,
    SupporterContact,
    case_url,
    consultation_url,
    delivery_key,
    life_domain_words,
    message_id,
    notification_id,
    plan_supporter_assigned,
    redact,
)

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
ASSIGNMENT = SupporterAssigned(
    question_id="q-1",
    assignment_id="a-1",
    supporter_id="s-1",
    organisation="org-mee",
    supporter_kind="professional",
    municipality="GM0590",
    score=0.5,
    received_at=NOW,
    assigned_at=NOW,
)
SUPPORTER = SupporterContact("s-1", "Jan Jansen", "jan@example.nl", "org-mee", "MEE Plus")


def resident(email: str | None = "anna@example.nl", share: bool = True) -> ResidentContact:
    return ResidentContact("q-1", "r-1", "Anna", email, None, share)


def test_message_id_is_stable_for_a_key_and_differs_between_keys() -> None:
    key = delivery_key("evt-1", "supporter", "email")
    assert message_id(key) == message_id(delivery_key("evt-1", "supporter", "email"))
    assert message_id(key) != message_id(delivery_key("evt-1", "resident", "email"))
    assert message_id(key) != message_id(delivery_key("evt-2", "supporter", "email"))
    assert re.fullmatch(r"<[0-9a-f]{32}@samenloket\.local>", message_id(key))


def test_notification_id_is_a_deterministic_uuid_per_key() -> None:
    key = delivery_key("evt-1", "supporter", "email")
    assert notification_id(key) == notification_id(key)
    assert notification_id(key) != notification_id(delivery_key("evt-1", "supporter", "sms"))
    assert uuid.UUID(notification_id(key)).version == 5


def test_supporter_and_consenting_resident_with_address_are_both_told() -> None:
    planned = plan_supporter_assigned(ASSIGNMENT, SUPPORTER, resident(), None, "http://matching")
    assert [(p.role, p.template, p.address) for p in planned] == [
        ("supporter", "supporter_new_case", "jan@example.nl"),
        ("resident", "resident_assigned", "anna@example.nl"),
    ]
    assert planned[1].context["supporter_name"] == "Jan Jansen"
    assert planned[1].context["organisation"] == "MEE Plus"
    assert planned[0].context["municipality_name"] == "Papendrecht"


def test_resident_is_not_told_without_consent_address_or_contact() -> None:
    for contact in (resident(share=False), resident(email=None), resident(email=""), None):
        planned = plan_supporter_assigned(ASSIGNMENT, SUPPORTER, contact, None, "http://matching")
        assert [p.role for p in planned] == ["supporter"]


def test_supporter_mail_lists_life_domains_in_words() -> None:
    facts = QuestionFacts("q-1", "GM0590", ("housing", "wlz"))
    planned = plan_supporter_assigned(ASSIGNMENT, SUPPORTER, None, facts, "http://matching/")
    assert planned[0].context["life_domains"] == ["Wonen", "Langdurige zorg (Wlz)"]
    assert planned[0].context["case_url"] == "http://matching/mijn-vragen/q-1"
    assert life_domain_words(["debts", "unknown"]) == ["Geldzorgen en schulden", "unknown"]


def test_supporter_mail_says_languages_meeting_and_needs_in_words_and_holds_no_resident_data() -> None:
    facts = QuestionFacts("q-1", "GM0590", ("wmo",), ("ar", "nl"), "video", ("sign_language",))
    [mail] = plan_supporter_assigned(ASSIGNMENT, SUPPORTER, None, facts, "http://matching")
    context = mail.context
    assert context["languages"] == ["Arabisch", "Nederlands"]
    assert context["meeting_preference"] == "Beeldbellen (video)"
    assert context["needs"] == ["Gebarentaal"]
    assert "resident_name" not in context and "Anna" not in repr(context)
    without = plan_supporter_assigned(ASSIGNMENT, SUPPORTER, resident(), None, "http://matching")[0].context
    assert (without["languages"], without["meeting_preference"], without["needs"]) == ([], "", [])
    assert "Anna" not in repr(without) and "anna@example.nl" not in repr(without)


def test_the_organisation_is_named_by_its_display_name_and_by_the_region_file_when_matching_gives_none() -> None:
    assert SUPPORTER.organisation_label == "MEE Plus"
    humanitas = SupporterContact("s-2", "Kees", None, "humanitas-drechtsteden")
    assert humanitas.organisation_label == "Humanitas Drechtsteden"
    assert SupporterContact("s-2", "Kees", None, "org-x").organisation_label == "Org X"  # never the bare id


def test_links_lead_to_matching_pages_and_escape_the_id() -> None:
    assert case_url("http://matching/", "a/b c") == "http://matching/mijn-vragen/a%2Fb%20c"
    assert consultation_url("http://matching", "q-1") == "http://matching/overleg#vraag-q-1"


def test_redact_removes_addresses_and_shortens() -> None:
    text = "550 5.1.1 <anna.de.vries@example.nl>: Recipient address rejected; also bob@x.org"
    redacted = redact(text)
    assert "@" not in redacted
    assert redacted.startswith("550 5.1.1 <<adres>>")
    assert len(redact("x" * 2000)) == 500


def test_the_supporters_mail_names_the_question_by_the_residents_reference() -> None:
    from services.notifications.domain import QuestionFacts, supporter_new_case_context

    assigned = ASSIGNMENT
    facts = QuestionFacts(assigned.question_id, "GM0505", ("wmo",), reference="K7QM3XPA")
    context = supporter_new_case_context(assigned, SUPPORTER, facts, "http://matching")
    assert context["question_ref"] == "K7QM-3XPA"
    without = supporter_new_case_context(assigned, SUPPORTER, None, "http://matching")
    assert without["question_ref"] == assigned.question_id[:8].upper()


def test_the_reference_on_the_assignment_names_the_question_before_its_facts_arrived() -> None:
    """QuestionReceived and SupporterAssigned travel on different topics: the assignment may come first."""
    from services.notifications.domain import supporter_new_case_context

    carried = ASSIGNMENT.model_copy(update={"reference": "K7QM3XPA"})
    assert supporter_new_case_context(carried, SUPPORTER, None, "http://matching")["question_ref"] == "K7QM-3XPA"
