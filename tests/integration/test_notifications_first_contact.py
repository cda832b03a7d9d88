"""Late first contact mails, on real infrastructure: FirstContactOverdue on the assignments topic, a
real SMTP server and real HTTP endpoints for matching's internal routes (supporter contact, and the
organisation's coordinator address).

The reminder reaches the supporter with the link to their page of the question; the escalation the
coordinator of the supporter's organisation, or the general coordinator address when the organisation
set none; a redelivered event sends nothing twice.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from contracts import topics
from contracts.envelope import CloudEvent, from_model
from contracts.events import FirstContactOverdue, QuestionReceived
from services.kit.settings import Settings
from services.notifications.domain import delivery_key, message_id
from tests.integration.test_notifications_delivery import parts
from tests.support.harness import RunningService, eventually, publish, run_service
from tests.support.notifications import TOKEN, ContactServer, MailBox, serving

pytestmark = pytest.mark.integration

GENERAL = "overleg@loket.example.nl"
PAGES = "https://hulp.samenloket.example.nl"


class MatchingServer(ContactServer):
    """The contact endpoints, plus matching's ``/internal/v1/organisations/{id}/coordinator``."""

    def __init__(self) -> None:
        self.organisations: dict[str, dict[str, Any]] = {}
        super().__init__()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        base = super()._handler()
        server = self

        class Handler(base):  # type: ignore[misc,valid-type]
            def do_GET(self) -> None:
                match = re.fullmatch(r"/internal/v1/organisations/([^/]+)/coordinator", self.path)
                if match is None:
                    return super().do_GET()  # type: ignore[no-any-return]
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._reply(401, {"detail": "no valid token"})  # type: ignore[no-any-return]
                found = server.organisations.get(match.group(1))
                if found is None:
                    return self._reply(404, {"detail": "unknown organisation"})  # type: ignore[no-any-return]
                return self._reply(200, found)  # type: ignore[no-any-return]

        return Handler


@pytest.fixture(scope="module")
def matching_server() -> Iterator[MatchingServer]:
    with serving(MatchingServer()) as server:
        yield server


@pytest.fixture(scope="module")
def notif_settings(settings: Settings, mailbox: MailBox, matching_server: MatchingServer) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": mailbox.port,
            "smtp_tls": "none",
            "intake_url": matching_server.url,
            "matching_url": matching_server.url,
            "matching_public_url": PAGES,
            "coordinator_email": GENERAL,
            "loket_name": "Samenloket Drechtsteden",
        }
    )


