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
    delivery_key,
    life_domain_words,
    message_id,
    notification_id,
    plan_supporter_assigned,
    question_url,
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
SUPPORTER = SupporterContact("s-1", "Jan Jansen", "jan@example.nl", "MEE Plus")


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
    planned = plan_supporter_assigned(ASSIGNMENT, SUPPORTER, resident(), None, "http://intake")
    assert [(p.role, p.template, p.address) for p in planned] == [
        ("supporter", "supporter_new_case", "jan@example.nl"),
        ("resident", "resident_assigned", "anna@example.nl"),
    ]
    assert planned[1].context["supporter_name"] == "Jan Jansen"
    assert planned[1].context["organisation"] == "MEE Plus"
    assert planned[0].context["municipality_name"] == "Papendrecht"


def test_resident_is_not_told_without_consent_address_or_contact() -> None:
    for contact in (resident(share=False), resident(email=None), resident(email=""), None):
        planned = plan_supporter_assigned(ASSIGNMENT, SUPPORTER, contact, None, "http://intake")
        assert [p.role for p in planned] == ["supporter"]


def test_supporter_mail_lists_life_domains_in_words() -> None:
    facts = QuestionFacts("q-1", "GM0590", ("housing", "wlz"))
    planned = plan_supporter_assigned(ASSIGNMENT, SUPPORTER, None, facts, "http://matching/")
    assert planned[0].context["life_domains"] == ["Wonen", "Langdurige zorg (Wlz)"]
    # The supporter's own page of the case (it asks them to sign in), never the JSON API.
    assert planned[0].context["question_url"] == "http://matching/mijn-vragen/q-1"
    assert life_domain_words(["debts", "unknown"]) == ["Geldzorgen en schulden", "unknown"]


def test_question_url_escapes_the_id() -> None:
    assert question_url("http://intake", "a/b c") == "http://intake/api/v1/questions/a%2Fb%20c"
    assert case_url("http://matching/", "a/b c") == "http://matching/mijn-vragen/a%2Fb%20c"


def test_redact_removes_addresses_and_shortens() -> None:
    text = "550 5.1.1 <anna.de.vries@example.nl>: Recipient address rejected; also bob@x.org"
    redacted = redact(text)
    assert "@" not in redacted
    assert redacted.startswith("550 5.1.1 <<adres>>")
    assert len(redact("x" * 2000)) == 500
