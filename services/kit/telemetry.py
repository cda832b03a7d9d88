"""OpenTelemetry set-up and W3C ``traceparent`` propagation through Kafka headers.

The trace context is captured when an event is written to the outbox (inside the HTTP request or
the consumer span that caused it) and stored with the row, so the relay publishes it and the next
consumer continues the same trace.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()


def setup_tracing(service: str, otlp_endpoint: str | None, extra: SpanProcessor | None = None) -> None:
    """Install a tracer provider; export over OTLP/HTTP when an endpoint is configured."""
    provider = TracerProvider(resource=Resource.create({"service.name": f"samenloket-{service}"}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    if extra is not None:
        provider.add_span_processor(extra)
    trace.set_tracer_provider(provider)


def tracer() -> trace.Tracer:
    return trace.get_tracer("samenloket")


def current_traceparent() -> str | None:
    """The ``traceparent`` of the active span, or None outside a sampled trace."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def consumer_span(name: str, traceparent: str | None, attributes: dict[str, str]) -> Iterator[Span]:
    """A CONSUMER span that continues the producer's trace when a ``traceparent`` came along."""
    parent = _PROPAGATOR.extract({"traceparent": traceparent}) if traceparent else otel_context.Context()
    with tracer().start_as_current_span(name, context=parent, kind=SpanKind.CONSUMER, attributes=attributes) as span:
        yield span


@contextmanager
def producer_span(name: str, traceparent: str | None, attributes: dict[str, str]) -> Iterator[str | None]:
    """A PRODUCER span under the stored ``traceparent``; yields the ``traceparent`` to send along
    (the producer span's own, or the stored one unchanged when tracing is off)."""
    parent = _PROPAGATOR.extract({"traceparent": traceparent}) if traceparent else otel_context.Context()
    with tracer().start_as_current_span(name, context=parent, kind=SpanKind.PRODUCER, attributes=attributes):
        yield current_traceparent() or traceparent
