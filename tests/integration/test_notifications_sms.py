"""SMS through a real local HTTP server acting as the gateway: sent by day, queued at night and sent
in the morning by the queue (``run_once`` with an injected time), 4xx permanent. Exactly once throughout."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr

from contracts import topics
from contracts.envelope import CloudEvent, from_model
from contracts.events import QuestionWaiting, ResidentErasureRequested
from services.kit.settings import Settings
from services.notifications.domain import delivery_key
from services.notifications.handlers import Notifier
from services.notifications.preferences import resident_ref_hash
from services.notifications.sms import SmsQueue
from tests.integration.test_notifications_delivery import Case
from tests.support.harness import RunningService, eventually, publish, run_service
from tests.support.notifications import ContactServer, serving

pytestmark = pytest.mark.integration

AMS = ZoneInfo("Europe/Amsterdam")
DAY = datetime(2025, 3, 3, 12, 0, tzinfo=AMS)
NIGHT = datetime(2025, 3, 3, 22, 30, tzinfo=AMS)
MORNING = datetime(2025, 3, 4, 8, 0, tzinfo=AMS)
GATEWAY_TOKEN = "gw-secret"


class Gateway:
    """A real HTTP SMS gateway: records every POST; numbers starting with 0699 are refused (400)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1/messages"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def to(self, number: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m["body"]["to"] == number]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.received.append({"body": body, "auth": self.headers.get("Authorization"), "path": self.path})
                status = 400 if body["to"].startswith("0699") else 202
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    with serving(Gateway()) as server:
        yield server


@pytest.fixture(scope="module")
def sms_settings(settings: Settings, gateway: Gateway, contacts: ContactServer) -> Settings:
    return settings.model_copy(
        update={
            "intake_url": contacts.url,
            "matching_url": contacts.url,
            "sms_gateway_url": gateway.url,
            "sms_gateway_token": SecretStr(GATEWAY_TOKEN),
            "sms_sender": "Samenloket",
        }
    )


