"""Dead letters: the original message on ``<topic>.dlq``, with headers saying why and where from.

Operators list and replay them with ``samenloket dlq`` (services/kit/dlq.py reads these headers).
"""

from __future__ import annotations

import logging
from typing import Protocol

from aiokafka import AIOKafkaProducer, ConsumerRecord

from contracts.topics import dlq
from services.kit.metrics import EVENTS_DEAD_LETTERED

log = logging.getLogger(__name__)

Headers = list[tuple[str, bytes]]


class DeadLetters(Protocol):
    async def send(self, record: ConsumerRecord, headers: Headers) -> None: ...


def dead_letter_headers(
    record: ConsumerRecord, reason: str, exc: BaseException, attempts: int, consumer: str
) -> Headers:
    """The message's own headers (earlier ``dlq_*`` ones dropped) plus why, where from and by whom."""
    kept = [(k, v) for k, v in (record.headers or ()) if not k.startswith("dlq_")]
    return [
        *kept,
        ("dlq_reason", reason[:2000].encode()),
        ("dlq_exception_type", type(exc).__name__.encode()),
        ("dlq_original_topic", record.topic.encode()),
        ("dlq_original_partition", str(record.partition).encode()),
        ("dlq_original_offset", str(record.offset).encode()),
        ("dlq_attempts", str(attempts).encode()),
        ("dlq_consumer", consumer.encode()),
    ]


class KafkaDeadLetters:
    """Publishes dead letters with the service's own producer, waiting for the broker's acknowledgement."""

    def __init__(self, producer: AIOKafkaProducer, service: str) -> None:
        self.producer = producer
        self.service = service

    async def send(self, record: ConsumerRecord, headers: Headers) -> None:
        await self.producer.send_and_wait(dlq(record.topic), value=record.value, key=record.key, headers=headers)
        EVENTS_DEAD_LETTERED.labels(self.service, record.topic).inc()
        reason = dict(headers).get("dlq_reason", b"").decode(errors="replace")
        log.error("event dead-lettered", extra={"topic": record.topic, "offset": record.offset, "reason": reason})
