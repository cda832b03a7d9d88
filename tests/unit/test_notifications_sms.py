"""SMS: quiet hours, short texts, and how the gateway's answers are classified."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import SecretStr

from services.notifications.domain import (
    Outgoing,
    PermanentDeliveryError,
    ResidentContact,
    SupporterContact,
    TransientDeliveryError,
    plan_question_waiting,
    resident_assigned_context,
)
from services.notifications.examples import example_context
from services.notifications.preferences import next_send_time
from services.notifications.rendering import SMS_MAX_CHARS, SMS_TEMPLATES, render_sms
from services.notifications.settings import NotificationsSettings
from services.notifications.sms import SmsGatewaySender
from tests.unit.test_notifications_messages import WAITING, assignment

AMS = ZoneInfo("Europe/Amsterdam")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (local(2025, 3, 3, 12, 0), local(2025, 3, 3, 12, 0)),  # daytime: at once
        (local(2025, 3, 3, 8, 0), local(2025, 3, 3, 8, 0)),  # 08:00 is allowed
        (local(2025, 3, 3, 20, 59), local(2025, 3, 3, 20, 59)),
        (local(2025, 3, 3, 21, 0), local(2025, 3, 4, 8, 0)),  # 21:00 is quiet
        (local(2025, 3, 3, 23, 30), local(2025, 3, 4, 8, 0)),
        (local(2025, 3, 4, 3, 0), local(2025, 3, 4, 8, 0)),  # after midnight: the same morning
        (local(2025, 3, 29, 22, 0), local(2025, 3, 30, 8, 0)),  # the night the clocks go forward
    ],
)
def test_next_send_time_keeps_sms_out_of_the_night(now: datetime, expected: datetime) -> None:
    assert next_send_time(now) == expected
    assert next_send_time(now.astimezone(UTC)) == expected


@pytest.mark.parametrize("template", SMS_TEMPLATES)
def test_every_resident_template_has_a_short_dutch_sms(template: str) -> None:
    text = render_sms(template, example_context(template))
    assert len(text) <= SMS_MAX_CHARS
    assert "Samenloket" in text and "gratis" in text.lower()
    assert "\n" not in text


def test_a_long_sms_is_cut_at_160_characters() -> None:
    long = SupporterContact("s", "A" * 120, None, "Stichting " + "B" * 80)
    resident = ResidentContact("q-1", "r-1", "Anna", None, "0612345678", True)
    text = render_sms("resident_assigned", resident_assigned_context(assignment(), long, resident))
    assert len(text) == SMS_MAX_CHARS and text.endswith("…")


def test_resident_with_only_a_phone_gets_sms_when_enabled() -> None:
    phone_only = ResidentContact("q-1", "r-1", "Anna", None, "0612345678", True)
    assert plan_question_waiting(WAITING, phone_only) == []
    [planned] = plan_question_waiting(WAITING, phone_only, sms=True)
    assert (planned.channel, planned.address, planned.resident_ref) == ("sms", "0612345678", "r-1")


def sender(status: int | Exception, seen: list[httpx.Request]) -> SmsGatewaySender:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if isinstance(status, Exception):
            raise status
        return httpx.Response(status, json={"detail": "0612345678 said no"})

    settings = NotificationsSettings(
        sms_gateway_url="http://gateway.test/sms", sms_gateway_token=SecretStr("gw-token"), sms_sender="Samenloket"
    )
    return SmsGatewaySender(settings, transport=httpx.MockTransport(handle))


OUT = Outgoing("e-1/resident/sms", "0612345678", "", "Samenloket: hallo", "")


async def test_gateway_gets_json_and_bearer() -> None:
    seen: list[httpx.Request] = []
    await sender(202, seen).send(OUT)
    [request] = seen
    assert json.loads(request.content) == {"from": "Samenloket", "to": "0612345678", "text": "Samenloket: hallo"}
    assert request.headers["Authorization"] == "Bearer gw-token"
    assert request.headers["Idempotency-Key"].startswith("<")


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, TransientDeliveryError),
        (503, TransientDeliveryError),
        (429, TransientDeliveryError),
        (httpx.ReadTimeout("slow"), TransientDeliveryError),
        (httpx.ConnectError("down"), TransientDeliveryError),
        (400, PermanentDeliveryError),
        (401, PermanentDeliveryError),
        (422, PermanentDeliveryError),
    ],
)
async def test_5xx_and_timeouts_are_transient_4xx_permanent(status: int | Exception, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        await sender(status, []).send(OUT)
    assert "0612345678" not in str(caught.value), "the error (kept in the delivery log) holds no phone number"