@pytest.fixture(scope="module")
async def service(notif_settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("notifications", notif_settings) as running:
        yield running


class Late:
    """A question whose supporter (of a fresh organisation) has not reached the resident."""

    def __init__(self, server: MatchingServer, coordinator: str | None) -> None:
        tag = uuid.uuid4().hex[:10]
        self.question_id = f"{tag}-q"
        self.supporter_id = f"s-{tag}"
        self.organisation = f"org-{tag}"
        self.supporter_email = f"sup-{tag}@example.nl"
        server.supporters[self.supporter_id] = {
            "supporter_id": self.supporter_id,
            "name": "Fatima el Amrani",
            "email": self.supporter_email,
            "organisation": self.organisation,
        }
        server.organisations[self.organisation] = {
            "organisation": self.organisation,
            "name": "MEE Plus",
            "coordinator_email": coordinator,
        }

    def received(self) -> CloudEvent:
        payload = QuestionReceived(
            question_id=self.question_id,
            resident_ref=f"r-{self.question_id}",
            municipality="GM0590",
            life_domains=["debts", "housing"],
            preferred_supporter_kind="any",
            languages=["nl"],
            postcode="3351",
            channel="web",
            received_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        )
        return from_model(payload, source="/samenloket/intake")

    def overdue(self, stage: str) -> CloudEvent:
        payload = FirstContactOverdue(
            question_id=self.question_id,
            assignment_id=f"a-{self.question_id}",
            supporter_id=self.supporter_id,
            organisation=self.organisation,
            municipality="GM0590",
            stage=stage,  # type: ignore[arg-type]
            assigned_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
            working_days=2 if stage == "reminder" else 3,
            noticed_at=datetime(2026, 3, 5, 9, 0, tzinfo=UTC),
        )
        return from_model(payload, source="/samenloket/matching")


async def status_of(service: RunningService, key: str) -> str | None:
    found: str | None = await service.runtime.db.fetchval("SELECT status FROM deliveries WHERE delivery_key = $1", key)
    return found


async def test_the_reminder_reaches_the_supporter_with_the_link_to_the_question(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, matching_server: MatchingServer
) -> None:
    late = Late(matching_server, "coordinatie@mee.example.nl")
    await publish(notif_settings, topics.QUESTIONS, late.received())
    await eventually(
        lambda: service.runtime.db.fetchval("SELECT 1 FROM questions WHERE question_id = $1", late.question_id)
    )
    event = late.overdue("reminder")
    await publish(notif_settings, topics.ASSIGNMENTS, event)

    await eventually(lambda: mailbox.to(late.supporter_email))
    [mail] = mailbox.to(late.supporter_email)
    assert mail["Subject"] == "Herinnering: neem contact op met de inwoner uit Papendrecht"
    assert mail["Message-ID"] == message_id(delivery_key(event.id, "supporter", "email"))
    text = parts(mail)["text/plain"]
    assert "Op 2 maart 2026 kreeg u een vraag van een inwoner uit Papendrecht" in text
    assert "2 werkdagen geleden" in text and "Geldzorgen en schulden, Wonen" in text
    assert f"{PAGES}/mijn-vragen/{late.question_id}" in text
    assert f'href="{PAGES}/mijn-vragen/{late.question_id}"' in parts(mail)["text/html"]
    assert "Samenloket Drechtsteden" in text
    await eventually(lambda: _is(service, delivery_key(event.id, "supporter", "email"), "sent"))
    assert await roles(service, event) == ["supporter"]  # the reminder tells nobody else


async def test_the_escalation_reaches_the_coordinator_of_the_supporters_organisation_once(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, matching_server: MatchingServer
) -> None:
    coordinator = f"coordinatie-{uuid.uuid4().hex[:8]}@mee.example.nl"
    late = Late(matching_server, coordinator)
    event = late.overdue("escalation")
    await publish(notif_settings, topics.ASSIGNMENTS, event)
    await eventually(lambda: mailbox.to(coordinator))
    key = delivery_key(event.id, "coordinator", "email")
    await eventually(lambda: _is(service, key, "sent"))

    # The same event again (a redelivery): nothing is sent twice.
    await publish(notif_settings, topics.ASSIGNMENTS, event)
    sentinel = Late(matching_server, coordinator)
    await publish(notif_settings, topics.ASSIGNMENTS, sentinel.overdue("escalation"))
    await eventually(lambda: len(mailbox.to(coordinator)) >= 2)
    mine = [m for m in mailbox.to(coordinator) if late.question_id[:8].upper() in str(m["Subject"])]
    [mail] = mine
    assert (
        mail["Subject"] == f"Te laat: nog geen eerste contact bij vraag {late.question_id[:8].upper()} uit Papendrecht"
    )
    text = parts(mail)["text/plain"]
    assert "Beste coördinator van MEE Plus," in text
    assert "Fatima el Amrani van uw organisatie kreeg op 2 maart 2026 een vraag" in text
    assert f"{PAGES}/overleg#te-laat" in text
    assert await roles(service, event) == ["coordinator"]
    assert mailbox.to(late.supporter_email) == []


async def test_without_an_organisation_address_the_general_coordinator_hears_it(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, matching_server: MatchingServer
) -> None:
    late = Late(matching_server, None)
    event = late.overdue("escalation")
    await publish(notif_settings, topics.ASSIGNMENTS, event)

    def mine() -> list[Any]:
        return [m for m in mailbox.to(GENERAL) if late.question_id[:8].upper() in str(m["Subject"])]

    await eventually(mine)
    assert "Beste coördinator van MEE Plus," in parts(mine()[0])["text/plain"]
    assert mailbox.to(late.supporter_email) == []


async def roles(service: RunningService, event: CloudEvent) -> list[str]:
    """The recipients' roles of every delivery the event caused."""
    rows = await service.runtime.db.fetch(
        "SELECT delivery_key FROM deliveries WHERE delivery_key LIKE $1 ORDER BY delivery_key", f"{event.id}/%"
    )
    return [r["delivery_key"].split("/")[1] for r in rows]


async def _is(service: RunningService, key: str, status: str) -> bool:
    return await status_of(service, key) == status
