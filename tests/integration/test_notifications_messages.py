"""Who hears what, on real infrastructure: waiting list, consultation (resident and coordinator), duo,
the daily digest of signals (collected from SignalRaised, sent on demand), template previews, and the
operator key on the operator endpoints. Real SMTP (aiosmtpd) and real HTTP contact endpoints."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest

from contracts import topics
from contracts.envelope import CloudEvent, from_model
from contracts.events import (
    CandidateVerdict,
    ConsultationRequired,
    QuestionWaiting,
    Reason,
    SignalRaised,
    SupporterAssigned,
)
from contracts.references import reference_of
from services.kit import access
from services.kit.settings import Settings
from services.notifications.domain import delivery_key, message_id
from services.notifications.rendering import TEMPLATES
from tests.integration.test_notifications_delivery import Case, parts
from tests.support.harness import RunningService, eventually, publish, run_service
from tests.support.notifications import TOKEN, ContactServer, MailBox, wired

pytestmark = pytest.mark.integration

MATCHING = "/samenloket/matching"
COORDINATOR = "coordinators@example.nl"
DIGEST = "gemeente-digest@example.nl"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def notif_settings(settings: Settings, mailbox: MailBox, contacts: ContactServer) -> Settings:
    return wired(settings, mailbox, contacts, coordinator_email=COORDINATOR, digest_email=DIGEST)


@pytest.fixture(scope="module")
async def service(notif_settings: Settings) -> AsyncIterator[RunningService]:
    async with run_service("notifications", notif_settings) as running:
        yield running


def waiting(case: Case) -> CloudEvent:
    payload = QuestionWaiting(
        question_id=case.question_id, municipality="GM0505", eligible_supporters=2, since=datetime.now(UTC)
    )
    return from_model(payload, source=MATCHING)


def consultation(case: Case) -> CloudEvent:
    payload = ConsultationRequired(
        question_id=case.question_id,
        municipality="GM0505",
        reason=Reason(code="no_candidate", text="Geen ondersteuner voldoet aan de regels."),
        candidates=[
            CandidateVerdict(
                supporter_id=case.supporter_id,
                organisation="org-mee",
                failed_rules=[Reason(code="language", text="Spreekt geen Tigrinya.")],
            )
        ],
        required_at=datetime.now(UTC),
    )
    return from_model(payload, source=MATCHING)


def signal(theme: str) -> CloudEvent:
    payload = SignalRaised(
        signal_id=f"sig-{uuid.uuid4().hex[:10]}",
        theme=theme,  # type: ignore[arg-type]
        municipality="GM0505",
        level="local",
        raised_by="supporter",
        raised_at=datetime.now(UTC),
    )
    return from_model(payload, source="/samenloket/intake")


async def test_waiting_list_mail_reaches_the_resident(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    case = Case(contacts)
    event = waiting(case)
    await publish(notif_settings, topics.ASSIGNMENTS, event)

    await eventually(lambda: mailbox.to(case.resident_email, confirmations=False))
    [mail] = mailbox.to(case.resident_email, confirmations=False)
    assert mail["Subject"] == "U staat op de wachtlijst voor cliëntondersteuning"
    assert mail["Message-ID"] == message_id(delivery_key(event.id, "resident", "email"))
    assert "Zodra iemand tijd heeft" in parts(mail)["text/plain"]
    assert mailbox.to(case.supporter_email) == []


async def test_consultation_reaches_resident_and_coordinators(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    case = Case(contacts)
    event = consultation(case)
    await publish(notif_settings, topics.ASSIGNMENTS, event)

    def coordinator_mail() -> list[object]:
        return [m for m in mailbox.to(COORDINATOR) if reference_of(case.question_id, None) in str(m["Subject"])]

    await eventually(lambda: mailbox.to(case.resident_email, confirmations=False) and coordinator_mail())
    [resident] = mailbox.to(case.resident_email, confirmations=False)
    assert resident["Subject"] == "Een team kijkt samen naar uw vraag"
    [coordinator] = [m for m in mailbox.to(COORDINATOR) if reference_of(case.question_id, None) in str(m["Subject"])]
    text = parts(coordinator)["text/plain"]
    assert "Geen ondersteuner voldoet aan de regels." in text
    # Candidates by name and organisation name (from matching's internal supporter call), the overleg linked.
    assert "- Fatima el Amrani (MEE Plus): Spreekt geen Tigrinya." in text
    assert case.supporter_id not in text and "org-mee" not in text
    assert f"{contacts.url}/overleg#vraag-{case.question_id}" in text
    assert "/api/v1/questions" not in text
    assert coordinator["Message-ID"] == message_id(delivery_key(event.id, "coordinator", "email"))


async def test_duo_resident_mail_names_both_supporters(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    case = Case(contacts)
    partner = Case(contacts)
    contacts.supporters[partner.supporter_id]["name"] = "Kees Jansen"
    payload = SupporterAssigned.model_validate(case.assigned().data)
    duo = from_model(payload.model_copy(update={"partner_supporter_id": partner.supporter_id}), source=MATCHING)
    await publish(notif_settings, topics.ASSIGNMENTS, duo)

    await eventually(lambda: mailbox.to(case.resident_email, confirmations=False))
    text = parts(mailbox.to(case.resident_email, confirmations=False)[0])["text/plain"]
    assert "U krijgt twee cliëntondersteuners." in text
    assert "De tweede cliëntondersteuner is Kees Jansen van MEE Plus." in text


async def test_daily_digest_groups_the_days_signals_once(
    service: RunningService, notif_settings: Settings, mailbox: MailBox
) -> None:
    events = [signal("waiting_times"), signal("waiting_times"), signal("reachability")]
    for event in events:
        await publish(notif_settings, topics.SIGNALS, event)
    ids = [e.data["signal_id"] for e in events]
    await eventually(
        lambda: service.runtime.db.fetchval("SELECT count(*) = 3 FROM signals WHERE signal_id = ANY($1)", ids)
    )
    columns = await service.runtime.db.fetch(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = 'notifications' AND table_name = 'signals'"
    )
    assert {c["column_name"] for c in columns} == {
        "signal_id",
        "theme",
        "municipality",
        "level",
        "raised_at",
        "digest_id",
    }

    assert (await service.client.post("/api/v1/digests/run")).status_code == 401
    before = len(mailbox.to(DIGEST))
    run = await service.client.post("/api/v1/digests/run", headers=AUTH)
    assert run.status_code == 200
    assert run.json()["signals"] >= 3 and run.json()["sent"] == 1

    digests = mailbox.to(DIGEST)[before:]
    assert len(digests) == 1
    text = parts(digests[0])["text/plain"]
    assert "Wachttijden (" in text and "Bereikbaarheid (" in text
    assert all(f"signaal {i}" in text for i in ids)
    assert text.index("Wachttijden") < text.index("Bereikbaarheid")

    again = await service.client.post("/api/v1/digests/run", headers=AUTH)
    assert again.json() == {"digests": 0, "signals": 0, "sent": 0}
    assert len(mailbox.to(DIGEST)) == before + 1


async def test_template_previews_for_internal_and_operator_keys(service: RunningService) -> None:
    client = service.client
    assert (await client.get("/api/v1/templates")).status_code == 401
    listed = (await client.get("/api/v1/templates", headers=AUTH)).json()
    assert listed == {"templates": list(TEMPLATES)}

    async with service.runtime.db.acquire() as conn:
        operator = await access.create_key(conn, f"ops-{uuid.uuid4().hex[:8]}", ["operator"])
        staff = await access.create_key(conn, f"staff-{uuid.uuid4().hex[:8]}", ["staff"])
    for name in TEMPLATES:
        preview = await client.get(f"/api/v1/templates/{name}/preview", headers={"Authorization": f"Bearer {operator}"})
        assert preview.status_code == 200, name
        body = preview.json()
        assert body["template"] == name and body["subject"] and "<html" in body["html"] and body["text"]
        assert (body["sms"] is not None) == name.startswith("resident_")
        assert "U kunt er niet op antwoorden" not in body["text"] + body["html"]
        assert "/api/v1/questions" not in body["text"] + body["html"]
    assert (await client.get("/api/v1/templates/nope/preview", headers=AUTH)).status_code == 404
    forbidden = await client.get("/api/v1/templates", headers={"Authorization": f"Bearer {staff}"})
    assert forbidden.status_code == 403
    log = await client.get("/api/v1/deliveries", headers={"Authorization": f"Bearer {operator}"})
    assert log.status_code == 200


async def test_opt_out_link_stops_later_mails_to_that_resident(
    service: RunningService, notif_settings: Settings, mailbox: MailBox, contacts: ContactServer
) -> None:
    case = Case(contacts)
    first = waiting(case)
    await publish(notif_settings, topics.ASSIGNMENTS, first)
    await eventually(lambda: mailbox.to(case.resident_email, confirmations=False))
    text = parts(mailbox.to(case.resident_email, confirmations=False)[0])["text/plain"]
    match = re.search(r"(\S+/api/v1/opt-out\?token=(\S+))", text)
    assert match is not None, "every resident mail carries an opt-out link"
    assert match.group(1).startswith(notif_settings.notifications_url)
    token = unquote(match.group(2))

    page = await service.client.get("/api/v1/opt-out", params={"token": token})
    assert page.status_code == 200 and 'method="post"' in page.text
    forged = await service.client.post("/api/v1/opt-out", params={"token": token[:-3] + "xyz"})
    assert forged.status_code == 400
    done = await service.client.post("/api/v1/opt-out", params={"token": token})
    assert done.status_code == 200 and "afgemeld" in done.text

    later = consultation(case)
    await publish(notif_settings, topics.ASSIGNMENTS, later)
    key = delivery_key(later.id, "resident", "email")
    await eventually(
        lambda: service.runtime.db.fetchval("SELECT status = 'skipped' FROM deliveries WHERE delivery_key = $1", key)
    )
    await eventually(
        lambda: [m for m in mailbox.to(COORDINATOR) if reference_of(case.question_id, None) in str(m["Subject"])]
    )
    assert len(mailbox.to(case.resident_email, confirmations=False)) == 1, (
        "nothing more reaches the resident who opted out"
    )
    skipped = await service.client.get("/api/v1/deliveries", headers=AUTH, params={"status": "skipped"})
    assert any(d["delivery_key"] == key for d in skipped.json()["deliveries"])
    assert "samenloket_notifications_skipped_total" in (await service.client.get("/metrics")).text
