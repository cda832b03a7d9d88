"""Observability on real infrastructure: one question is one trace, and /metrics says how each service is doing.

Intake, matching, notifications and reporting run in this process on one database and one broker.
Intake and matching also serve HTTP on real ports, because notifications fetches the contact
details it mails to over HTTP; a local SMTP server takes the mail. An in-memory span exporter
collects every span, so the test can follow the question: the HTTP request (SERVER) → intake's
outbox relay (PRODUCER) → matching's consumer (CONSUMER) → matching's relay (PRODUCER) →
notifications' consumer (CONSUMER), all in one trace, each the child of the one before.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import pytest
import uvicorn
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from contracts import topics
from contracts.events import QuestionReceived, SupporterAssigned
from services.kit import access
from services.kit.settings import SERVICE_NAMES, Settings
from services.kit.telemetry import setup_tracing
from services.matching import store as matching_store
from services.matching.domain import SupporterRecord
from tests.support.harness import RunningService, eventually, run_service
from tests.support.notifications import smtp_server

pytestmark = pytest.mark.integration

METRICS = (
    "samenloket_consumer_lag",
    "samenloket_outbox_depth",
    "samenloket_events_handled_total",
    "samenloket_events_failed_total",
    "samenloket_events_dead_lettered_total",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Inbox:
    """aiosmtpd handler that keeps the recipients of every accepted message."""

    def __init__(self) -> None:
        self.port = free_port()
        self.recipients: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.recipients.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    """Every finished span of this module, in memory (added to the provider if one is installed)."""
    exporter = InMemorySpanExporter()
    processor = SimpleSpanProcessor(exporter)
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.add_span_processor(processor)
    else:
        setup_tracing("tests", None, extra=processor)
    yield exporter
    exporter.shutdown()


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    with smtp_server(Inbox()) as box:
        yield box


@dataclasses.dataclass
class Platform:
    services: dict[str, RunningService]

    def __getitem__(self, name: str) -> RunningService:
        return self.services[name]


async def serve_http(running: RunningService, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    """Serve an already started service's app on a real port (its lifespan already ran)."""
    server = uvicorn.Server(
        uvicorn.Config(running.app, host="127.0.0.1", port=port, lifespan="off", log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, timeout=10)
    return server, task


@pytest.fixture(scope="module")
async def platform(settings: Settings, inbox: Inbox, spans: InMemorySpanExporter) -> AsyncIterator[Platform]:
    intake_port, matching_port = free_port(), free_port()
    wired = settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": inbox.port,
            "smtp_tls": "none",
            "intake_url": f"http://127.0.0.1:{intake_port}",
            "matching_url": f"http://127.0.0.1:{matching_port}",
        }
    )
    async with (
        run_service("intake", wired) as intake,
        run_service("matching", wired) as matching,
        run_service("notifications", wired) as notifications,
        run_service("reporting", wired) as reporting,
    ):
        servers = [await serve_http(intake, intake_port), await serve_http(matching, matching_port)]
        async with matching.runtime.db.acquire() as conn:
            await matching_store.upsert_organisation(conn, "mee-obs", "MEE Plus", False)
        try:
            yield Platform(
                {"intake": intake, "matching": matching, "notifications": notifications, "reporting": reporting}
            )
        finally:
            for server, task in servers:
                server.should_exit = True
                await task


async def add_supporter(platform: Platform, email: str) -> None:
    """A supporter with room for many questions in Dordrecht, so every question here is assigned."""
    async with platform["matching"].runtime.db.acquire() as conn:
        await matching_store.upsert_supporter(
            conn,
            SupporterRecord(
                id=f"s-{uuid.uuid4().hex[:8]}",
                name="Fatima el Amrani",
                email=email,
                kind="professional",
                organisation="mee-obs",
                municipalities=["GM0505"],
                life_domains=["wmo"],
                languages=["nl"],
                capacity=100,
                postcode="3311",
            ),
        )


async def ask(platform: Platform) -> str:
    """POST one question by phone through intake's API; return its id."""
    async with platform["intake"].runtime.db.acquire() as conn:
        key = await access.create_key(conn, f"org-{uuid.uuid4().hex[:8]}", ["staff"])
    tag = uuid.uuid4().hex[:8]
    response = await platform["intake"].client.post(
        "/api/v1/questions",
        headers={"Authorization": f"Bearer {key}"},
        json={
            "municipality": "GM0505",
            "life_domains": ["wmo"],
            "description": f"Ik zoek hulp bij een Wmo-aanvraag ({tag}).",
            "postcode": "3311",
            "channel": "phone",
            "contact": {"name": "Anna de Vries", "email": f"anna-{tag}@example.nl"},
            "consent": {"share_with_supporter": True},
        },
    )
    assert response.status_code == 202, response.text
    question_id: str = response.json()["question_id"]
    return question_id


