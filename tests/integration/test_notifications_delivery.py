"""Notifications on real infrastructure: PostgreSQL, the broker, a real SMTP server and real HTTP contact endpoints.

The SMTP server (aiosmtpd) decides by the recipient's local part: ``reject-…`` is refused with 550,
``flaky-…`` gets 451 twice and is then accepted, anything else is accepted at once.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from prometheus_client import REGISTRY

from contracts import topics
from contracts.envelope import CloudEvent, from_model
from contracts.events import NotificationFailed, NotificationSent, QuestionReceived, SupporterAssigned
from services.kit.settings import Settings
from services.notifications.domain import delivery_key, message_id, notification_id
from tests.support.harness import RunningService, events_of, eventually, publish, read_topic, run_service
from tests.support.notifications import TOKEN, ContactServer, MailBox, assigned_event, wired

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def notif_settings(settings: Settings, mailbox: MailBox, contacts: ContactServer) -> Settings:
    return wired(
        settings,
        mailbox,
        contacts,
        matching_public_url="https://ondersteuners.example.nl",
        loket_name="Samenloket Drechtsteden",
        loket_phone="078 000 00 00",
        loket_email="loket@samenloket.example.nl",
    )


@pytest.fixture(scope="module")
async def service(notif_settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("notifications", notif_settings) as running:
        yield running


# --- helpers --------------------------------------------------------------------------------------


class Case:
    """A question, its supporter and (optionally) its resident, with unique ids and addresses."""

    def __init__(
        self,
        contacts: ContactServer,
        *,
        supporter_local: str = "sup",
        resident: bool = True,
        resident_email: bool = True,
        share: bool = True,
    ) -> None:
        tag = uuid.uuid4().hex[:10]
        self.question_id = f"q-{tag}"
        self.supporter_id = f"s-{tag}"
        self.supporter_email = f"{supporter_local}-{tag}@example.nl"
        self.resident_email = f"res-{tag}@example.nl"
        contacts.supporters[self.supporter_id] = {
            "supporter_id": self.supporter_id,
            "name": "Fatima el Amrani",
            "email": self.supporter_email,
            "organisation": "org-mee",
            "organisation_name": "MEE Plus",
        }
        if resident:
            contacts.residents[self.question_id] = {
                "question_id": self.question_id,
                "resident_ref": f"r-{tag}",
                "name": "Anna de Vries",
                "email": self.resident_email if resident_email else None,
                "phone": None,
                "share_with_supporter": share,
            }

    def assigned(self) -> CloudEvent:
        return assigned_event(self.question_id, self.supporter_id)

    def received(self) -> CloudEvent:
        payload = QuestionReceived(
            question_id=self.question_id,
            resident_ref="r-x",
            municipality="GM0505",
            life_domains=["debts", "housing"],
            preferred_supporter_kind="any",
            languages=["nl", "ar"],
            postcode="3311",
            channel="web",
            received_at=datetime.now(UTC),
            meeting_preference="home",
            needs=["interpreter"],
        )
        return from_model(payload, source="/samenloket/intake")


def handled_count() -> float:
    labels = {"service": "notifications", "topic": topics.ASSIGNMENTS, "type": SupporterAssigned.ce_type}
    return REGISTRY.get_sample_value("samenloket_events_handled_total", labels) or 0.0


def counter(name: str) -> float:
    return REGISTRY.get_sample_value(name, {"channel": "email"}) or 0.0


async def deliveries_of(service: RunningService, event: CloudEvent) -> dict[str, dict[str, Any]]:
    rows = await service.runtime.db.fetch(
        "SELECT * FROM deliveries WHERE cause_event_id = $1 ORDER BY recipient_role", event.id
    )
    return {r["recipient_role"]: dict(r) for r in rows}


def caused_by(records: list[ConsumerRecord], ce_type: str, event: CloudEvent) -> list[CloudEvent]:
    return [e for e in events_of(records, ce_type) if e.data["cause_event_id"] == event.id]


def parts(message: EmailMessage) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.iter_parts()}


# --- tests ----------------------------------------------------------------------------------------


async def test_supporter_and_resident_are_mailed_once(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    case = Case(contacts)
    await publish(notif_settings, topics.QUESTIONS, case.received())
    await eventually(
        lambda: service.runtime.db.fetchval("SELECT 1 FROM questions WHERE question_id = $1", case.question_id)
    )
    event = case.assigned()
    await publish(notif_settings, topics.ASSIGNMENTS, event)

    await eventually(lambda: mailbox.to(case.supporter_email) and mailbox.to(case.resident_email, confirmations=False))
    to_supporter = mailbox.to(case.supporter_email)[0]
    to_resident = mailbox.to(case.resident_email, confirmations=False)[0]
    assert to_supporter["Message-ID"] == message_id(delivery_key(event.id, "supporter", "email"))
    assert to_resident["Message-ID"] == message_id(delivery_key(event.id, "resident", "email"))
    supporter_parts, resident_parts = parts(to_supporter), parts(to_resident)
    assert set(supporter_parts) == set(resident_parts) == {"text/plain", "text/html"}
    supporter_text = supporter_parts["text/plain"]
    assert "Geldzorgen en schulden" in supporter_text
    assert "Talen: Nederlands, Arabisch" in supporter_text and "Afspreken: Bij de inwoner thuis" in supporter_text
    assert "Heeft nodig: Tolk" in supporter_text
    # The case page on matching's public address: never the JSON API, never the resident's name or address.
    assert f'href="https://ondersteuners.example.nl/mijn-vragen/{case.question_id}"' in supporter_parts["text/html"]
    assert "/api/v1/questions" not in supporter_text + supporter_parts["text/html"]
    assert "Anna" not in supporter_text and case.resident_email not in supporter_text
    assert "Fatima el Amrani" in resident_parts["text/plain"]
    assert "van MEE Plus." in resident_parts["text/plain"] and "org-mee" not in resident_parts["text/plain"]
    assert "3 werkdagen" in resident_parts["text/html"]
    for text in (supporter_text, resident_parts["text/plain"]):
        assert "Samenloket Drechtsteden: bel 078 000 00 00 of mail naar loket@samenloket.example.nl" in text
        assert "U kunt er niet op antwoorden" not in text
    assert all(auth == f"Bearer {TOKEN}" for auth in contacts.authorizations)

    records = await read_topic(
        notif_settings, topics.NOTIFICATIONS, until=lambda r: len(caused_by(r, NotificationSent.ce_type, event)) == 2
    )
    sent = caused_by(records, NotificationSent.ce_type, event)
    assert {e.data["recipient_role"] for e in sent} == {"supporter", "resident"}
    assert {e.subject for e in sent} == {
        notification_id(delivery_key(event.id, role, "email")) for role in ("supporter", "resident")
    }
    assert all(e.data["question_id"] == case.question_id for e in sent)
    assert not any(b"@" in r.value for r in records), "events on shared topics carry no addresses"

    rows = await deliveries_of(service, event)
    assert {role: (r["status"], r["attempts"]) for role, r in rows.items()} == {
        "resident": ("sent", 1),
        "supporter": ("sent", 1),
    }
    assert "@" not in json.dumps(list(rows.values()), default=str).replace("@samenloket.local", "")

    # The same event again (same ce_id): handled, but nothing is sent and nothing is counted again.
    before = handled_count()
    await publish(notif_settings, topics.ASSIGNMENTS, event)
    await eventually(lambda: handled_count() >= before + 1)
    assert len(mailbox.to(case.supporter_email)) == 1
    assert len(mailbox.to(case.resident_email, confirmations=False)) == 1
    rows = await deliveries_of(service, event)
    assert [r["attempts"] for r in rows.values()] == [1, 1]


@pytest.mark.parametrize(
    ("options", "why"),
    [
        ({"share": False}, "no consent"),
        ({"resident_email": False}, "no address"),
        ({"resident": False}, "intake answers 404"),
    ],
)
async def test_resident_is_mailed_only_with_address_and_consent(
    service: RunningService,
    notif_settings: Settings,
    mailbox: MailBox,
    contacts: ContactServer,
    options: dict[str, Any],
    why: str,
) -> None:
    case = Case(contacts, **options)
    event = case.assigned()
    before = handled_count()
    await publish(notif_settings, topics.ASSIGNMENTS, event)

    await eventually(lambda: handled_count() >= before + 1 and mailbox.to(case.supporter_email))
    rows = await deliveries_of(service, event)
    assert list(rows) == ["supporter"], why
    assert mailbox.to(case.resident_email, confirmations=False) == [], why


async def test_smtp_550_fails_permanently_and_dead_letters(
    service: RunningService, notif_settings: Settings, contacts: ContactServer
) -> None:
    failed_before = counter("samenloket_notifications_failed_total")
    case = Case(contacts, supporter_local="reject", resident=False)
    event = case.assigned()
    await publish(notif_settings, topics.ASSIGNMENTS, event)

    records = await read_topic(
        notif_settings, topics.NOTIFICATIONS, until=lambda r: bool(caused_by(r, NotificationFailed.ce_type, event))
    )
    [failure] = caused_by(records, NotificationFailed.ce_type, event)
    assert failure.data["permanent"] is True
    assert failure.data["recipient_role"] == "supporter"
    assert failure.data["attempts"] == 1
    assert failure.data["reason"].startswith("smtp 550")
    assert "@" not in failure.data["reason"]

    dlq = await read_topic(
        notif_settings,
        topics.dlq(topics.ASSIGNMENTS),
        until=lambda r: any(dict(m.headers).get("ce_id") == event.id.encode() for m in r),
    )
    [dead] = [m for m in dlq if dict(m.headers).get("ce_id") == event.id.encode()]
    assert dict(dead.headers)["dlq_exception_type"] == b"PermanentError"

    rows = await deliveries_of(service, event)
    assert rows["supporter"]["status"] == "failed"
    assert rows["supporter"]["last_error"].startswith("smtp 550")
    assert counter("samenloket_notifications_failed_total") == failed_before + 1


async def test_smtp_451_is_retried_and_the_mail_arrives_once(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    retried_before = counter("samenloket_notifications_retried_total")
    case = Case(contacts, supporter_local="flaky", resident=False)
    event = case.assigned()
    await publish(notif_settings, topics.ASSIGNMENTS, event)

    records = await read_topic(
        notif_settings, topics.NOTIFICATIONS, until=lambda r: bool(caused_by(r, NotificationSent.ce_type, event))
    )
    assert len(caused_by(records, NotificationSent.ce_type, event)) == 1
    assert len(mailbox.to(case.supporter_email)) == 1
    assert mailbox.deferred[case.supporter_email] == 3
    row = (await deliveries_of(service, event))["supporter"]
    assert (row["status"], row["attempts"]) == ("sent", 3)
    assert row["last_error"].startswith("smtp 451")
    assert counter("samenloket_notifications_retried_total") == retried_before + 2


async def test_contact_service_hiccup_is_retried(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    case = Case(contacts, resident=False)
    contacts.unavailable[case.supporter_id] = 1
    event = case.assigned()
    await publish(notif_settings, topics.ASSIGNMENTS, event)

    await eventually(lambda: mailbox.to(case.supporter_email))
    assert contacts.unavailable[case.supporter_id] == 0
    assert (await deliveries_of(service, event))["supporter"]["attempts"] == 1


async def test_unknown_supporter_is_dead_lettered(
    service: RunningService, notif_settings: Settings, contacts: ContactServer
) -> None:
    case = Case(contacts)
    del contacts.supporters[case.supporter_id]
    event = case.assigned()
    await publish(notif_settings, topics.ASSIGNMENTS, event)

    dlq = await read_topic(
        notif_settings,
        topics.dlq(topics.ASSIGNMENTS),
        until=lambda r: any(dict(m.headers).get("ce_id") == event.id.encode() for m in r),
    )
    [dead] = [m for m in dlq if dict(m.headers).get("ce_id") == event.id.encode()]
    assert b"supporter" in dict(dead.headers)["dlq_reason"]
    assert await deliveries_of(service, event) == {}


async def test_a_crash_after_sending_resends_with_the_same_message_id(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    case = Case(contacts, resident=False)
    event = case.assigned()
    key = delivery_key(event.id, "supporter", "email")
    # What a crash between sending and committing "sent" leaves behind: a claimed row.
    await service.runtime.db.execute(
        "INSERT INTO deliveries (delivery_key, message_id, status, attempts, recipient_role, channel, template,"
        " question_id, cause_event_id) VALUES ($1, $2, 'sending', 1, 'supporter', 'email', 'supporter_new_case',"
        " $3, $4)",
        key,
        message_id(key),
        case.question_id,
        event.id,
    )
    await publish(notif_settings, topics.ASSIGNMENTS, event)

    await eventually(lambda: mailbox.to(case.supporter_email))
    assert [m["Message-ID"] for m in mailbox.to(case.supporter_email)] == [message_id(key)]
    # The SMTP server has the mail a moment before the row says "sent": wait for the commit.
    await eventually(lambda: _statuses(service, event, {"supporter": "sent"}))
    row = (await deliveries_of(service, event))["supporter"]
    assert (row["status"], row["attempts"]) == ("sent", 2)


async def test_delivery_log_endpoint(
    service: RunningService, notif_settings: Settings, contacts: ContactServer
) -> None:
    case = Case(contacts, supporter_local="reject")
    event = case.assigned()
    started = datetime.now(UTC) - timedelta(seconds=1)
    await publish(notif_settings, topics.ASSIGNMENTS, event)
    await eventually(lambda: _statuses(service, event, {"supporter": "failed", "resident": "sent"}))

    client = service.client
    assert (await client.get("/api/v1/deliveries")).status_code == 401
    assert (await client.get("/api/v1/deliveries", headers={"Authorization": "Bearer wrong"})).status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}

    everything = (await client.get("/api/v1/deliveries", headers=auth)).json()
    created = [d["created_at"] for d in everything["deliveries"]]
    assert created == sorted(created, reverse=True)
    assert everything["count"] == len(everything["deliveries"]) <= 500

    params = {"status": "failed", "recipient_role": "supporter", "since": started.isoformat()}
    failed = (await client.get("/api/v1/deliveries", headers=auth, params=params)).json()["deliveries"]
    mine = [d for d in failed if d["cause_event_id"] == event.id]
    assert len(mine) == 1
    assert mine[0]["notification_id"] == notification_id(delivery_key(event.id, "supporter", "email"))
    assert all(d["status"] == "failed" and d["recipient_role"] == "supporter" for d in failed)

    later = (await client.get("/api/v1/deliveries", headers=auth, params={"since": _future()})).json()
    assert later["deliveries"] == []
    earlier = (await client.get("/api/v1/deliveries", headers=auth, params={"until": started.isoformat()})).json()
    assert not any(d["cause_event_id"] == event.id for d in earlier["deliveries"])

    bad = await client.get("/api/v1/deliveries", headers=auth, params={"status": "lost"})
    assert bad.status_code == 422
    assert "status" in bad.text

    metrics = (await client.get("/metrics")).text
    assert 'samenloket_notifications_sent_total{channel="email"}' in metrics
    assert 'samenloket_notifications_failed_total{channel="email"}' in metrics


async def _statuses(service: RunningService, event: CloudEvent, expected: dict[str, str]) -> bool:
    rows = await deliveries_of(service, event)
    return {role: r["status"] for role, r in rows.items()} == expected


def _future() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()
