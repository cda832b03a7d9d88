"""End to end: the four services as separate OS processes, started by the real ``samenloket up``.

One ``samenloket up --demo`` (embedded PostgreSQL, Tansu and SMTP sink) serves the whole module;
its teardown stops it as Ctrl-C would and checks that it exits 0 and leaves no process behind.
Tests use unique ids (e-mail addresses, referrers, partner references), so their order does not
matter, except that the crash test runs last because it uses up much of the demo region's capacity.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from contracts import topics
from contracts.envelope import CloudEvent, encode, from_model
from contracts.events import (
    ConsultationRequired,
    NotificationSent,
    QuestionReceived,
    QuestionWaiting,
    ReferralSubmitted,
    SupporterAssigned,
)
from services.kit import broker
from services.kit.region import region_of
from services.kit.settings import SERVICE_NAMES, Settings, as_settings
from services.local.demo.activity import demo_question
from services.local.demo.region import demo_of
from services.notifications.domain import delivery_key, message_id
from services.reporting.settings import ReportingSettings
from tests.support.system import RunningSystem, Seen, TopicTail, start_system, stop_system, wait_for

pytestmark = pytest.mark.e2e

PARTNER_SOURCE = "/partners/huisarts-dordrecht"
OUTCOME_TYPES = (SupporterAssigned.ce_type, QuestionWaiting.ce_type, ConsultationRequired.ce_type)
TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
CRASH_QUESTIONS = 300


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    """``samenloket up --demo`` as a real process; stopped like Ctrl-C at the end, with no orphans."""
    running = start_system(tmp_path_factory.mktemp("samenloket-up"))
    yield running
    stopped = stop_system(running, signal.SIGINT)
    assert stopped.returncode == 0, f"samenloket up exited with {stopped.returncode}\n{running.diagnostics()}"
    assert stopped.watched > len(SERVICE_NAMES), "the launcher's processes were not found"
    assert not stopped.leftovers, f"processes left after Ctrl-C: {stopped.leftovers}"
    assert "samenloket: stopped" in running.stdout()


@pytest.fixture(scope="module")
def settings(system: RunningSystem) -> Settings:
    return system.settings


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


@dataclass(frozen=True)
class Resident:
    """Personal data that must never leave intake (except to notifications, over an internal call)."""

    name: str
    email: str
    phone: str
    description: str

    @classmethod
    def unique(cls) -> Resident:
        tag = uuid.uuid4().hex
        return cls(
            name=f"E2e Inwoner {tag[:10]}",
            email=f"e2e-{uuid.uuid4()}@example.nl",
            phone=f"06{random.randint(10_000_000, 99_999_999)}",
            description=f"Ik zoek hulp bij de aanvraag voor begeleiding, kenmerk {tag}.",
        )

    def needles(self) -> list[bytes]:
        return [v.encode() for v in (self.name, self.email, self.phone, self.description)]


def submission(resident: Resident, municipality: str = "GM0505", postcode: str = "3311") -> dict[str, Any]:
    return {
        "municipality": municipality,
        "life_domains": ["wmo"],
        "description": resident.description,
        "preferred_supporter_kind": "any",
        "languages": ["nl"],
        "postcode": postcode,
        "channel": "web",
        "contact": {"name": resident.name, "email": resident.email, "phone": resident.phone},
        "consent": {"share_with_supporter": True},
    }


def referral(resident: Resident, referrer: str, partner_reference: str | None = None) -> ReferralSubmitted:
    return ReferralSubmitted.model_validate(
        submission(resident)
        | {
            "channel": "partner",
            "partner_reference": partner_reference or f"ref-{uuid.uuid4().hex[:12]}",
            "referrer": referrer,
        }
    )


def partner_event(model: ReferralSubmitted) -> CloudEvent:
    return from_model(model, source=PARTNER_SOURCE)


async def publish_all(settings: Settings, topic: str, events: list[CloudEvent]) -> None:
    """Publish ``events`` in order, as fast as the broker takes them."""
    producer: AIOKafkaProducer = broker.make_producer(settings)
    await producer.start()
    try:
        futures = []
        for event in events:
            key, value, headers = encode(event)
            futures.append(await producer.send(topic, value=value, key=key, headers=headers))
        for future in futures:
            await future
    finally:
        await producer.stop()


async def publish_raw(
    settings: Settings, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]
) -> None:
    producer: AIOKafkaProducer = broker.make_producer(settings)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


def question_of(seen: Seen) -> str | None:
    value = seen.data.get("question_id")
    return value if isinstance(value, str) else None


def received_for(tail: TopicTail, referrer: str) -> list[Seen]:
    return [s for s in tail.of(QuestionReceived.ce_type) if s.data.get("referrer") == referrer]


def outcomes_for(tail: TopicTail, question_ids: set[str]) -> list[Seen]:
    return [s for s in tail.seen if s.type in OUTCOME_TYPES and question_of(s) in question_ids]


def distinct(seen: list[Seen]) -> list[Seen]:
    """One record per event (``ce_id``): a relay that crashed after publishing may publish a batch again."""
    by_id: dict[str, Seen] = {}
    for s in seen:
        assert s.event is not None
        by_id.setdefault(s.event.id, s)
    return list(by_id.values())


def mails(folder: Path) -> list[EmailMessage]:
    parser = BytesParser(policy=policy.default)
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = parser.parsebytes(path.read_bytes())
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return str(body.get_content()) if body is not None else ""


async def ingest(http: httpx.AsyncClient, system: RunningSystem) -> dict[str, Any]:
    """Reporting's operational view (internal token): events stored per type, no figures about people."""
    response = await http.get(f"{system.url('reporting')}/api/v1/reports/ingest", headers=system.auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def stored(body: dict[str, Any], ce_type: str) -> int:
    found = body["by_type"].get(ce_type)
    return int(found["events"]) if found else 0


def reader_key(system: RunningSystem, audience: str) -> dict[str, str]:
    """A dashboard key `samenloket up --demo` made: ``analyst`` (region), ``desk`` (GM0505) or ``council``."""
    keys = system.state.get("demo_keys")
    assert isinstance(keys, dict), f"run.json has no demo_keys: {sorted(system.state)}"
    key = keys.get(audience)
    assert isinstance(key, str) and key.startswith("slk_"), f"no {audience} key in demo_keys: {sorted(keys)}"
    return {"Authorization": f"Bearer {key}"}


def demo_key(system: RunningSystem) -> dict[str, str]:
    """The API key `samenloket up --demo` created and announced in run.json (submit, read-own, staff, coordinator)."""
    key = system.state.get("demo_api_key")
    assert isinstance(key, str) and key.startswith("slk_"), f"run.json has no demo_api_key: {sorted(system.state)}"
    return {"Authorization": f"Bearer {key}"}


async def fetch(database_url: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


# --------------------------------------------------------------------------- the journey


@dataclass(frozen=True)
class Journey:
    resident: Resident
    question_id: str
    report_before: dict[str, Any]


@pytest.fixture(scope="module")
async def journey(system: RunningSystem) -> Journey:
    """A resident phones the loket; staff enter the question through intake's API (reporting's ingest read before)."""
    resident = Resident.unique()
    async with httpx.AsyncClient(timeout=10.0) as http:
        before = await ingest(http, system)
        response = await http.post(
            f"{system.url('intake')}/api/v1/questions",
            json=submission(resident) | {"channel": "phone"},
            headers=demo_key(system),
        )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "received"
    assert body["status_url"] == f"/api/v1/questions/{body['question_id']}"
    return Journey(resident, body["question_id"], before)


async def test_journey_from_question_to_supporter_mail_and_report(
    system: RunningSystem, settings: Settings, journey: Journey, http: httpx.AsyncClient
) -> None:
    qid = journey.question_id
    async with TopicTail(settings, [topics.QUESTIONS, topics.ASSIGNMENTS]) as tail:

        def both() -> bool:
            return bool(
                [s for s in tail.of(QuestionReceived.ce_type) if question_of(s) == qid]
                and [s for s in tail.of(SupporterAssigned.ce_type) if question_of(s) == qid]
            )

        await tail.until(both, timeout=30, what=f"QuestionReceived and SupporterAssigned for {qid}")
    received = next(s for s in tail.of(QuestionReceived.ce_type) if question_of(s) == qid)
    assigned = next(s for s in tail.of(SupporterAssigned.ce_type) if question_of(s) == qid)

    # CloudEvents binary mode, as the architecture binds it.
    headers = assigned.headers
    assert headers["ce_specversion"] == "1.0"
    assert uuid.UUID(headers["ce_id"])
    assert headers["ce_source"] == "/samenloket/matching"
    assert headers["ce_type"] == "nl.samenloket.supporter.assigned.v1"
    assert RFC3339.match(headers["ce_time"]), headers["ce_time"]
    assert datetime.fromisoformat(headers["ce_time"].replace("Z", "+00:00")).tzinfo is not None
    assert headers["ce_subject"] == qid == assigned.record.key.decode()
    assert headers["ce_municipality"] == "GM0505"
    assert headers["content-type"] == "application/json"
    assert received.headers["ce_source"] == "/samenloket/intake"
    assert received.record.key.decode() == qid

    # One trace from the HTTP request through the outbox, Kafka and matching.
    assert "traceparent" in received.headers, f"QuestionReceived has no traceparent: {received.headers}"
    assert "traceparent" in headers, f"SupporterAssigned has no traceparent: {headers}"
    received_trace = TRACEPARENT.match(received.headers["traceparent"])
    assigned_trace = TRACEPARENT.match(headers["traceparent"])
    assert received_trace and assigned_trace
    assert assigned_trace.group(1) == received_trace.group(1), "SupporterAssigned is not in the question's trace"

    # The closed loop: the status says assigned, with its history.
    async def status_assigned() -> dict[str, Any] | None:
        response = await http.get(f"{system.url('intake')}/api/v1/questions/{qid}", headers=demo_key(system))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body if body["status"] == "assigned" else None

    status = await wait_for(status_assigned, timeout=20, what="status 'assigned'")
    assert [h["status"] for h in status["history"]] == ["received", "assigned"]

    # The mails: the resident at their own address, the supporter about this question.
    supporter = await http.get(
        f"{system.url('matching')}/internal/v1/supporters/{assigned.data['supporter_id']}/contact",
        headers=system.auth,
    )
    assert supporter.status_code == 200, supporter.text
    supporter_email = supporter.json()["email"]

    def delivered() -> tuple[EmailMessage, EmailMessage] | None:
        found = mails(system.mail_folder)
        to_resident = [m for m in found if journey.resident.email in str(m["To"])]
        to_supporter = [m for m in found if supporter_email in str(m["To"]) and qid in text_of(m)]
        return (to_resident[0], to_supporter[0]) if to_resident and to_supporter else None

    resident_mail, supporter_mail = await wait_for(delivered, timeout=30, what="both mails in the SMTP sink")
    assert journey.resident.name in text_of(resident_mail)
    assert resident_mail["Message-ID"] != supporter_mail["Message-ID"]

    # Reporting stored it (and so projected it: one transaction): one more question.received event.
    before = journey.report_before

    async def counted() -> dict[str, Any] | None:
        now = await ingest(http, system)
        grown = stored(now, QuestionReceived.ce_type) == stored(before, QuestionReceived.ce_type) + 1
        return (
            now
            if grown and stored(now, SupporterAssigned.ce_type) > stored(before, SupporterAssigned.ce_type)
            else None
        )

    await wait_for(counted, timeout=20, what=f"reporting to store the question (before: {before})")
    assert received.event is not None
    kept = await fetch(system.database_url, "SELECT type FROM reporting.events WHERE event_id = $1", received.event.id)
    assert [r["type"] for r in kept] == [QuestionReceived.ce_type]


# --------------------------------------------------------------------------- reports for the demo's readers


async def test_the_demo_readers_get_suppressed_reports_and_the_dashboard(
    system: RunningSystem, journey: Journey, http: httpx.AsyncClient
) -> None:
    """`up --demo` announced the dashboard and made keys for it; every figure they read is suppressed."""
    reporting = system.url("reporting")
    assert f"dashboard      {reporting}/dashboard" in system.stdout()
    reports = f"{reporting}/api/v1/reports"

    # The internal token reads no figures about people; the analyst key reads the region and Dordrecht.
    assert (await http.get(reports, headers=system.auth)).status_code == 401
    answer = await http.get(reports, params={"municipality": "GM0505"}, headers=reader_key(system, "analyst"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    threshold = body["threshold"]
    assert (
        body["municipality"] == "GM0505"
        and threshold == as_settings(ReportingSettings, system.settings).suppression_threshold
    )
    people = [t for t in body["tables"] if t["people"]]
    figures = [f for t in people for f in (*t["cells"], *t["row_totals"].values(), t["total"])]
    assert figures, "the report has no tables of people"
    for figure in figures:
        if figure["suppressed"]:
            marker = f"<{threshold}" if figure["suppression"] == "small" else "×"  # "×": hidden beside a small one
            assert (figure["value"], figure["display"]) == (None, marker), figure
        else:
            assert figure["value"] == 0 or figure["value"] >= threshold, figure
    month = next(t for t in body["tables"] if t["key"] == "questions_by_month")["total"]
    assert month["suppressed"] or month["value"] >= 1, month  # the journey's question is in this quarter

    # Dordrecht's desk sees Dordrecht only; the council reads the region.
    desk = reader_key(system, "desk")
    assert (await http.get(reports, headers=desk)).json()["municipality"] == "GM0505"
    assert (await http.get(reports, params={"municipality": "GM0590"}, headers=desk)).status_code == 403
    council = await http.get(reports, headers=reader_key(system, "council"))
    assert council.status_code == 200 and council.json()["municipality"] is None

    # The desk's key signs in to the dashboard (as staff would, with the form) and sees Dordrecht.
    async with httpx.AsyncClient(base_url=reporting, timeout=10.0) as browser:
        form = await browser.get("/dashboard/inloggen")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert form.status_code == 200 and token, form.text
        key = desk["Authorization"].removeprefix("Bearer ")
        signed_in = await browser.post(
            "/dashboard/inloggen", data={"csrf_token": token.group(1), "api_key": key, "terug": "/dashboard"}
        )
        assert signed_in.status_code == 303, signed_in.text
        page = await browser.get("/dashboard")
    assert page.status_code == 200 and "Dordrecht" in page.text and 'data-tile="vragen"' in page.text
    assert key not in page.text


# --------------------------------------------------------------------------- privacy


async def test_no_personal_data_on_shared_topics(system: RunningSystem, settings: Settings, journey: Journey) -> None:
    """Neither the resident's web question nor a partner's referral leaks personal data onto a shared topic."""
    referred = Resident.unique()
    referrer = f"e2e-privacy-{uuid.uuid4().hex[:8]}"
    await publish_all(settings, topics.REFERRALS_INBOUND, [partner_event(referral(referred, referrer))])

    shared = [
        t for t in broker.all_topic_names() if t not in (topics.REFERRALS_INBOUND, topics.dlq(topics.REFERRALS_INBOUND))
    ]
    async with TopicTail(settings, shared) as tail:
        # Wait until both questions went all the way: assigned and both mails announced.
        def settled() -> bool:
            ids = {journey.question_id, *(question_of(s) for s in received_for(tail, referrer))}
            assigned = [s for s in tail.of(SupporterAssigned.ce_type) if question_of(s) in ids]
            if len(ids) < 2 or len(assigned) < 2:
                return False
            causes = {(s.data["cause_event_id"], s.data["recipient_role"]) for s in tail.of(NotificationSent.ce_type)}
            return all((a.event.id, role) in causes for a in assigned if a.event for role in ("supporter", "resident"))

        await tail.until(settled, timeout=45, what="both questions assigned and notified")
        await tail.read_to_end()

    assert {s.topic for s in tail.seen} >= {topics.QUESTIONS, topics.ASSIGNMENTS, topics.NOTIFICATIONS}
    needles = journey.resident.needles() + referred.needles()
    leaks = []
    for seen in tail.seen:
        record = seen.record
        blobs = [record.value or b"", record.key or b"", *(v or b"" for _, v in record.headers or ())]
        for needle in needles:
            if any(needle in blob for blob in blobs):
                leaks.append(f"{record.topic}@{record.partition}:{record.offset} carries {needle.decode()!r}")
    assert not leaks, "\n".join(leaks)


# --------------------------------------------------------------------------- participation


async def test_when_support_ends_the_resident_is_invited_to_share_their_experience(
    system: RunningSystem, http: httpx.AsyncClient
) -> None:
    """The demo key coordinates: the supporter accepts, support ends, and the resident's invitation
    (a personal link from intake, sent by notifications) opens the experience form."""
    resident = Resident.unique()
    asked = await http.post(
        f"{system.url('intake')}/api/v1/questions", json=submission(resident), headers=demo_key(system)
    )
    assert asked.status_code == 202, asked.text
    qid = asked.json()["question_id"]

    async def assigned() -> bool:
        found = await http.get(f"{system.url('intake')}/api/v1/questions/{qid}", headers=demo_key(system))
        return found.json()["status"] == "assigned"

    await wait_for(assigned, timeout=30, what=f"{qid} assigned")
    assignments = f"{system.url('matching')}/api/v1/assignments/{qid}"
    accepted = await http.post(f"{assignments}/accept", headers=demo_key(system))
    assert accepted.status_code == 200, accepted.text
    ended = await http.post(f"{assignments}/end", json={"reason_code": "completed"}, headers=demo_key(system))
    assert ended.status_code == 200, ended.text

    def invitation() -> EmailMessage | None:
        found = [
            m for m in mails(system.mail_folder) if resident.email in str(m["To"]) and "Hoe was uw" in m["Subject"]
        ]
        return found[0] if found else None

    mail = await wait_for(invitation, timeout=40, what="the experience invitation in the SMTP sink")
    link = re.search(r"(http://\S+/ervaring/\S+)", text_of(mail))
    assert link is not None, text_of(mail)
    form = await http.get(link.group(1))
    assert form.status_code == 200 and 'lang="nl"' in form.text


# --------------------------------------------------------------------------- the resident's own page


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


async def test_a_resident_withdraws_from_their_own_page_and_every_service_lets_go(
    system: RunningSystem, http: httpx.AsyncClient
) -> None:
    """Done when of issue 13: the resident submits the form, opens the link from the confirmation mail,
    sees their supporter and withdraws. Matching frees the place (SQL), the supporter is told, the
    resident hears nothing more, and reporting counts one withdrawal."""
    resident = Resident.unique()
    intake = system.url("intake")
    async with httpx.AsyncClient(base_url=intake, timeout=10.0) as browser:
        form = await browser.get("/")
        sent = await browser.post(
            "/",
            data={
                "csrf_token": form_token(form.text),
                "life_domains": "wmo",
                "description": resident.description,
                "preferred_supporter_kind": "any",
                "language": "nl",
                "meeting_preference": "home",
                "name": resident.name,
                "email": resident.email,
                "phone": resident.phone,
                "postcode": "3311 AB",
                "municipality": "GM0505",
                "consent": "ja",
            },
        )
        assert sent.status_code == 303, sent.text
        confirmation = await browser.get(sent.headers["location"])
    assert confirmation.status_code == 200
    reference = re.search(r'id="reference">([A-Z0-9-]+)<', confirmation.text)
    assert reference, confirmation.text
    assert 'id="status-link"' in confirmation.text
    qid = sent.headers["location"].rsplit("/", 1)[1]

    def to_resident() -> list[EmailMessage]:
        return [m for m in mails(system.mail_folder) if resident.email in str(m["To"])]

    def confirmation_mail() -> EmailMessage | None:
        found = [m for m in to_resident() if str(m["Subject"]).startswith("Wij hebben uw vraag ontvangen")]
        return found[0] if found else None

    mail = await wait_for(confirmation_mail, timeout=30, what="the confirmation mail in the SMTP sink")
    assert reference.group(1) in text_of(mail) and qid not in text_of(mail)
    link = re.search(r"(http://\S+/mijn-vraag/[A-Za-z0-9_-]+)", text_of(mail))
    assert link is not None, text_of(mail)

    # The page shows the supporter by name and organisation once matching assigned one.
    async def assignment() -> asyncpg.Record | None:
        rows = await fetch(
            system.database_url,
            "SELECT a.supporter_id, s.name, o.name AS organisation FROM matching.assignments a"
            " JOIN matching.supporters s ON s.id = a.supporter_id"
            " JOIN matching.organisations o ON o.id = s.organisation WHERE a.question_id = $1",
            qid,
        )
        return rows[0] if rows else None

    row = await wait_for(assignment, timeout=30, what="matching to assign the Dordrecht question")
    supporter_id = row["supporter_id"]

    async def shows_supporter() -> str | None:
        page = await http.get(link.group(1))
        assert page.status_code == 200, page.text
        return page.text if row["name"] in page.text else None

    page = await wait_for(shows_supporter, timeout=20, what="the supporter on the resident's page")
    assert row["organisation"] in page and reference.group(1) in page and resident.name not in page
    supporter = await http.get(
        f"{system.url('matching')}/internal/v1/supporters/{supporter_id}/contact", headers=system.auth
    )
    supporter_email = supporter.json()["email"]
    new_case = await wait_for(
        lambda: [m for m in mails(system.mail_folder) if supporter_email in str(m["To"]) and qid in text_of(m)],
        timeout=30,
        what="the supporter's new-case mail",
    )
    # One number for everyone: the supporter's mail names the question by the resident's reference.
    assert f"Nummer: {reference.group(1)}" in text_of(new_case[0])
    await wait_for(lambda: len(to_resident()) >= 2, timeout=30, what="the resident's mail about their supporter")
    before_withdrawal = len(to_resident())
    report_before = await ingest(http, system)

    # Withdraw, after the confirm step.
    path = link.group(1).removeprefix(intake)
    async with httpx.AsyncClient(base_url=intake, timeout=10.0) as browser:
        confirm = await browser.get(f"{path}/intrekken")
        assert confirm.status_code == 200 and "Wilt u uw vraag intrekken?" in confirm.text
        done = await browser.post(
            f"{path}/intrekken", data={"csrf_token": form_token(confirm.text), "reason": "no_longer_needed"}
        )
        assert done.status_code == 303
        after = await browser.get(done.headers["location"])
        assert "Uw vraag is ingetrokken" in after.text and "U heeft deze vraag ingetrokken" in after.text
        again = await browser.post(
            f"{path}/intrekken", data={"csrf_token": form_token(confirm.text), "reason": "other"}
        )
        assert again.status_code == 303, "withdrawing twice changes nothing and shows the same page"

    # Matching: the place is free again (SQL), and the question holds none.
    async def freed() -> bool:
        rows = await fetch(
            system.database_url,
            "SELECT status, close_reason FROM matching.assignments WHERE question_id = $1",
            qid,
        )
        return [(r["status"], r["close_reason"]) for r in rows] == [("ended", "withdrawn")]

    await wait_for(freed, timeout=30, what="matching to let go of the question")
    [books] = await fetch(
        system.database_url,
        "SELECT s.active_cases, (SELECT count(*) FROM matching.assignments a WHERE a.supporter_id = s.id"
        " AND a.status IN ('assigned', 'accepted')) AS open FROM matching.supporters s WHERE s.id = $1",
        supporter_id,
    )
    assert books["active_cases"] == books["open"], "every booked place belongs to an open assignment"

    # The supporter hears it ended; the resident hears nothing more.
    def withdrawal_mail() -> EmailMessage | None:
        found = [
            m
            for m in mails(system.mail_folder)
            if supporter_email in str(m["To"])
            and str(m["Subject"]).startswith("Een vraag is ingetrokken")
            and qid in text_of(m)
        ]
        return found[0] if found else None

    told = await wait_for(withdrawal_mail, timeout=30, what="the supporter's withdrawal mail")
    assert resident.name not in text_of(told) and resident.email not in text_of(told)

    # Reporting counts one withdrawal (and the resident got nothing after it, meanwhile).
    async def counted() -> bool:
        rows = await fetch(
            system.database_url,
            "SELECT withdrawn_by, reason_code FROM reporting.withdrawal_facts WHERE question_id = $1",
            qid,
        )
        return [(r["withdrawn_by"], r["reason_code"]) for r in rows] == [("resident", "no_longer_needed")]

    await wait_for(counted, timeout=30, what="reporting to count the withdrawal")
    now = await ingest(http, system)
    assert (
        stored(now, "nl.samenloket.question.withdrawn.v1")
        == stored(report_before, "nl.samenloket.question.withdrawn.v1") + 1
    )
    assert len(to_resident()) == before_withdrawal, "nothing more reaches the resident after withdrawing"


# --------------------------------------------------------------------------- the inbound partner topic


async def test_inbound_invalid_goes_to_dlq_and_valid_is_assigned(settings: Settings) -> None:
    referrer = f"e2e-partner-{uuid.uuid4().hex[:8]}"
    invalid = partner_event(referral(Resident.unique(), referrer))
    key, value, headers = encode(invalid)
    data = json.loads(value)
    del data["municipality"]
    await publish_raw(settings, topics.REFERRALS_INBOUND, key, json.dumps(data).encode(), headers)
    valid = partner_event(referral(Resident.unique(), referrer))
    await publish_all(settings, topics.REFERRALS_INBOUND, [valid])

    dlq_topic = topics.dlq(topics.REFERRALS_INBOUND)
    async with TopicTail(settings, [dlq_topic, topics.QUESTIONS, topics.ASSIGNMENTS]) as tail:

        def dead(event_id: str) -> list[Seen]:
            return [s for s in tail.seen if s.topic == dlq_topic and s.headers.get("ce_id") == event_id]

        def assigned() -> list[Seen]:
            ids = {question_of(s) for s in received_for(tail, referrer)}
            return [s for s in tail.of(SupporterAssigned.ce_type) if question_of(s) in ids]

        await tail.until(lambda: dead(invalid.id), timeout=30, what="the invalid referral on the DLQ")
        await tail.until(assigned, timeout=30, what="SupporterAssigned for the valid referral")

    [letter] = dead(invalid.id)
    assert "municipality" in letter.headers["dlq_reason"], letter.headers
    assert letter.headers["dlq_original_topic"] == topics.REFERRALS_INBOUND
    # The letter is kept, sealed by intake: a partner's personal data never lies in a DLQ in clear text.
    assert "dlq_sealed_letter" in letter.headers, letter.headers
    sealed = letter.record.value or b""
    assert sealed and sealed != json.dumps(data).encode()
    assert data["contact"]["name"].encode() not in sealed and data["description"].encode() not in sealed
    assert not dead(valid.id), "the valid referral was dead-lettered"
    [received] = received_for(tail, referrer)
    assert received.data["channel"] == "partner"
    assert received.data["municipality"] == "GM0505"


# --------------------------------------------------------------------------- duplicates


async def test_same_referral_three_times_has_one_effect(system: RunningSystem, settings: Settings) -> None:
    """The same event twice (same ce_id) and a resend (new ce_id, same referral) make one question."""
    referrer = f"e2e-dup-{uuid.uuid4().hex[:8]}"
    model = referral(Resident.unique(), referrer)
    first = partner_event(model)
    resend = partner_event(model)
    assert resend.id != first.id
    await publish_all(settings, topics.REFERRALS_INBOUND, [first, first, resend])

    # Intake handled all three: the inbox holds both event ids (the same-id copy was skipped there).
    async def both_in_inbox() -> bool:
        rows = await fetch(
            system.database_url,
            "SELECT event_id FROM intake.inbox WHERE consumer = 'intake.referrals' AND event_id = ANY($1::text[])",
            [first.id, resend.id],
        )
        return len(rows) == 2

    await wait_for(both_in_inbox, timeout=30, what="intake handling both event ids")

    async with TopicTail(settings, [topics.QUESTIONS, topics.ASSIGNMENTS]) as tail:

        def ids() -> set[str]:
            return {q for s in received_for(tail, referrer) if (q := question_of(s))}

        def assigned() -> list[Seen]:
            return [s for s in tail.of(SupporterAssigned.ce_type) if question_of(s) in ids()]

        await tail.until(assigned, timeout=30, what="SupporterAssigned for the referral")

        def relevant(seen: Seen) -> bool:
            return seen.data.get("referrer") == referrer or question_of(seen) in ids()

        await tail.quiet(relevant, seconds=3.0, timeout=20)

    assert len(received_for(tail, referrer)) == 1, "more than one QuestionReceived for one referral"
    assert len(assigned()) == 1, "more than one SupporterAssigned for one question"
    questions = await fetch(
        system.database_url, "SELECT question_id FROM intake.questions WHERE referrer = $1", referrer
    )
    assert len(questions) == 1


# --------------------------------------------------------------------------- crash and restart


@dataclass
class Kill:
    service: str
    pid: int
    progress: int


async def test_crash_and_restart_lose_nothing_and_duplicate_nothing(system: RunningSystem, settings: Settings) -> None:
    """300 referrals flow; matching and then notifications are SIGKILLed mid-stream and restarted."""
    referrer = f"e2e-crash-{uuid.uuid4().hex[:8]}"
    rng = random.Random(20260505)
    events = [
        partner_event(
            ReferralSubmitted.model_validate(
                demo_question(rng, demo_of(region_of()))
                | {"channel": "partner", "partner_reference": f"p{i:04d}", "referrer": referrer}
            )
        )
        for i in range(CRASH_QUESTIONS)
    ]
    kills: dict[str, Kill] = {}

    watched = [topics.QUESTIONS, topics.ASSIGNMENTS, topics.NOTIFICATIONS]
    dead_letters = [topics.dlq(t) for t in (topics.REFERRALS_INBOUND, *watched)]
    async with TopicTail(settings, watched + dead_letters) as tail:
        await publish_all(settings, topics.REFERRALS_INBOUND, events)

        def dead() -> list[Seen]:
            return [
                s
                for s in tail.seen
                if s.topic in dead_letters and (s.data.get("referrer") == referrer or question_of(s) in ours())
            ]

        def ours() -> set[str]:
            return {q for s in received_for(tail, referrer) if (q := question_of(s))}

        def supporter_sent(ids: set[str]) -> set[str]:
            return {
                s.data["cause_event_id"]
                for s in tail.of(NotificationSent.ce_type)
                if s.data.get("question_id") in ids and s.data["recipient_role"] == "supporter"
            }

        def kill(service: str, progress: int) -> None:
            pid = system.pid(service)
            os.kill(pid, signal.SIGKILL)
            kills[service] = Kill(service, pid, progress)

        def step() -> bool:
            ids = ours()
            decided = {question_of(s) for s in outcomes_for(tail, ids)}
            assigned = {s.event.id for s in tail.of(SupporterAssigned.ce_type) if s.event and question_of(s) in ids}
            notified = supporter_sent(ids)
            if "matching" not in kills and len(decided) >= 50:
                kill("matching", len(decided))
            if "matching" in kills and "notifications" not in kills and len(notified) >= 40:
                kill("notifications", len(notified))
            complete = len(ids) == CRASH_QUESTIONS and len(decided) == CRASH_QUESTIONS and assigned <= notified
            return complete and len(kills) == 2

        def progress() -> str:
            ids = ours()
            decided = {question_of(s) for s in outcomes_for(tail, ids)}
            assigned = {s.event.id for s in tail.of(SupporterAssigned.ce_type) if s.event and question_of(s) in ids}
            notified = supporter_sent(ids)
            return (
                f"received {len(ids)}, decided {len(decided)}, assigned {len(assigned)}, notified {len(notified)},"
                f" kills {list(kills.values())}\n"
                f"dead-lettered: {Counter((s.topic, s.headers.get('dlq_reason', '')[:150]) for s in dead())}\n"
                f"{system.diagnostics()}"
            )

        await tail.until(
            step, timeout=120, what=f"{CRASH_QUESTIONS} questions decided and notified after crashes", detail=progress
        )

        def relevant(seen: Seen) -> bool:
            return seen.data.get("referrer") == referrer or question_of(seen) in ours()

        await tail.quiet(relevant, seconds=3.0, timeout=30)

    assert not dead(), f"dead-lettered: {[(s.topic, s.headers.get('dlq_reason')) for s in dead()]}"
    out = system.stdout()
    for service in ("matching", "notifications"):
        assert re.search(rf"samenloket: {service} exited \(-9\); restarting", out), out

    # Exactly one QuestionReceived per referral, and exactly one outcome per question.
    received = distinct(received_for(tail, referrer))
    ids = {q for s in received if (q := question_of(s))}
    assert len(received) == CRASH_QUESTIONS and len(ids) == CRASH_QUESTIONS
    outcome_types: dict[str, list[str]] = defaultdict(list)
    supporters_of: dict[str, set[str]] = defaultdict(set)
    for seen in distinct(outcomes_for(tail, ids)):
        outcome_types[question_of(seen) or ""].append(seen.type or "")
        if seen.type == SupporterAssigned.ce_type:
            supporters_of[question_of(seen) or ""].add(seen.data["supporter_id"])
    # One outcome per question; a duo (a professional plus a volunteer or experience expert) is one
    # outcome announced as two SupporterAssigned events for two different supporters.
    twice = {q: types for q, types in outcome_types.items() if not one_outcome(types, supporters_of[q])}
    assert not twice, f"questions with other than one outcome: {twice}"
    assert set(outcome_types) == ids

    # Matching's own books agree: one row per decided question, capacity counted exactly.
    await check_matching_books(system.database_url, outcome_types)

    # Every SupporterAssigned got exactly one NotificationSent per role (distinct events; a relay
    # that was killed after publishing may publish the same event again).
    assigned = distinct([s for s in tail.of(SupporterAssigned.ce_type) if question_of(s) in ids])
    assigned_ids = {s.event.id for s in assigned if s.event}
    sent = distinct([s for s in tail.of(NotificationSent.ce_type) if s.data.get("cause_event_id") in assigned_ids])
    per_delivery = Counter((s.data["cause_event_id"], s.data["recipient_role"]) for s in sent)
    assert all(n == 1 for n in per_delivery.values()), [k for k, n in per_delivery.items() if n != 1]
    for seen in assigned:
        assert seen.event is not None
        assert per_delivery[(seen.event.id, "supporter")] == 1, f"supporter not notified of {question_of(seen)}"
        assert per_delivery[(seen.event.id, "resident")] == 1, f"resident not notified of {question_of(seen)}"
    assert len({s.data["notification_id"] for s in sent}) == len(sent)

    # The mails: one Message-ID per delivery; a crash between SMTP and commit may send one mail twice.
    expected = {
        message_id(delivery_key(s.event.id, role, "email")): (s.event.id, role)
        for s in assigned
        if s.event
        for role in ("supporter", "resident")
    }
    copies = Counter(str(m["Message-ID"]) for m in mails(system.mail_folder) if str(m["Message-ID"]) in expected)
    assert set(copies) == set(expected), f"{len(set(expected) - set(copies))} deliveries without a mail"
    assert len(copies) == len(sent)
    resent = {mid: n for mid, n in copies.items() if n > 1}
    assert all(n == 2 for n in resent.values()), resent
    assert len(resent) <= settings.kafka_topic_partitions, f"more re-sent mails than in-flight deliveries: {resent}"
    tally = Counter(".".join(t.split(".")[2:4]) for types in outcome_types.values() for t in types)
    print(f"\ncrash test: kills {list(kills.values())}; outcomes {dict(tally)}; mails sent twice: {len(resent)}")


def one_outcome(types: list[str], supporters: set[str]) -> bool:
    """One decision: waiting, consultation, one supporter, or a duo of two different supporters."""
    if len(types) == 1:
        return True
    return types == [SupporterAssigned.ce_type] * 2 and len(supporters) == 2


async def check_matching_books(database_url: str, outcome_types: dict[str, list[str]]) -> None:
    """Assignments, waiting list and consultations match the events; active_cases equals assignments."""
    rows = await fetch(
        database_url,
        "SELECT s.id, s.capacity, s.active_cases,"
        " count(a.assignment_id) FILTER (WHERE a.status IN ('assigned', 'accepted')) AS assignments"
        " FROM matching.supporters s LEFT JOIN matching.assignments a ON a.supporter_id = s.id GROUP BY s.id",
    )
    wrong = [dict(r) for r in rows if r["active_cases"] != r["assignments"] or r["active_cases"] > r["capacity"]]
    assert not wrong, f"supporters whose active_cases disagree with their assignments: {wrong}"
    doubled = await fetch(
        database_url,
        "SELECT question_id, role FROM matching.assignments WHERE status IN ('assigned', 'accepted')"
        " GROUP BY question_id, role HAVING count(*) > 1",
    )
    assert not doubled
    tables = {
        SupporterAssigned.ce_type: "assignments",
        QuestionWaiting.ce_type: "waiting",
        ConsultationRequired.ce_type: "consultations",
    }
    ids = list(outcome_types)
    for ce_type, table in tables.items():
        found = {
            r["question_id"]
            for r in await fetch(
                database_url, f"SELECT question_id FROM matching.{table} WHERE question_id = ANY($1::text[])", ids
            )
        }
        announced = {q for q, types in outcome_types.items() if set(types) == {ce_type}}
        assert found == announced, f"matching.{table} disagrees with the {ce_type} events"
