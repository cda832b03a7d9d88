"""A partner refers a resident with the official CloudEvents SDK and a librdkafka client, as partners do.

Issue 14, deliverable 2 (and row 15): the inbound topic accepts any valid CloudEvent 1.0 in binary or
structured mode with only the spec's required attributes (``id``, ``source``, ``specversion``,
``type``); ``subject``, ``time`` and the municipality extension are optional there. The partner side
here is ``cloudevents`` (the CNCF SDK) producing through ``confluent-kafka`` (librdkafka), not our
own encoder and aiokafka.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from cloudevents.core.bindings.kafka import to_binary, to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as SdkEvent
from confluent_kafka import Producer

from contracts.events import ReferralSubmitted
from contracts.topics import REFERRALS_INBOUND
from services.kit.settings import Settings
from tests.support.harness import RunningService, eventually, run_service

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("intake", settings) as service:
        yield service


def referral(reference: str) -> dict[str, Any]:
    return {
        "municipality": "GM0505",
        "life_domains": ["youth"],
        "description": "Wij zoeken hulp bij het aanvragen van jeugdhulp voor onze dochter.",
        "postcode": "3312",
        "contact": {"name": "K. Partnertest", "email": f"k.{reference}@example.nl"},
        "consent": {"share_with_supporter": True},
        "partner_reference": reference,
        "referrer": "wijkteam-sdk",
    }


def produce(settings: Settings, key: bytes | None, value: bytes, headers: dict[str, bytes]) -> None:
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap_servers, "enable.idempotence": False})
    producer.produce(REFERRALS_INBOUND, value=value, key=key, headers=list(headers.items()))
    assert producer.flush(15) == 0, "the librdkafka producer could not deliver"


async def question_for(intake: RunningService, reference: str) -> Any:
    sql = "SELECT question_id, channel FROM questions WHERE referrer = 'wijkteam-sdk' AND partner_reference = $1"
    return await eventually(lambda: intake.runtime.db.fetchrow(sql, reference), timeout=30)


@pytest.mark.parametrize("mode", ["binary", "structured"])
async def test_an_sdk_event_with_only_the_required_attributes_becomes_a_question(
    intake: RunningService, settings: Settings, mode: str
) -> None:
    reference = f"sdk-{mode}-{uuid.uuid4().hex[:8]}"
    attributes = {"type": ReferralSubmitted.ce_type, "source": "https://wijkteam.example.nl/verwijzingen"}
    event = SdkEvent(attributes, referral(reference))
    assert "subject" not in event.get_attributes() and "municipality" not in event.get_attributes()
    message = to_binary(event, JSONFormat()) if mode == "binary" else to_structured(event, JSONFormat())
    if mode == "binary":
        assert b"ce_specversion" not in message.value and "ce_subject" not in message.headers
    else:
        assert not any(name.startswith("ce_") for name in message.headers)
    key = message.key.encode() if isinstance(message.key, str) else message.key
    produce(settings, key, message.value, message.headers)
    row = await question_for(intake, reference)
    assert row["channel"] == "partner"
