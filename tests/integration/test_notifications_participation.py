"""The invitation to share an experience after SupportEnded, on real infrastructure: PostgreSQL, the
broker, a real SMTP server and intake's internal endpoints served over real HTTP (contact details and
the personal link, ``tests/support/notifications.ContactServer``)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from contracts import topics
from contracts.envelope import CloudEvent, from_model
from contracts.events import Reason, SupportEnded
from services.kit.settings import Settings
from services.notifications.domain import EXPERIENCE_INVITATION_TEMPLATE, delivery_key, message_id
from services.notifications.handlers import Notifier
from services.notifications.participation import Participation
from services.notifications.preferences import opt_out_token
from services.notifications.sms import SmsQueue
from tests.integration.test_notifications_delivery import Case, parts
from tests.integration.test_notifications_sms import MORNING, NIGHT, Gateway
from tests.support.harness import RunningService, eventually, publish, run_service
from tests.support.notifications import TOKEN, ContactServer, MailBox, serving, wired

pytestmark = pytest.mark.integration

MATCHING = "/samenloket/matching"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SUBJECT = "Hoe was uw cliëntondersteuning? Vertel het ons"


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    with serving(Gateway()) as server:
        yield server


@pytest.fixture(scope="module")
def notif_settings(settings: Settings, mailbox: MailBox, contacts: ContactServer, gateway: Gateway) -> Settings:
    return wired(settings, mailbox, contacts, sms_gateway_url=gateway.url, sms_gateway_token=SecretStr("gw-secret"))


@pytest.fixture(scope="module")
async def service(notif_settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("notifications", notif_settings) as running:
        assert isinstance(running.runtime.container.participation, Participation)
        yield running


def ended(case: Case, supporter_id: str | None = None, reason: str = "completed") -> CloudEvent:
    payload = SupportEnded(
        question_id=case.question_id,
        assignment_id=f"a-{uuid.uuid4().hex[:8]}",
        supporter_id=supporter_id or case.supporter_id,
        organisation="org-mee",
        municipality="GM0505",
        reason=Reason(code=reason, text="De ondersteuning is klaar."),
        ended_at=datetime.now(UTC),
    )
    return from_model(payload, source=MATCHING)


async def invitation(service: RunningService, question_id: str) -> dict[str, object] | None:
    row = await service.runtime.db.fetchrow(
        "SELECT cause_event_id, status, reason FROM experience_invitations WHERE question_id = $1", question_id
    )
    return dict(row) if row else None


async def settled(service: RunningService, question_id: str) -> dict[str, object]:
    async def check() -> dict[str, object] | None:
        found = await invitation(service, question_id)
        return found if found and found["status"] != "pending" else None

    found = await eventually(check)
    assert isinstance(found, dict)
    return found


async def test_support_ended_sends_one_mail_with_the_personal_link(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    case = Case(contacts)
    # Intake may not have handled SupportEnded yet when notifications asks: a 409 is asked again.
    contacts.not_ended_yet[case.question_id] = 2
    event = ended(case)
    await publish(notif_settings, topics.ASSIGNMENTS, event)

    await eventually(lambda: mailbox.to(case.resident_email, confirmations=False))
    [mail] = mailbox.to(case.resident_email, confirmations=False)
    [link] = contacts.links[case.question_id]
    assert mail["Subject"] == SUBJECT
    assert mail["Message-ID"] == message_id(delivery_key(event.id, "resident", "email"))
    text, html = parts(mail)["text/plain"], parts(mail)["text/html"]
    assert link in text and f'href="{link}"' in html
    assert "Wist u waar u terecht kon, werd u snel geholpen en stond uw cliëntondersteuner aan uw kant?" in text
    assert "Het kost 2 minuten" in text and "Uw cliëntondersteuner ziet niet wat u invult" in text
    assert "slaat u het gewoon over" in text and "Beste Anna de Vries" in text
    assert re.search(r"De link werkt tot \d{1,2} [a-z]+ \d{4}\.", text)
    assert "/api/v1/opt-out?token=" in text, "the invitation carries the opt-out link like every resident mail"

    found = await settled(service, case.question_id)
    assert found["status"] == "sent" and found["reason"] is None
    log = await service.client.get("/api/v1/deliveries", headers=AUTH, params={"recipient_role": "resident"})
    [entry] = [d for d in log.json()["deliveries"] if d["question_id"] == case.question_id]
    assert entry["template"] == EXPERIENCE_INVITATION_TEMPLATE and entry["status"] == "sent"
    assert entry["cause_event_id"] == event.id
    assert link not in log.text, "the link is a capability: it is not kept in the delivery log"


async def test_duo_with_two_ends_and_a_redelivery_still_invites_once(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    case = Case(contacts)
    partner = Case(contacts)
    first, second = ended(case), ended(case, supporter_id=partner.supporter_id)
    for event in (first, second, first):
        await publish(notif_settings, topics.ASSIGNMENTS, event)
    later = Case(contacts)  # a question published after the duo's: once its mail is there, the duo's were handled
    await publish(notif_settings, topics.ASSIGNMENTS, ended(later))

    await eventually(
        lambda: (
            mailbox.to(case.resident_email, confirmations=False)
            and mailbox.to(later.resident_email, confirmations=False)
        )
    )
    await settled(service, case.question_id)
    assert len(mailbox.to(case.resident_email, confirmations=False)) == 1
    assert len(contacts.links[case.question_id]) == 1, "one link asked: a new one would break the one sent"
    found = await invitation(service, case.question_id)
    assert found is not None and found["status"] == "sent" and found["cause_event_id"] == first.id
    count = await service.runtime.db.fetchval(
        "SELECT count(*) FROM deliveries WHERE question_id = $1 AND template = $2",
        case.question_id,
        EXPERIENCE_INVITATION_TEMPLATE,
    )
    assert count == 1


async def test_intake_refusing_the_invitation_means_no_mail_recorded_as_skipped(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    case = Case(contacts)
    contacts.no_invitation.add(case.question_id)
    event = ended(case)
    await publish(notif_settings, topics.ASSIGNMENTS, event)

    found = await settled(service, case.question_id)
    assert found["status"] == "skipped"
    assert found["reason"] == "intake: already_shared: an experience was already shared"
    assert len(contacts.links.get(case.question_id, [])) == 0
    key = delivery_key(event.id, "resident", "email")
    log = await service.client.get("/api/v1/deliveries", headers=AUTH, params={"status": "skipped"})
    [entry] = [d for d in log.json()["deliveries"] if d["delivery_key"] == key]
    assert entry["template"] == EXPERIENCE_INVITATION_TEMPLATE
    failed = await service.client.get("/api/v1/deliveries", headers=AUTH, params={"status": "failed"})
    assert all(d["question_id"] != case.question_id for d in failed.json()["deliveries"])
    assert mailbox.to(case.resident_email, confirmations=False) == []
    assert case.question_id not in contacts.links

    # A later end of support (a duo's last one) may invite after all, once intake agrees.
    contacts.no_invitation.discard(case.question_id)
    last = ended(case, supporter_id=f"s-other-{uuid.uuid4().hex[:6]}")
    await publish(notif_settings, topics.ASSIGNMENTS, last)
    await eventually(lambda: mailbox.to(case.resident_email, confirmations=False))
    assert len(mailbox.to(case.resident_email, confirmations=False)) == 1
    assert (await settled(service, case.question_id))["cause_event_id"] == last.id


async def test_no_invitation_to_who_opted_out_chose_no_messages_or_moved_to_another_organisation(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    opted_out = Case(contacts)
    ref = contacts.residents[opted_out.question_id]["resident_ref"]
    key = service.runtime.container.notifier.opt_out_key
    done = await service.client.post("/api/v1/opt-out", params={"token": opt_out_token(key, ref)})
    assert done.status_code == 200

    silent = Case(contacts)
    contacts.residents[silent.question_id]["preferred_channel"] = "none"
    transferred = Case(contacts)

    events = {
        opted_out.question_id: ended(opted_out),
        silent.question_id: ended(silent),
        transferred.question_id: ended(transferred, reason="transferred"),
    }
    for event in events.values():
        await publish(notif_settings, topics.ASSIGNMENTS, event)

    reasons = {qid: (await settled(service, qid))["reason"] for qid in events}
    assert reasons[opted_out.question_id] == "opted out"
    assert "chose no messages" in str(reasons[silent.question_id])
    assert "another organisation" in str(reasons[transferred.question_id])
    for case in (opted_out, silent, transferred):
        assert mailbox.to(case.resident_email, confirmations=False) == []
        assert case.question_id not in contacts.links, "no link is asked for a message that will not go out"
    skipped = await service.runtime.db.fetchval(
        "SELECT status FROM deliveries WHERE delivery_key = $1",
        delivery_key(events[opted_out.question_id].id, "resident", "email"),
    )
    assert skipped == "skipped"


async def someone_waits_for_a_lock(service: RunningService) -> bool:
    waiting: bool = await service.runtime.db.fetchval(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted)"
    )
    return waiting


async def test_one_instance_at_a_time_invites_a_resident(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    """Another instance inviting the same resident (a rebalance) holds the question's lock: this one
    waits and asks intake for no link meanwhile, since a second link would break the first one's."""
    case = Case(contacts)
    async with service.runtime.db.acquire() as other_instance:
        lock = f"experience-invitation/{case.question_id}"
        assert await other_instance.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", lock)
        await publish(notif_settings, topics.ASSIGNMENTS, ended(case))
        await eventually(lambda: someone_waits_for_a_lock(service))
        assert case.question_id not in contacts.links and mailbox.to(case.resident_email, confirmations=False) == []
        await other_instance.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", lock)

    await eventually(lambda: mailbox.to(case.resident_email, confirmations=False))
    assert len(contacts.links[case.question_id]) == 1
    assert (await settled(service, case.question_id))["status"] == "sent"


