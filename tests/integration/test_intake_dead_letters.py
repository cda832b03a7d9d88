"""A partner's referral that cannot be taken never lies in a dead-letter topic in clear text.

Issue 14, row 5: the inbound DLQ kept a referral's BSN, e-mail and phone in clear text, out of reach
of erasure. Now intake seals the letter with a key of its own, kept in intake with the blind indexes
of the contact it names: the operator can still replay it, until the resident is erased (or the
retention passed), after which it cannot be opened by anyone.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import ConsumerRecord

from contracts.envelope import CloudEvent
from contracts.events import ReferralSubmitted
from contracts.topics import REFERRALS_INBOUND, dlq
from services.intake import deadletters
from services.kit import access
from services.kit.settings import Settings
from tests.support.harness import RunningService, eventually, publish, read_topic, run_service
from tests.support.privacy import find_anywhere

pytestmark = pytest.mark.integration

BSN = "111222333"  # passes the 11-proef


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("intake", settings) as service:
        yield service


def referral(contact: dict[str, Any], description: str) -> CloudEvent:
    """A referral as a partner sends it (not validated here: the partner may send anything)."""
    reference = f"ref-{uuid.uuid4().hex[:8]}"
    data = {
        "municipality": "GM0505",
        "life_domains": ["wmo"],
        "description": description,
        "postcode": "3311",
        "contact": contact,
        "consent": {"share_with_supporter": True},
        "partner_reference": reference,
        "referrer": "wijkteam-dordrecht",
    }
    return CloudEvent(type=ReferralSubmitted.ce_type, source="/partner", subject=reference, data=data)


def with_id(event_id: str) -> Callable[[list[ConsumerRecord]], bool]:
    return lambda records: any(dict(r.headers).get("ce_id") == event_id.encode() for r in records)


async def test_a_refused_referral_is_sealed_in_the_dlq_replayable_and_shredded_by_erasure(
    intake: RunningService, settings: Settings, database_url: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    contact = {"name": f"Sanne Doodbrief {tag}", "email": f"sanne.{tag}@example.nl", "phone": "0612345678"}
    first = referral(contact, "Hulp bij de Wmo-aanvraag.")
    await publish(settings, REFERRALS_INBOUND, first)
    ref = await eventually(
        lambda: intake.runtime.db.fetchval(
            "SELECT resident_ref::text FROM questions WHERE partner_reference = $1", first.subject
        )
    )
    # The same person, referred again with a BSN in the text: intake refuses it, so it is dead-lettered.
    refused = referral(contact, f"Haar BSN is {BSN}, graag snel contact.")
    await publish(settings, REFERRALS_INBOUND, refused)
    records = await read_topic(settings, dlq(REFERRALS_INBOUND), until=with_id(refused.id))
    [letter] = [r for r in records if dict(r.headers).get("ce_id") == refused.id.encode()]
    headers = dict(letter.headers)
    assert headers["dlq_exception_type"] == b"InvalidEvent"
    assert deadletters.SEALED_HEADER in headers
    for secret in (BSN, contact["email"], contact["name"], "0612345678"):
        assert secret.encode() not in (letter.value or b""), f"{secret} in the dead letter's value"
        assert not any(secret.encode() in value for value in headers.values()), f"{secret} in a header"
    assert await find_anywhere(database_url, [BSN, contact["email"]]) == []

    # The operator can open it for a replay while the key exists...
    open_letter = deadletters.opener(intake.runtime, intake.runtime.container.intake.vault)
    opened = await open_letter(letter)
    assert opened is not None and BSN.encode() in opened

    # ...and nobody can once the resident it names is erased.
    async with intake.runtime.db.acquire() as conn:
        officer = await access.create_key(conn, f"dpo-{tag}", ["privacy-officer"])
    erased = await intake.client.delete(f"/api/v1/residents/{ref}", headers={"Authorization": f"Bearer {officer}"})
    assert erased.status_code == 202, erased.text
    assert await open_letter(letter) is None


async def test_keys_of_sealed_letters_expire_after_the_retention(intake: RunningService, settings: Settings) -> None:
    event = referral({"name": "X", "email": "not an address"}, "tekst")
    await publish(settings, REFERRALS_INBOUND, event)
    records = await read_topic(settings, dlq(REFERRALS_INBOUND), until=with_id(event.id))
    [letter] = [r for r in records if dict(r.headers).get("ce_id") == event.id.encode()]
    open_letter = deadletters.opener(intake.runtime, intake.runtime.container.intake.vault)
    assert await open_letter(letter) is not None
    later = datetime.now(UTC) + deadletters.RETENTION + timedelta(minutes=1)
    assert await deadletters.expire(intake.runtime, now=lambda: later) >= 1
    assert await open_letter(letter) is None


async def test_a_referral_for_a_municipality_the_region_does_not_serve_is_dead_lettered_at_once_naming_why(
    intake: RunningService, settings: Settings
) -> None:
    """GM0375 (Beverwijk) is no municipality of Drechtsteden: no question, a sealed letter, reason and code."""
    tag = uuid.uuid4().hex[:8]
    contact = {"name": f"Kees Elders {tag}", "email": f"kees.{tag}@example.nl"}
    elsewhere = referral(contact, "Hulp bij de Wmo-aanvraag.")
    elsewhere.data["municipality"] = "GM0375"
    await publish(settings, REFERRALS_INBOUND, elsewhere)
    records = await read_topic(settings, dlq(REFERRALS_INBOUND), until=with_id(elsewhere.id))
    [letter] = [r for r in records if dict(r.headers).get("ce_id") == elsewhere.id.encode()]
    headers = dict(letter.headers)
    assert headers["dlq_exception_type"] == b"PermanentError" and headers["dlq_attempts"] == b"1"
    assert headers["dlq_reason"].startswith(b"municipality_not_served: GM0375 is not served by region Drechtsteden")
    assert deadletters.SEALED_HEADER in headers
    assert not any(contact["email"].encode() in value for value in headers.values())
    taken = "SELECT count(*) FROM questions WHERE partner_reference = $1"
    assert await intake.runtime.db.fetchval(taken, elsewhere.subject) == 0