@pytest.fixture(scope="module")
async def service(sms_settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("notifications", sms_settings) as running:
        yield running


def phone_only(contacts: ContactServer, prefix: str = "06") -> tuple[Case, str]:
    case = Case(contacts)
    number = prefix + uuid.uuid4().int.__str__()[:8]
    contacts.residents[case.question_id].update({"email": None, "phone": number})
    return case, number


def waiting(case: Case) -> CloudEvent:
    payload = QuestionWaiting(
        question_id=case.question_id, municipality="GM0505", eligible_supporters=1, since=datetime.now(UTC)
    )
    return from_model(payload, source="/samenloket/matching")


def notifier(service: RunningService, now: datetime) -> Notifier:
    built = service.runtime.container.notifier
    assert isinstance(built, Notifier)
    built.clock = lambda: now
    return built


async def status_of(service: RunningService, key: str) -> str | None:
    found: str | None = await service.runtime.db.fetchval("SELECT status FROM deliveries WHERE delivery_key = $1", key)
    return found


async def test_by_day_the_sms_goes_out_at_once(
    service: RunningService, sms_settings: Settings, gateway: Gateway, contacts: ContactServer
) -> None:
    notifier(service, DAY)
    case, number = phone_only(contacts)
    event = waiting(case)
    await publish(sms_settings, topics.ASSIGNMENTS, event)

    await eventually(lambda: gateway.to(number))
    [sms] = gateway.to(number)
    assert sms["auth"] == f"Bearer {GATEWAY_TOKEN}" and sms["path"] == "/v1/messages"
    assert set(sms["body"]) == {"from", "to", "text"} and sms["body"]["from"] == "Samenloket"
    assert "wachtlijst" in sms["body"]["text"] and len(sms["body"]["text"]) <= 160
    key = delivery_key(event.id, "resident", "sms")
    await eventually(lambda: _is(service, key, "sent"))


async def test_at_night_the_sms_waits_for_the_morning(
    service: RunningService, sms_settings: Settings, gateway: Gateway, contacts: ContactServer
) -> None:
    built = notifier(service, NIGHT)
    case, number = phone_only(contacts)
    event = waiting(case)
    key = delivery_key(event.id, "resident", "sms")
    await publish(sms_settings, topics.ASSIGNMENTS, event)

    await eventually(lambda: _is(service, key, "queued"))
    row = await service.runtime.db.fetchrow("SELECT not_before, body FROM deliveries WHERE delivery_key = $1", key)
    assert row["not_before"] == MORNING
    assert number not in row["body"], "the queue keeps no phone number"
    assert gateway.to(number) == []

    queue = SmsQueue(built)
    assert await queue.run_once(MORNING - timedelta(minutes=1)) == 0
    assert gateway.to(number) == []
    assert await queue.run_once(MORNING) >= 1
    assert len(gateway.to(number)) == 1
    assert await status_of(service, key) == "sent"
    assert await service.runtime.db.fetchval("SELECT body FROM deliveries WHERE delivery_key = $1", key) is None

    # The same event again, and the queue again: nothing more is sent.
    notifier(service, MORNING + timedelta(hours=1))
    before = handled_waiting()
    await publish(sms_settings, topics.ASSIGNMENTS, event)
    await eventually(lambda: handled_waiting() >= before + 1)
    assert await queue.run_once(MORNING + timedelta(hours=2)) == 0
    assert len(gateway.to(number)) == 1
    assert await service.runtime.db.fetchval("SELECT attempts FROM deliveries WHERE delivery_key = $1", key) == 1


async def test_a_refused_number_fails_permanently(
    service: RunningService, sms_settings: Settings, gateway: Gateway, contacts: ContactServer
) -> None:
    notifier(service, DAY)
    case, number = phone_only(contacts, prefix="0699")
    event = waiting(case)
    await publish(sms_settings, topics.ASSIGNMENTS, event)

    key = delivery_key(event.id, "resident", "sms")
    await eventually(lambda: _is(service, key, "failed"))
    assert len(gateway.to(number)) == 1
    error = await service.runtime.db.fetchval("SELECT last_error FROM deliveries WHERE delivery_key = $1", key)
    assert error == "sms gateway HTTP 400"


async def _is(service: RunningService, key: str, status: str) -> bool:
    return await status_of(service, key) == status


def handled_waiting() -> float:
    labels = {"service": "notifications", "topic": topics.ASSIGNMENTS, "type": QuestionWaiting.ce_type}
    return REGISTRY.get_sample_value("samenloket_events_handled_total", labels) or 0.0


async def test_erasure_drops_a_queued_sms_and_the_opt_out(
    service: RunningService, sms_settings: Settings, gateway: Gateway, contacts: ContactServer
) -> None:
    built = notifier(service, NIGHT)
    case, number = phone_only(contacts)
    event = waiting(case)
    key = delivery_key(event.id, "resident", "sms")
    await publish(sms_settings, topics.ASSIGNMENTS, event)
    await eventually(lambda: _is(service, key, "queued"))
    ref = contacts.residents[case.question_id]["resident_ref"]
    await service.runtime.db.execute("INSERT INTO opt_outs (resident_ref_hash) VALUES ($1)", resident_ref_hash(ref))

    erasure = ResidentErasureRequested(
        resident_ref=ref, question_ids=[case.question_id], requested_at=datetime.now(UTC)
    )
    await publish(sms_settings, topics.PRIVACY, from_model(erasure, source="/samenloket/intake"))

    await eventually(lambda: _is(service, key, "skipped"))
    assert await service.runtime.db.fetchval("SELECT body FROM deliveries WHERE delivery_key = $1", key) is None
    assert not await service.runtime.db.fetchval(
        "SELECT count(*) FROM opt_outs WHERE resident_ref_hash = $1", resident_ref_hash(ref)
    )
    await SmsQueue(built).run_once(MORNING)
    assert gateway.to(number) == []
