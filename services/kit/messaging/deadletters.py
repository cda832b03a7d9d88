"""Dead letters: the original message on ``<topic>.dlq``, with headers saying why and where from.

Operators list and replay them with ``samenloket dlq`` (services/kit/dlq.py reads these headers).
A letter the broker (or our producer) refuses for its size goes without its value, the header
:data:`VALUE_OMITTED` saying so: sending it again as it is could never succeed, and its partition
would wait for good. The ``dlq_original_*`` headers still say where the whole message lies.
"""

from __future__ import annotations

import logging
from typing import Protocol

from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError

from contracts.topics import dlq
from services.kit.metrics import EVENTS_DEAD_LETTERED

log = logging.getLogger(__name__)

Headers = list[tuple[str, bytes]]

#: Set on a dead letter sent without its value (too large to send): how large it was, and why.
VALUE_OMITTED = "dlq_value_omitted"
#: The refusals of a record for its size, by our producer (``max_request_size``) or by the broker.
_TOO_LARGE = (MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError)


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
        topic = dlq(record.topic)
        try:
            await self.producer.send_and_wait(topic, value=record.value, key=record.key, headers=headers)
        except _TOO_LARGE as exc:
            omitted = (VALUE_OMITTED, f"{len(record.value or b'')} bytes: {type(exc).__name__}".encode())
            try:
                await self.producer.send_and_wait(topic, value=None, key=record.key, headers=[*headers, omitted])
            except _TOO_LARGE:  # the key or the message's own headers are too large as well: only ours go
                ours = [(name, value) for name, value in headers if name.startswith("dlq_")]
                await self.producer.send_and_wait(topic, value=None, key=None, headers=[*ours, omitted])
        EVENTS_DEAD_LETTERED.labels(self.service, record.topic).inc()
        reason = dict(headers).get("dlq_reason", b"").decode(errors="replace")
        log.error("event dead-lettered", extra={"topic": record.topic, "offset": record.offset, "reason": reason})
