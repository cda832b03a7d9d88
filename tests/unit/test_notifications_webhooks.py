"""Signed webhooks: the structured body, the signature over timestamp and body, and verification."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from contracts.envelope import CloudEvent
from services.notifications import webhooks

SECRET = "whsec_test-secret"
NOW = 1_760_000_000


def event() -> CloudEvent:
    return CloudEvent(
        type="nl.samenloket.referral.status_changed.v1",
        source="/samenloket/intake",
        subject="WT-123",
        data={"question_id": "q-1", "referrer": "wijkteam", "status": "assigned", "reason": {"code": "assigned"}},
        municipality="GM0505",
        id="0b7e3c1e-0000-4000-8000-000000000001",
        time=datetime(2025, 10, 9, 8, 30, tzinfo=UTC),
    )


def test_structured_body_is_the_cloudevent_in_json_format() -> None:
    document = json.loads(webhooks.structured(event()))
    assert document == {
        "specversion": "1.0",
        "id": "0b7e3c1e-0000-4000-8000-000000000001",
        "source": "/samenloket/intake",
        "type": "nl.samenloket.referral.status_changed.v1",
        "time": "2025-10-09T08:30:00Z",
        "subject": "WT-123",
        "datacontenttype": "application/json",
        "municipality": "GM0505",
        "data": event().data,
    }


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = webhooks.structured(event())
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + body, hashlib.sha256).hexdigest()
    assert webhooks.signature(SECRET, NOW, body) == f"v1={expected}"
    assert webhooks.signature(SECRET, NOW + 1, body) != webhooks.signature(SECRET, NOW, body)
    assert webhooks.signature(SECRET, NOW, body + b" ") != webhooks.signature(SECRET, NOW, body)


def test_signed_headers_carry_event_id_timestamp_and_signature() -> None:
    body = webhooks.structured(event())
    headers = webhooks.signed_headers(event(), SECRET, body, now=NOW + 0.7)
    assert headers == {
        "Content-Type": "application/cloudevents+json",
        "X-Samenloket-Event-Id": event().id,
        "X-Samenloket-Timestamp": str(NOW),
        "X-Samenloket-Signature": webhooks.signature(SECRET, NOW, body),
    }
    assert webhooks.verify(SECRET, headers["X-Samenloket-Timestamp"], body, headers["X-Samenloket-Signature"], now=NOW)


def test_verify_accepts_a_fresh_signature_as_bytes_or_text() -> None:
    body = webhooks.structured(event())
    signed = webhooks.signature(SECRET, NOW, body)
    assert webhooks.verify(SECRET, str(NOW), body, signed, now=NOW + 299)
    assert webhooks.verify(SECRET, NOW, body.decode(), signed, now=NOW - 10)


def test_verify_rejects_a_tampered_body() -> None:
    body = webhooks.structured(event())
    signed = webhooks.signature(SECRET, NOW, body)
    tampered = body.replace(b'"assigned"', b'"closed"', 1)
    assert tampered != body
    assert not webhooks.verify(SECRET, NOW, tampered, signed, now=NOW)


def test_verify_rejects_another_secret_or_timestamp() -> None:
    body = webhooks.structured(event())
    signed = webhooks.signature(SECRET, NOW, body)
    assert not webhooks.verify("whsec_other", NOW, body, signed, now=NOW)
    assert not webhooks.verify(SECRET, NOW + 1, body, signed, now=NOW)


@pytest.mark.parametrize("age", [301, 3600, -301])
def test_verify_rejects_an_old_or_future_timestamp(age: int) -> None:
    body = webhooks.structured(event())
    signed = webhooks.signature(SECRET, NOW, body)
    assert not webhooks.verify(SECRET, NOW, body, signed, now=NOW + age)
    assert webhooks.verify(SECRET, NOW, body, signed, tolerance=abs(age), now=NOW + age)


@pytest.mark.parametrize("header", ["", "v1=", "v0=abc", "nonsense"])
def test_verify_rejects_malformed_signatures(header: str) -> None:
    assert not webhooks.verify(SECRET, NOW, b"{}", header, now=NOW)


def test_verify_rejects_a_malformed_timestamp() -> None:
    body = b"{}"
    assert not webhooks.verify(SECRET, "yesterday", body, webhooks.signature(SECRET, "yesterday", body), now=NOW)


def test_verify_accepts_one_valid_value_among_several() -> None:
    body = webhooks.structured(event())
    header = f"v1={'0' * 64}, {webhooks.signature(SECRET, NOW, body)}"
    assert webhooks.verify(SECRET, NOW, body, header, now=NOW)


@pytest.mark.parametrize(
    ("status", "transient"),
    [
        (500, True),
        (502, True),
        (503, True),
        (429, True),
        (408, True),
        (400, False),
        (401, False),
        (404, False),
        (410, False),
        (301, False),
    ],
)
def test_which_answers_are_retried(status: int, transient: bool) -> None:
    assert webhooks.is_transient(status) is transient
    assert not webhooks.is_success(status)


def test_any_2xx_is_success() -> None:
    assert all(webhooks.is_success(s) for s in (200, 201, 202, 204))


async def test_webhooks_into_the_local_network_are_refused() -> None:
    from services.kit.netguard import refusal

    assert refusal("127.0.0.1")
    assert refusal("10.1.2.3")
    assert refusal("192.168.0.7")
    assert refusal("100.64.0.1")
    assert refusal("2002:a00:1::")
    assert refusal("93.184.215.14") is None


async def test_the_poster_refuses_a_private_address_unless_allowed() -> None:
    from contracts.envelope import CloudEvent
    from services.notifications.domain import PermanentDeliveryError
    from services.notifications.partner_webhooks import PartnerWebhook, WebhookPoster

    event = CloudEvent(type="nl.samenloket.referral.status_changed.v1", source="/x", subject="s", data={})
    poster = WebhookPoster()
    try:
        with pytest.raises(PermanentDeliveryError, match="private or local"):
            await poster.post(PartnerWebhook("https://127.0.0.1:9/hook", "secret"), event)
        with pytest.raises(PermanentDeliveryError, match="only https"):
            await poster.post(PartnerWebhook("http://127.0.0.1:9/hook", "secret"), event)
    finally:
        await poster.aclose()
