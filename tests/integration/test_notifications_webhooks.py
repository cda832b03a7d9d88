"""Signed webhooks on real infrastructure: intake (served over real HTTP), notifications, the broker,
PostgreSQL and a real HTTP receiver that checks every signature with ``webhooks.verify``.

The receiver decides by the first part of the path: ``/ok/…`` answers 200, ``/flaky/…`` 503 twice
and then 200, ``/gone/…`` 410.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import uvicorn
from aiokafka import ConsumerRecord

from contracts.envelope import CloudEvent, from_model
from contracts.events import NotificationFailed, NotificationSent, Reason, ReferralStatusChanged, ReferralSubmitted
from contracts.topics import NOTIFICATIONS, REFERRALS_INBOUND, REFERRALS_STATUS, dlq
from services.kit import access, broker, db
from services.kit.runtime import create_app, load_spec
from services.kit.settings import Settings
from services.notifications.domain import delivery_key, notification_id
from services.notifications.webhooks import verify
from tests.support.harness import RunningService, events_of, eventually, publish, read_topic, run_service
from tests.support.notifications import serving

pytestmark = pytest.mark.integration

INTAKE = "/samenloket/intake"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- a real webhook receiver ----------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int


class Receiver:
    """A partner's HTTP endpoint, recording every request and the answer it gave."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.calls: dict[str, int] = {}
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer(self, path: str) -> int:
        with self.lock:
            self.calls[path] = self.calls.get(path, 0) + 1
            calls = self.calls[path]
        kind = path.strip("/").split("/")[0]
        if kind == "flaky":
            return 503 if calls <= 2 else 200
        return {"ok": 200, "gone": 410}.get(kind, 404)

    def to(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver.answer(self.path)
                with receiver.lock:
                    receiver.requests.append(Received(self.path, dict(self.headers.items()), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with serving(Receiver()) as server:
        yield server


# --- intake over real HTTP (notifications calls its internal endpoint), and notifications ---------


@pytest.fixture(scope="module")
async def intake_url(settings: Settings) -> AsyncIterator[str]:
    """Intake served by uvicorn on a free port, in a thread with its own event loop."""
    await broker.create_topics(settings)
    port = free_port()
    config = uvicorn.Config(
        create_app(load_spec("intake"), settings.model_copy(update={"webhooks_allow_private_addresses": True})),
        host="127.0.0.1",
        port=port,
        log_config=None,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    await eventually(lambda: server.started, timeout=60)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 30)


@pytest.fixture(scope="module")
async def notifications(settings: Settings, intake_url: str) -> AsyncIterator[RunningService]:
    async with run_service(
        "notifications",
        settings.model_copy(update={"intake_url": intake_url, "webhooks_allow_private_addresses": True}),
    ) as running:
        yield running


@dataclass(frozen=True)
class Partner:
    organisation: str
    path: str
    secret: str


async def register(settings: Settings, intake_url: str, receiver: Receiver, kind: str) -> Partner:
    """A partner organisation with a key, registering its webhook through intake's API."""
    org = f"partner-{uuid.uuid4().hex[:8]}"
    pool = await db.create_pool(settings.database_url, "intake", 1)
    try:
        async with pool.acquire() as conn:
            key = await access.create_key(conn, org, ["submit"])
    finally:
        await pool.close()
    path = f"/{kind}/{org}"
    async with httpx.AsyncClient(base_url=intake_url) as client:
        response = await client.put(
            "/api/v1/webhooks", json={"url": receiver.url + path}, headers={"Authorization": f"Bearer {key}"}
        )
    assert response.status_code == 200, response.text
    return Partner(org, path, response.json()["secret"])


def status_event(referrer: str, reference: str | None = None, status: str = "assigned") -> CloudEvent:
    payload = ReferralStatusChanged(
        question_id=str(uuid.uuid4()),
        referrer=referrer,
        partner_reference=reference or f"REF-{uuid.uuid4().hex[:8]}",
        municipality="GM0505",
        status=status,  # type: ignore[arg-type]
        previous_status="waiting",
        reason=Reason(code="assigned", text="Er is een cliëntondersteuner voor u gevonden."),
        changed_at=datetime.now(UTC),
    )
    return from_model(payload, source=INTAKE)


async def delivery(service: RunningService, event_id: str) -> dict[str, Any] | None:
    row = await service.runtime.db.fetchrow(
        "SELECT status, attempts, recipient_role, channel, template, last_error FROM deliveries"
        " WHERE delivery_key = $1",
        delivery_key(event_id, "partner", "webhook"),
    )
    return dict(row) if row else None


async def settled(service: RunningService, event_id: str) -> dict[str, Any] | None:
    row = await delivery(service, event_id)
    return row if row and row["status"] != "sending" else None


def outcomes(records: list[ConsumerRecord], ce_type: str, event_id: str) -> list[dict[str, Any]]:
    return [e.data for e in events_of(records, ce_type) if e.data["cause_event_id"] == event_id]


def assert_signed(request: Received, partner: Partner) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["content-type"] == "application/cloudevents+json"
    assert verify(partner.secret, headers["x-samenloket-timestamp"], request.body, headers["x-samenloket-signature"])
    assert not verify(
        "whsec_someone-else", headers["x-samenloket-timestamp"], request.body, headers["x-samenloket-signature"]
    )
    document: dict[str, Any] = json.loads(request.body)
    assert headers["x-samenloket-event-id"] == document["id"]
    return document


# --- tests ------------------------------------------------------------------------------------------


async def test_a_referral_closes_the_loop_with_a_signed_webhook(
    settings: Settings, intake_url: str, notifications: RunningService, receiver: Receiver
) -> None:
    partner = await register(settings, intake_url, receiver, "ok")
    tag = uuid.uuid4().hex[:8]
    referral = ReferralSubmitted.model_validate(
        {
            "municipality": "GM0505",
            "life_domains": ["debts"],
            "description": f"Hulp bij schulden {tag}.",
            "postcode": "3311",
            "contact": {"name": f"D. Smit {tag}", "email": f"d.smit.{tag}@example.nl"},
            "consent": {"share_with_supporter": True},
            "partner_reference": f"DOS-{tag}",
            "referrer": partner.organisation,
        }
    )
    await publish(settings, REFERRALS_INBOUND, from_model(referral, source="/partners/test"))

    [request] = await eventually(lambda: receiver.to(partner.path), timeout=30)  # type: ignore[misc]
    document = assert_signed(request, partner)
    assert {k: document[k] for k in ("specversion", "type", "source", "subject", "datacontenttype")} == {
        "specversion": "1.0",
        "type": ReferralStatusChanged.ce_type,
        "source": INTAKE,
        "subject": f"DOS-{tag}",
        "datacontenttype": "application/json",
    }
    data = document["data"]
    assert (data["referrer"], data["partner_reference"], data["status"]) == (
        partner.organisation,
        f"DOS-{tag}",
        "received",
    )
    assert data["reason"]["code"] == "received"
    for secret in (f"D. Smit {tag}", f"d.smit.{tag}@example.nl", f"Hulp bij schulden {tag}."):
        assert secret.encode() not in request.body

    row = await eventually(lambda: settled(notifications, document["id"]))
    assert isinstance(row, dict)
    assert (row["status"], row["attempts"], row["recipient_role"], row["channel"]) == ("sent", 1, "partner", "webhook")
    records = await read_topic(
        settings, NOTIFICATIONS, until=lambda rs: bool(outcomes(rs, NotificationSent.ce_type, document["id"]))
    )
    [sent] = outcomes(records, NotificationSent.ce_type, document["id"])
    assert (sent["channel"], sent["recipient_role"], sent["notification_id"]) == (
        "webhook",
        "partner",
        notification_id(delivery_key(document["id"], "partner", "webhook")),
    )


async def test_a_busy_receiver_gets_the_event_once_after_retries(
    settings: Settings, intake_url: str, notifications: RunningService, receiver: Receiver
) -> None:
    partner = await register(settings, intake_url, receiver, "flaky")
    event = status_event(partner.organisation)
    await publish(settings, REFERRALS_STATUS, event)

    row = await eventually(lambda: settled(notifications, event.id), timeout=30)
    assert isinstance(row, dict)
    assert (row["status"], row["attempts"]) == ("sent", 3)
    requests = receiver.to(partner.path)
    assert [r.answered for r in requests] == [503, 503, 200]
    assert all(assert_signed(r, partner)["id"] == event.id for r in requests)

    records = await read_topic(
        settings, NOTIFICATIONS, until=lambda rs: bool(outcomes(rs, NotificationSent.ce_type, event.id))
    )
    assert len(outcomes(records, NotificationSent.ce_type, event.id)) == 1
    assert outcomes(records, NotificationFailed.ce_type, event.id) == []


async def test_a_gone_receiver_fails_permanently_and_dead_letters(
    settings: Settings, intake_url: str, notifications: RunningService, receiver: Receiver
) -> None:
    partner = await register(settings, intake_url, receiver, "gone")
    event = status_event(partner.organisation)
    await publish(settings, REFERRALS_STATUS, event)

    records = await read_topic(
        settings, NOTIFICATIONS, until=lambda rs: bool(outcomes(rs, NotificationFailed.ce_type, event.id))
    )
    [failed] = outcomes(records, NotificationFailed.ce_type, event.id)
    assert (failed["permanent"], failed["attempts"], failed["channel"], failed["recipient_role"]) == (
        True,
        1,
        "webhook",
        "partner",
    )
    assert "410" in failed["reason"] and receiver.url not in failed["reason"]
    dead = await read_topic(
        settings,
        dlq(REFERRALS_STATUS),
        until=lambda rs: any(dict(r.headers).get("ce_id") == event.id.encode() for r in rs),
    )
    [letter] = [r for r in dead if dict(r.headers).get("ce_id") == event.id.encode()]
    assert b"failed permanently" in dict(letter.headers)["dlq_reason"]
    assert len(receiver.to(partner.path)) == 1
    row = await delivery(notifications, event.id)
    assert row is not None and row["status"] == "failed"


async def test_the_same_event_redelivered_is_not_posted_again(
    settings: Settings, intake_url: str, notifications: RunningService, receiver: Receiver
) -> None:
    partner = await register(settings, intake_url, receiver, "ok")
    reference = f"REF-{uuid.uuid4().hex[:8]}"
    event = status_event(partner.organisation, reference)
    marker = status_event(partner.organisation, reference, status="accepted")  # same key: handled after
    for e in (event, event, marker):
        await publish(settings, REFERRALS_STATUS, e)

    await eventually(lambda: settled(notifications, marker.id), timeout=30)
    ids = [json.loads(r.body)["id"] for r in receiver.to(partner.path)]
    assert ids == [event.id, marker.id]


async def test_a_partner_without_webhook_gets_nothing(
    settings: Settings, intake_url: str, notifications: RunningService, receiver: Receiver
) -> None:
    partner = await register(settings, intake_url, receiver, "ok")
    reference = f"REF-{uuid.uuid4().hex[:8]}"
    unhooked = status_event(f"partner-{uuid.uuid4().hex[:8]}", reference)
    marker = status_event(partner.organisation, reference)  # same key: handled after
    for e in (unhooked, marker):
        await publish(settings, REFERRALS_STATUS, e)

    await eventually(lambda: settled(notifications, marker.id), timeout=30)
    assert await delivery(notifications, unhooked.id) is None
    assert all(json.loads(r.body)["id"] != unhooked.id for r in receiver.requests)
