"""The resident's channel and the signed opt-out link (pure rules)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from contracts.events import PreferredChannel
from services.notifications.domain import ResidentContact, preferred_channel, resident_delivery, resident_may_be_mailed
from services.notifications.preferences import (
    opt_out_key,
    opt_out_token,
    opt_out_url,
    resident_ref_hash,
    verify_opt_out_token,
)

KEY = opt_out_key("internal-token")


def resident(email: str | None, phone: str | None) -> ResidentContact:
    return ResidentContact("q-1", "r-1", "Anna", email, phone, True)


def test_email_first_then_sms_then_nothing() -> None:
    assert preferred_channel(resident("a@example.nl", "0612345678")) == "email"
    assert preferred_channel(resident(None, "0612345678")) == "sms"
    assert preferred_channel(resident(None, None)) is None


def choosing(chosen: PreferredChannel | None) -> ResidentContact:
    return ResidentContact("q-1", "r-1", "Anna", "a@example.nl", "0612345678", True, chosen)


def test_no_choice_keeps_the_rule_email_when_there_is_an_address() -> None:
    assert preferred_channel(choosing(None)) == "email"
    assert resident_delivery(choosing(None), "t", {}).address == "a@example.nl"


def test_choosing_sms_sends_an_sms_even_with_an_email_address() -> None:
    assert preferred_channel(choosing("sms")) == "sms"
    planned = resident_delivery(choosing("sms"), "t", {})
    assert (planned.channel, planned.address) == ("sms", "0612345678")
    assert resident_may_be_mailed(choosing("sms"), sms=True)


def test_choosing_email_sends_an_email_even_with_a_phone_number() -> None:
    assert preferred_channel(choosing("email")) == "email"
    planned = resident_delivery(choosing("email"), "t", {})
    assert (planned.channel, planned.address) == ("email", "a@example.nl")


def test_choosing_none_plans_no_resident_message_at_all() -> None:
    assert preferred_channel(choosing("none")) is None
    assert not resident_may_be_mailed(choosing("none"), sms=True)
    assert not resident_may_be_mailed(choosing("none"), sms=False)


def test_a_token_verifies_to_the_hash_of_the_resident_ref_and_names_no_resident() -> None:
    token = opt_out_token(KEY, "r-123")
    assert verify_opt_out_token(KEY, token) == resident_ref_hash("r-123")
    assert "r-123" not in token


def test_forged_or_damaged_tokens_are_refused() -> None:
    token = opt_out_token(KEY, "r-123")
    ref_hash, _, mac = token.partition(".")
    other = resident_ref_hash("r-other")
    assert verify_opt_out_token(KEY, f"{other}.{mac}") is None
    assert verify_opt_out_token(KEY, token[:-2]) is None
    assert verify_opt_out_token(opt_out_key("another-token"), token) is None
    assert verify_opt_out_token(KEY, "nonsense") is None
    assert verify_opt_out_token(KEY, f"{ref_hash}.") is None


def test_the_key_is_derived_not_the_token_itself() -> None:
    assert KEY != b"internal-token" and len(KEY) == 32


def test_opt_out_url_points_at_notifications() -> None:
    url = opt_out_url("https://meldingen.example.nl/", KEY, "r-1")
    parsed = urlparse(url)
    assert (parsed.netloc, parsed.path) == ("meldingen.example.nl", "/api/v1/opt-out")
    assert verify_opt_out_token(KEY, parse_qs(parsed.query)["token"][0]) == resident_ref_hash("r-1")
