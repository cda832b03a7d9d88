"""Intake's key rules without I/O: who submits as what, who reads which question, idempotency digests."""

from __future__ import annotations

import re
from typing import Any

import pytest

from contracts.events import QuestionSubmission
from services.intake.tenancy import domain
from services.intake.tenancy.domain import Entry, EntryRefused, ReadScope
from services.kit.access import Principal

PARTNER = Principal("k1", "huisarts-dordrecht", frozenset({"submit", "read-own"}))
READER = Principal("k2", "huisarts-dordrecht", frozenset({"read-own"}))
STAFF = Principal("k3", "loket", frozenset({"staff"}))
LOCAL_STAFF = Principal("k4", "loket-dordrecht", frozenset({"staff"}), municipality="GM0505")
BOTH = Principal("k5", "demo-loket", frozenset({"submit", "read-own", "staff"}))


@pytest.mark.parametrize("channel", ["web", "phone", "walk_in", "partner"])
def test_a_partner_always_submits_as_partner_with_its_own_organisation(channel: Any) -> None:
    assert domain.entry_for(PARTNER, channel, "GM0505") == Entry("partner", "huisarts-dordrecht")


@pytest.mark.parametrize("channel", ["phone", "walk_in"])
def test_staff_enter_phone_and_walk_in_questions_without_referrer(channel: Any) -> None:
    assert domain.entry_for(STAFF, channel, "GM0642") == Entry(channel, None)


@pytest.mark.parametrize("channel", ["web", "partner"])
def test_staff_may_not_use_other_channels(channel: Any) -> None:
    with pytest.raises(EntryRefused) as refused:
        domain.entry_for(STAFF, channel, "GM0505")
    assert refused.value.field == "channel"
    assert "phone" in refused.value.message and "walk_in" in refused.value.message


def test_a_key_with_both_scopes_is_staff_for_phone_and_partner_otherwise() -> None:
    assert domain.entry_for(BOTH, "walk_in", "GM0505") == Entry("walk_in", None)
    assert domain.entry_for(BOTH, "web", "GM0505") == Entry("partner", "demo-loket")


def test_a_municipal_key_submits_only_for_its_municipality() -> None:
    assert domain.entry_for(LOCAL_STAFF, "phone", "GM0505") == Entry("phone", None)
    with pytest.raises(EntryRefused) as refused:
        domain.entry_for(LOCAL_STAFF, "phone", "GM0642")
    assert refused.value.field is None  # the key itself may not: 403, not 422
    assert "GM0505" in refused.value.message
    with pytest.raises(EntryRefused):
        domain.check_municipality(LOCAL_STAFF, "GM0642")
    domain.check_municipality(LOCAL_STAFF, "GM0505")


def test_read_own_reads_only_its_own_referrals() -> None:
    for principal in (PARTNER, READER):
        assert domain.may_read(principal, "huisarts-dordrecht", "GM0505")
        assert not domain.may_read(principal, "wijkteam-zwijndrecht", "GM0505")
        assert not domain.may_read(principal, None, "GM0505")


def test_submit_alone_does_not_read() -> None:
    submitter = Principal("k6", "huisarts-dordrecht", frozenset({"submit"}))
    assert not domain.may_read(submitter, "huisarts-dordrecht", "GM0505")


def test_staff_read_everything_within_their_municipality() -> None:
    assert domain.may_read(STAFF, None, "GM0642") and domain.may_read(STAFF, "anyone", "GM0505")
    assert domain.may_read(LOCAL_STAFF, "anyone", "GM0505")
    assert not domain.may_read(LOCAL_STAFF, None, "GM0642")


def test_a_municipal_partner_key_reads_its_referrals_in_its_municipality_only() -> None:
    local = Principal("k7", "huisarts-dordrecht", frozenset({"read-own"}), municipality="GM0505")
    assert domain.may_read(local, "huisarts-dordrecht", "GM0505")
    assert not domain.may_read(local, "huisarts-dordrecht", "GM0642")


def test_read_scope_of_listings() -> None:
    assert domain.read_scope(READER) == ReadScope("huisarts-dordrecht", None)
    assert domain.read_scope(STAFF) == ReadScope(None, None)
    assert domain.read_scope(LOCAL_STAFF) == ReadScope(None, "GM0505")
    assert domain.read_scope(BOTH) == ReadScope(None, None)


def _submission(**changes: Any) -> QuestionSubmission:
    body: dict[str, Any] = {
        "municipality": "GM0505",
        "life_domains": ["wmo"],
        "description": "Ik zoek hulp.",
        "postcode": "3311",
        "contact": {"name": "A. de Vries", "email": "a@example.nl"},
        "consent": {"share_with_supporter": True},
    }
    return QuestionSubmission.model_validate(body | changes)


def test_digest_is_keyed_stable_and_hides_the_body() -> None:
    key = b"k" * 32
    first = domain.request_digest(key, _submission())

    assert first == domain.request_digest(key, _submission())
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert first != domain.request_digest(key, _submission(description="Ik zoek andere hulp."))
    assert first != domain.request_digest(b"o" * 32, _submission()), "the digest must depend on the key"


def test_digest_ignores_key_order_and_equal_defaults() -> None:
    key = b"k" * 32
    explicit = _submission(languages=["nl"], preferred_supporter_kind="any")
    assert domain.request_digest(key, explicit) == domain.request_digest(key, _submission())


@pytest.mark.parametrize("value", ["a", "A-z_09", "x" * 100])
def test_idempotency_key_pattern_admits(value: str) -> None:
    assert re.fullmatch(domain.IDEMPOTENCY_KEY_PATTERN, value)


@pytest.mark.parametrize("value", ["", "x" * 101, "a b", "a/b", "ä", "a\n"])
def test_idempotency_key_pattern_refuses(value: str) -> None:
    assert not re.fullmatch(domain.IDEMPOTENCY_KEY_PATTERN, value)
