"""Prometheus metrics shared by every service (served at ``/metrics``)."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_HANDLED = Counter("samenloket_events_handled_total", "Events handled", ["service", "topic", "type"])
EVENTS_DUPLICATE = Counter(
    "samenloket_events_duplicate_total", "Redelivered events skipped by the inbox", ["service", "topic"]
)
EVENTS_FAILED = Counter("samenloket_events_failed_total", "Handler attempts that raised", ["service", "topic"])
EVENTS_DEAD_LETTERED = Counter(
    "samenloket_events_dead_lettered_total", "Events sent to a .dlq topic", ["service", "topic"]
)
CONSUMER_LAG = Gauge(
    "samenloket_consumer_lag", "Messages behind the end of the partition", ["service", "topic", "partition"]
)
OUTBOX_DEPTH = Gauge("samenloket_outbox_depth", "Events waiting in the outbox", ["service"])
OUTBOX_PUBLISHED = Counter("samenloket_outbox_published_total", "Events published by the relay", ["service"])
HANDLE_SECONDS = Histogram(
    "samenloket_handle_seconds",
    "Time to handle one event",
    ["service", "type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
