"""Supporters' contact details are cached until matching announces a change; residents' never are.

On real infrastructure: the service consumes ``samenloket.supporters`` and forgets the supporter (here
and, by NOTIFY, in every process); the next mail goes to the address matching has then.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from contracts import topics
from contracts.envelope import CloudEvent, from_model
from contracts.events import SupporterUpdated
from services.kit.settings import Settings
from services.notifications.supporter_cache import CHANNEL, CachedContacts
from tests.support.harness import RunningService, eventually, publish, run_service
from tests.support.notifications import ContactServer, MailBox, assigned_event, wired

pytestmark = pytest.mark.integration

MATCHING = "/samenloket/matching"


@pytest.fixture(scope="module")
def notif_settings(settings: Settings, mailbox: MailBox, contacts: ContactServer) -> Settings:
    return wired(settings, mailbox, contacts)


@pytest.fixture(scope="module")
async def service(notif_settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("notifications", notif_settings) as running:
        yield running


def cache_of(service: RunningService) -> CachedContacts:
    cache = service.runtime.container.contacts
    assert isinstance(cache, CachedContacts)
    return cache


class Supporter:
    def __init__(self, contacts: ContactServer) -> None:
        self.tag = uuid.uuid4().hex[:10]
        self.id = f"s-{self.tag}"
        self.contacts = contacts
        contacts.supporters[self.id] = {
            "supporter_id": self.id,
            "name": "Fatima el Amrani",
            "email": f"sup-{self.tag}@example.nl",
            "organisation": "org-mee",
            "organisation_name": "MEE Plus",
        }

    @property
    def email(self) -> str:
        address: str = self.contacts.supporters[self.id]["email"]
        return address

    def assigned(self, resident_email: str | None = None, question_id: str | None = None) -> CloudEvent:
        """A new case for this supporter (with a resident who may be mailed when an address is given)."""
        question_id = question_id or f"q-{uuid.uuid4().hex[:10]}"
        if resident_email:
            self.contacts.residents[question_id] = {
                "question_id": question_id,
                "resident_ref": f"r-{question_id}",
                "name": "Anna de Vries",
                "email": resident_email,
                "phone": None,
                "share_with_supporter": True,
            }
        return assigned_event(question_id, self.id)

    def updated(self, changed: list[str]) -> CloudEvent:
        payload = SupporterUpdated(
            supporter_id=self.id,
            organisation="org-mee",
            kind="professional",
            municipalities=["GM0505"],
            life_domains=["debts"],
            languages=["nl"],
            capacity=5,
            changed=changed,
            updated_at=datetime.now(UTC),
        )
        return from_model(payload, source=MATCHING)


async def test_a_changed_supporter_address_is_used_for_the_next_mail(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    supporter = Supporter(contacts)
    old = supporter.email
    await publish(notif_settings, topics.ASSIGNMENTS, supporter.assigned())
    await eventually(lambda: mailbox.to(old))
    await eventually(lambda: cache_of(service).cached(supporter.id))

    new = f"nieuw-{supporter.tag}@example.nl"
    contacts.supporters[supporter.id]["email"] = new
    await publish(notif_settings, topics.SUPPORTERS, supporter.updated(["email"]))
    await eventually(lambda: not cache_of(service).cached(supporter.id))

    await publish(notif_settings, topics.ASSIGNMENTS, supporter.assigned())
    await eventually(lambda: mailbox.to(new))
    assert len(mailbox.to(old)) == 1, "the second case went to the new address only"


async def test_a_notify_from_another_process_makes_this_one_forget(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    supporter = Supporter(contacts)
    await publish(notif_settings, topics.ASSIGNMENTS, supporter.assigned())
    await eventually(lambda: mailbox.to(supporter.email))
    await eventually(lambda: cache_of(service).cached(supporter.id))

    # What the instance that consumed SupporterUpdated sends at its commit.
    await service.runtime.db.execute("SELECT pg_notify($1, $2)", CHANNEL, supporter.id)
    await eventually(lambda: not cache_of(service).cached(supporter.id))


async def test_resident_contact_details_are_asked_of_intake_for_every_delivery(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    supporter = Supporter(contacts)
    first = f"res-{supporter.tag}@example.nl"
    event = supporter.assigned(first)
    await publish(notif_settings, topics.ASSIGNMENTS, event)
    await eventually(lambda: mailbox.to(first))

    # The resident changes their address in intake; no event tells notifications, none is needed.
    question_id = str(event.data["question_id"])
    changed = f"res-nieuw-{supporter.tag}@example.nl"
    contacts.residents[question_id]["email"] = changed
    # Another assignment of the same question (a new event, so a new delivery to the resident).
    await publish(notif_settings, topics.ASSIGNMENTS, supporter.assigned(question_id=question_id))
    await eventually(lambda: mailbox.to(changed))
    assert not cache_of(service).cached(question_id)
