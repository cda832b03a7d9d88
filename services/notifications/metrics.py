"""Prometheus counters of notifications (served by the kit at ``/metrics``)."""

from prometheus_client import Counter

SENT = Counter("samenloket_notifications_sent_total", "Notifications delivered", ["channel"])
RETRIED = Counter(
    "samenloket_notifications_retried_total",
    "Delivery attempts that failed transiently and will be retried",
    ["channel"],
)
FAILED = Counter("samenloket_notifications_failed_total", "Notifications given up", ["channel"])
SKIPPED = Counter(
    "samenloket_notifications_skipped_total", "Notifications not sent on purpose (the resident opted out)", ["channel"]
)
