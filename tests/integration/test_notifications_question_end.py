"""Notifications and the life of a question as a whole, on real infrastructure (PostgreSQL, the broker, a
real SMTP server, real HTTP peers for intake and matching): the resident's confirmation with their
reference and private link, a new link on request, and the end of a question: the supporters who were
told of the case hear it ended, the resident hears nothing more, and a supporter is never told of a
case that had already ended.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from prometheus_client import REGISTRY

from contracts import topics
from contracts.envelope import CloudEvent, from_model
from contracts.events import (
    QuestionClosed,
    QuestionReceived,
    QuestionWaiting,
    QuestionWithdrawn,
    Reason,
    StatusLinkRequested,
    SupporterAssigned,
)
from services.kit.settings import Settings
from tests.support.harness import RunningService, eventually, publish, run_service
from tests.support.notifications import ContactServer, MailBox, assigned_event, wired

pytestmark = pytest.mark.integration

INTAKE = "/samenloket/intake"
MATCHING = "/samenloket/matching"
LOKET = {"loket_name": "Samenloket Drechtsteden", "loket_phone": "078 770 80 90", "loket_email": "info@sl.example"}


@pytest.fixture(scope="module")
def notif_settings(settings: Settings, mailbox: MailBox, contacts: ContactServer) -> Settings:
    return wired(settings, mailbox, contacts, **LOKET)


@pytest.fixture(scope="module")
async def service(notif_settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("notifications", notif_settings) as running:
        yield running


class Case:
    """A question with its resident and up to two supporters, with unique ids and addresses."""

    def __init__(self, contacts: ContactServer, supporters: int = 1) -> None:
        tag = uuid.uuid4().hex[:10]
        self.contacts = contacts
        self.question_id = f"q-{tag}"
        self.resident_email = f"res-{tag}@example.nl"
        self.reference = "K7QM-" + tag[:4].upper()
        self.supporter_ids = [f"s{i}-{tag}" for i in range(supporters)]
        for i, sid in enumerate(self.supporter_ids):
            contacts.supporters[sid] = {
                "supporter_id": sid,
                "name": ["Fatima el Amrani", "Kees Jansen"][i],
                "email": f"{sid}@example.nl",
                "organisation": "MEE Plus",
            }
        contacts.residents[self.question_id] = {
            "question_id": self.question_id,
            "resident_ref": f"r-{tag}",
            "name": "Anna de Vries",
            "email": self.resident_email,
            "phone": None,
            "share_with_supporter": True,
            "status": "received",
            "reference": self.reference,
        }

    def set_status(self, status: str) -> None:
        self.contacts.residents[self.question_id]["status"] = status

    def received(self) -> CloudEvent:
        payload = QuestionReceived(
            question_id=self.question_id,
            resident_ref="r-x",
            municipality="GM0505",
            life_domains=["debts"],
            preferred_supporter_kind="any",
            languages=["nl"],
            postcode="3311",
            channel="web",
            received_at=datetime.now(UTC),
        )
        return from_model(payload, source=INTAKE)

    def assigned(self, index: int = 0) -> CloudEvent:
        other = self.supporter_ids[1 - index] if len(self.supporter_ids) == 2 else None
        return assigned_event(
            self.question_id,
            self.supporter_ids[index],
            assignment_id=f"a{index}-{self.question_id}",
            organisation="mee",
            partner_supporter_id=other,
        )

    def withdrawn(self) -> CloudEvent:
        payload = QuestionWithdrawn(
            question_id=self.question_id,
            municipality="GM0505",
            withdrawn_by="resident",
            reason=Reason(code="no_longer_needed", text="De inwoner heeft geen hulp meer nodig."),
            previous_status="assigned",
            withdrawn_at=datetime.now(UTC),
        )
        return from_model(payload, source=INTAKE)

    def closed(self, code: str) -> CloudEvent:
        payload = QuestionClosed(
            question_id=self.question_id,
            municipality="GM0505",
            reason=Reason(code=code, text="De vraag is afgesloten."),
            closed_at=datetime.now(UTC),
        )
        return from_model(payload, source=INTAKE)

    def waiting(self) -> CloudEvent:
        payload = QuestionWaiting(
            question_id=self.question_id, municipality="GM0505", eligible_supporters=1, since=datetime.now(UTC)
        )
        return from_model(payload, source=MATCHING)

    def supporter_email(self, index: int = 0) -> str:
        return f"{self.supporter_ids[index]}@example.nl"


def text_of(message: EmailMessage) -> str:
    parts: dict[str, Any] = {p.get_content_type(): p.get_content() for p in message.iter_parts()}
    return str(parts["text/plain"])


def html_of(message: EmailMessage) -> str:
    parts: dict[str, Any] = {p.get_content_type(): p.get_content() for p in message.iter_parts()}
    return str(parts["text/html"])


def assignments_handled() -> float:
    labels = {"service": "notifications", "topic": topics.ASSIGNMENTS, "type": SupporterAssigned.ce_type}
    return REGISTRY.get_sample_value("samenloket_events_handled_total", labels) or 0.0


async def handled(service: RunningService, event: CloudEvent) -> bool:
    return bool(
        await service.runtime.db.fetchval("SELECT 1 FROM deliveries WHERE cause_event_id LIKE $1", event.id + "%")
    )


async def ended_here(service: RunningService, case: Case) -> bool:
    return bool(
        await service.runtime.db.fetchval("SELECT 1 FROM question_ends WHERE question_id = $1", case.question_id)
    )


async def test_the_confirmation_names_the_reference_the_private_link_and_the_loket(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    case = Case(contacts)
    await publish(notif_settings, topics.QUESTIONS, case.received())
    await eventually(lambda: mailbox.to(case.resident_email))
    [mail] = mailbox.to(case.resident_email)
    assert mail["Subject"] == f"Wij hebben uw vraag ontvangen ({case.reference})"
    [link] = contacts.status_links[case.question_id]
    text, html = text_of(mail), html_of(mail)
    for part in (text, html):
        assert link in part and case.reference in part
        assert "078 770 80 90" in part and "info@sl.example" in part and "Samenloket Drechtsteden" in part
        assert "binnen 3 werkdagen" in part.lower() and "5 werkdagen" in part
    assert case.question_id not in text, "the resident reads their short reference, not the id"
    assert "word-break:break-all" in html, "a long link wraps on a phone"


async def test_a_withdrawal_reaches_the_supporters_told_of_the_case_and_nothing_more_the_resident(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    case = Case(contacts, supporters=2)
    await publish(notif_settings, topics.QUESTIONS, case.received())
    for index in (0, 1):
        await publish(notif_settings, topics.ASSIGNMENTS, case.assigned(index))
    await eventually(lambda: mailbox.to(case.supporter_email(0)) and mailbox.to(case.supporter_email(1)))
    await eventually(lambda: len(mailbox.to(case.resident_email)) == 3)  # confirmation, then one per supporter
    links = contacts.status_links[case.question_id]
    assert len(links) == 3, "each resident e-mail carries a link of its own"
    for mail in mailbox.to(case.resident_email):
        assert any(link in text_of(mail) for link in links)

    case.set_status("withdrawn")
    withdrawal = case.withdrawn()
    await publish(notif_settings, topics.QUESTIONS, withdrawal)
    await eventually(
        lambda: len(mailbox.to(case.supporter_email(0))) == 2 and len(mailbox.to(case.supporter_email(1))) == 2
    )
    for index in (0, 1):
        ended = mailbox.to(case.supporter_email(index))[1]
        assert ended["Subject"] == "Een vraag is ingetrokken: u hoeft niets meer te doen"
        body = text_of(ended)
        assert "De inwoner heeft de vraag ingetrokken" in body and "Geldzorgen en schulden" in body
        assert "Anna" not in body and case.resident_email not in body

    # Whatever still comes about the question, the resident hears nothing more (even were intake's
    # answer stale: the end known here holds).
    case.set_status("assigned")
    late = case.waiting()
    await publish(notif_settings, topics.ASSIGNMENTS, late)
    await eventually(lambda: handled(service, late))
    status = await service.runtime.db.fetchval("SELECT status FROM deliveries WHERE cause_event_id = $1", late.id)
    assert status == "skipped"
    assert len(mailbox.to(case.resident_email)) == 3
    # The same withdrawal again mails no one again.
    await publish(notif_settings, topics.QUESTIONS, withdrawal)
    await publish(notif_settings, topics.QUESTIONS, case.withdrawn())
    sentinel = Case(contacts)
    await publish(notif_settings, topics.QUESTIONS, sentinel.received())
    await eventually(lambda: mailbox.to(sentinel.resident_email))
    assert [len(mailbox.to(case.supporter_email(i))) for i in (0, 1)] == [2, 2]


async def test_a_supporter_is_never_told_of_a_case_that_already_ended(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    """The race: matching booked a supporter while the withdrawal travelled. Whichever event comes
    first here, the supporter gets no mail presenting it as a live case, and the resident gets nothing."""
    before = assignments_handled()
    # The withdrawal arrives first.
    first = Case(contacts)
    first.set_status("withdrawn")
    await publish(notif_settings, topics.QUESTIONS, first.withdrawn())
    await eventually(lambda: ended_here(service, first))
    first.set_status("received")  # even if intake's answer were stale, the end known here holds
    late = first.assigned()
    await publish(notif_settings, topics.ASSIGNMENTS, late)
    # The assignment arrives first, but intake already says the question was withdrawn.
    second = Case(contacts)
    second.set_status("withdrawn")
    await publish(notif_settings, topics.ASSIGNMENTS, second.assigned())

    await eventually(lambda: assignments_handled() >= before + 2)
    await publish(notif_settings, topics.QUESTIONS, second.withdrawn())
    await eventually(lambda: ended_here(service, second))
    for case in (first, second):
        assert mailbox.to(case.supporter_email()) == []
        assert mailbox.to(case.resident_email) == []
    told = await service.runtime.db.fetchval(
        "SELECT count(*) FROM question_supporters WHERE question_id = ANY($1::text[])",
        [first.question_id, second.question_id],
    )
    assert told == 0


async def test_a_closure_reaches_the_supporters_only_when_staff_closed_it(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    by_staff, support_ended = Case(contacts), Case(contacts)
    for case in (by_staff, support_ended):
        await publish(notif_settings, topics.ASSIGNMENTS, case.assigned())
        await eventually(lambda c=case: mailbox.to(c.supporter_email()))
    await publish(notif_settings, topics.QUESTIONS, support_ended.closed("completed"))
    await publish(notif_settings, topics.QUESTIONS, by_staff.closed("closed_by_staff"))
    await eventually(lambda: len(mailbox.to(by_staff.supporter_email())) == 2)
    assert mailbox.to(by_staff.supporter_email())[1]["Subject"] == "Een vraag is afgesloten: u hoeft niets meer te doen"
    await eventually(lambda: ended_here(service, support_ended))
    assert len(mailbox.to(support_ended.supporter_email())) == 1


async def test_a_new_link_on_request_goes_to_the_resident(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    case = Case(contacts)
    contacts.residents[case.question_id]["preferred_channel"] = "none"  # they asked: it comes anyway
    requested = StatusLinkRequested(question_id=case.question_id, municipality="GM0505", requested_at=datetime.now(UTC))
    await publish(notif_settings, topics.QUESTIONS, from_model(requested, source=INTAKE))
    await eventually(lambda: mailbox.to(case.resident_email))
    [mail] = mailbox.to(case.resident_email)
    assert mail["Subject"] == f"Uw nieuwe link naar uw vraag ({case.reference})"
    [link] = contacts.status_links[case.question_id]
    assert link in text_of(mail) and "De oude link werkt niet meer" in text_of(mail)