def one(found: Sequence[ReadableSpan], what: str) -> ReadableSpan:
    assert len(found) == 1, f"expected one {what}, found {len(found)}: {[s.name for s in found]}"
    return found[0]


def consumed(all_spans: Sequence[ReadableSpan], consumer: str, ce_type: str, trace_id: int) -> list[ReadableSpan]:
    return [
        s
        for s in all_spans
        if s.kind is SpanKind.CONSUMER
        and s.context is not None
        and s.context.trace_id == trace_id
        and (s.attributes or {}).get("samenloket.consumer") == consumer
        and (s.attributes or {}).get("cloudevents.event_type") == ce_type
    ]


def published(all_spans: Sequence[ReadableSpan], topic: str, ancestor: ReadableSpan) -> list[ReadableSpan]:
    """The relay's PRODUCER spans for ``topic`` somewhere below ``ancestor``."""
    return [
        s
        for s in all_spans
        if s.kind is SpanKind.PRODUCER
        and (s.attributes or {}).get("messaging.destination.name") == topic
        and descends_from(s, ancestor, all_spans)
    ]


def descends_from(span: ReadableSpan, ancestor: ReadableSpan, all_spans: Sequence[ReadableSpan]) -> bool:
    """Whether following parents from ``span`` reaches ``ancestor`` (in-process spans in between)."""
    by_id = {s.context.span_id: s for s in all_spans if s.context is not None}
    assert ancestor.context is not None
    current: ReadableSpan | None = span
    while current is not None and current.parent is not None:
        if current.parent.span_id == ancestor.context.span_id:
            return current.parent.trace_id == ancestor.context.trace_id
        current = by_id.get(current.parent.span_id)
    return False


def child_of(span: ReadableSpan, parent: ReadableSpan) -> bool:
    assert parent.context is not None and span.context is not None
    return (
        span.parent is not None
        and span.parent.span_id == parent.context.span_id
        and span.context.trace_id == parent.context.trace_id
    )


async def test_one_question_is_one_trace_from_request_to_notification(
    platform: Platform, spans: InMemorySpanExporter, inbox: Inbox
) -> None:
    supporter_email = f"sup-{uuid.uuid4().hex[:8]}@example.nl"
    await add_supporter(platform, supporter_email)
    before = {id(s) for s in spans.get_finished_spans()}
    await ask(platform)

    request = one(
        [
            s
            for s in spans.get_finished_spans()
            if id(s) not in before and s.kind is SpanKind.SERVER and s.name == "POST /api/v1/questions"
        ],
        "HTTP server span of the question",
    )
    assert request.parent is None, "the request starts the trace"
    assert request.context is not None
    trace_id = request.context.trace_id
    assert (request.attributes or {}).get("http.response.status_code") == 202

    def notified() -> bool:
        return bool(
            consumed(spans.get_finished_spans(), "notifications.assignments", SupporterAssigned.ce_type, trace_id)
        )

    await eventually(notified, timeout=60)
    finished = spans.get_finished_spans()

    intake_publish = one(published(finished, topics.QUESTIONS, request), "publish of QuestionReceived")
    matching_consume = one(
        consumed(finished, "matching.questions", QuestionReceived.ce_type, trace_id), "matching consumer span"
    )
    assert child_of(matching_consume, intake_publish)
    matching_publish = one(published(finished, topics.ASSIGNMENTS, matching_consume), "publish of SupporterAssigned")
    notifications_consume = one(
        consumed(finished, "notifications.assignments", SupporterAssigned.ce_type, trace_id),
        "notifications consumer span",
    )
    assert child_of(notifications_consume, matching_publish)
    # The question reached the others in the same trace too.
    for consumer in ("notifications.questions", "reporting.projections"):
        assert child_of(one(consumed(finished, consumer, QuestionReceived.ce_type, trace_id), consumer), intake_publish)
    # And the trace did what it shows: the supporter got the mail.
    await eventually(lambda: supporter_email in inbox.recipients, timeout=30)


async def test_metrics_of_every_service_after_traffic(platform: Platform) -> None:
    await add_supporter(platform, f"sup-{uuid.uuid4().hex[:8]}@example.nl")
    await ask(platform)

    async def exposed() -> dict[str, set[str]]:
        missing: dict[str, set[str]] = {}
        for name in SERVICE_NAMES:
            response = await platform[name].client.get("/metrics")
            assert response.status_code == 200
            samples = [line for line in response.text.splitlines() if not line.startswith("#")]
            absent = {m for m in METRICS if not any(s.startswith(m) and f'service="{name}"' in s for s in samples)}
            if absent:
                missing[name] = absent
        return missing

    async def all_exposed() -> bool:
        return not await exposed()

    try:
        await eventually(all_exposed, timeout=60)
    except TimeoutError:
        raise AssertionError(f"metrics without a sample per service: {await exposed()}") from None
