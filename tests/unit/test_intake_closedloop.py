"""The closed loop's pure rules: reasons, the referrer's event, withdrawal and webhook URLs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from contracts.events import Reason
from services.intake.closedloop import domain
from services.intake.closedloop.domain import Referral, WebhookRegistration, Withdrawal
from services.intake.closedloop.handlers import may_act_on
from services.intake.domain import STATUSES
from services.kit.access import Principal

AT = datetime(2025, 10, 9, 8, 30, tzinfo=UTC)


def test_every_status_has_a_default_reason_with_code_and_dutch_text() -> None:
    assert set(domain.DEFAULT_REASONS) == set(STATUSES)
    assert domain.reason_for("waiting") == Reason(code="no_capacity", text=domain.DEFAULT_REASONS["waiting"].text)
    assert "wachtlijst" in domain.reason_for("waiting").text
    assert domain.reason_for("consultation").code == "no_eligible_supporter"
    assert domain.reason_for("assigned").code == "assigned"


def test_a_given_code_and_text_win_over_the_default() -> None:
    reason = domain.reason_for("consultation", "no_language_match", "  Geen ondersteuner spreekt Tigrinya.  ")
    assert reason == Reason(code="no_language_match", text="Geen ondersteuner spreekt Tigrinya.")
    assert domain.reason_for("consultation", None, "   ").text == domain.DEFAULT_REASONS["consultation"].text


def test_the_referrer_hears_of_a_change_keyed_by_its_own_reference() -> None:
    referral = Referral("q-1", "wijkteam-dordrecht", "WT-42", "GM0505")
    event = domain.status_changed(referral, "received", "waiting", domain.reason_for("waiting"), AT)
    assert event is not None
    assert (event.referrer, event.partner_reference, event.status, event.previous_status) == (
        "wijkteam-dordrecht",
        "WT-42",
        "waiting",
        "received",
    )
    assert event.reason is not None and event.reason.code == "no_capacity"
    assert event.subject() == "WT-42"


def test_without_partner_reference_the_key_is_the_question() -> None:
    event = domain.status_changed(
        Referral("q-2", "huisarts", None, "GM0505"), None, "received", domain.reason_for("received"), AT
    )
    assert event is not None and event.subject() == "q-2"


def test_a_question_nobody_referred_gives_no_event() -> None:
    referral = Referral("q-3", None, None, "GM0505")
    assert domain.status_changed(referral, None, "received", domain.reason_for("received"), AT) is None


@pytest.mark.parametrize(("current", "allowed"), [("received", True), ("assigned", True), ("closed", False)])
def test_withdrawal_is_allowed_until_closed(current: domain.QuestionStatus, allowed: bool) -> None:
    assert domain.withdrawal_allowed(current) is allowed


def test_withdrawal_reason_is_required_short_and_bsn_free() -> None:
    assert Withdrawal(reason="  De inwoner is verhuisd.  ").reason == "De inwoner is verhuisd."
    for bad in ("", "   ", "x" * 501, "Zijn BSN is 111222333."):
        with pytest.raises(ValidationError):
            Withdrawal(reason=bad)


def principal(org: str, *scopes: str, municipality: str | None = None) -> Principal:
    return Principal("k", org, frozenset(scopes), municipality)


def test_who_may_withdraw() -> None:
    referral = Referral("q-1", "wijkteam", "WT-1", "GM0505")
    assert may_act_on(principal("wijkteam", "submit"), referral)
    assert not may_act_on(principal("other-partner", "submit"), referral)
    assert not may_act_on(principal("wijkteam", "read-own"), referral)
    assert may_act_on(principal("gemeente", "staff"), referral)
    assert not may_act_on(principal("gemeente", "staff", municipality="GM0642"), referral)
    assert not may_act_on(principal("wijkteam", "submit"), Referral("q-2", None, None, "GM0505"))


@pytest.mark.parametrize(
    "url",
    [
        "https://partner.example/samenloket/webhook",
        "https://partner.example:8443/hook?tenant=4",
        "http://localhost:8080/hook",
        "http://127.0.0.1:9000/hook",
        "http://[::1]:9000/hook",
    ],
)
def test_accepted_webhook_urls(url: str) -> None:
    assert WebhookRegistration(url=url).url == url


@pytest.mark.parametrize(
    "url",
    [
        "http://partner.example/hook",
        "http://10.0.0.5/hook",
        "ftp://partner.example/hook",
        "partner.example/hook",
        "https://",
        "https://user:pass@partner.example/hook",
        "https://partner.example/hook#top",
        "https://partner.example:99999/hook",
        "https://partner.example/" + "a" * 2000,
    ],
)
def test_refused_webhook_urls(url: str) -> None:
    with pytest.raises(ValidationError):
        WebhookRegistration(url=url)


def test_new_secrets_are_long_and_unique() -> None:
    first, second = domain.new_secret(), domain.new_secret()
    assert first != second and first.startswith("whsec_") and len(first) >= 40