async def test_by_sms_the_invitation_waits_out_the_night_and_keeps_its_whole_link(
    service: RunningService, notif_settings: Settings, gateway: Gateway, contacts: ContactServer
) -> None:
    case = Case(contacts)
    number = "06" + str(uuid.uuid4().int)[:8]
    contacts.residents[case.question_id].update({"email": None, "phone": number, "preferred_channel": "sms"})
    notifier = service.runtime.container.notifier
    assert isinstance(notifier, Notifier)
    notifier.clock = lambda: NIGHT
    try:
        event = ended(case)
        await publish(notif_settings, topics.ASSIGNMENTS, event)
        found = await settled(service, case.question_id)
    finally:
        notifier.clock = lambda: datetime.now(UTC)
    assert found["status"] == "queued"
    key = delivery_key(event.id, "resident", "sms")
    row = await service.runtime.db.fetchrow("SELECT status, not_before FROM deliveries WHERE delivery_key = $1", key)
    assert (row["status"], row["not_before"]) == ("queued", MORNING)
    assert gateway.to(number) == []

    queue = SmsQueue(notifier)
    assert await queue.run_once(MORNING - timedelta(minutes=1)) == 0
    assert await queue.run_once(MORNING) >= 1
    [sms] = gateway.to(number)
    [link] = contacts.links[case.question_id]
    assert sms["body"]["text"].endswith(" " + link) and len(sms["body"]["text"]) <= 160
    assert "gratis" in sms["body"]["text"] and "anoniem" in sms["body"]["text"]
    assert await service.runtime.db.fetchval("SELECT body FROM deliveries WHERE delivery_key = $1", key) is None
