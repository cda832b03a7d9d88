"""Kafka clients and topic set-up, from the settings (PLAINTEXT, SSL or SASL).

Consumers are FastStream's (:func:`make_broker`); the outbox relay and dead letters publish with a
plain aiokafka producer (:func:`make_producer`), so the raw bytes and headers of a message are sent
exactly as they are.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from contracts.topics import ALL_TOPICS, dlq
from services.kit.settings import Settings


def client_options(settings: Settings) -> dict[str, Any]:
    """Connection and security options common to producers, consumers and the admin client."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl.create_default_context(
            cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
        )
    if settings.kafka_sasl_mechanism:
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        password = settings.kafka_sasl_password
        options["sasl_plain_password"] = password.get_secret_value() if password else None
    return options


def security(settings: Settings) -> BaseSecurity | None:
    """The settings' TLS and SASL options in FastStream's terms."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    use_ssl = protocol in ("SSL", "SASL_SSL")
    context = client_options(settings).get("ssl_context")
    if not settings.kafka_sasl_mechanism:
        return BaseSecurity(ssl_context=context, use_ssl=use_ssl)
    password = settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
    kind = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}
    return kind[settings.kafka_sasl_mechanism](
        settings.kafka_sasl_username or "", password, ssl_context=context, use_ssl=use_ssl
    )


def make_broker(settings: Settings, service: str) -> KafkaBroker:
    """The service's FastStream broker: its consumers, traced by FastStream's telemetry middleware.

    Per message, nothing runs that the reliability middleware already does: no Prometheus middleware
    (the ``samenloket_*`` metrics count handled, failed, duplicate and dead-lettered events and time
    the handling) and no FastDepends injection (``apply_types=False``: a handler receives the payload
    the decoder made, and its transaction and envelope from context variables).
    """
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        security=security(settings),
        client_id=f"samenloket-{service}",
        middlewares=[KafkaTelemetryMiddleware()],
        apply_types=False,
        logger=logging.getLogger(f"samenloket.{service}.faststream"),
        log_level=logging.DEBUG,
        graceful_timeout=10.0,
    )


def make_producer(settings: Settings, **overrides: Any) -> AIOKafkaProducer:
    """A producer that waits for all in-sync replicas. Idempotence stays off: Tansu lacks InitProducerId."""
    options = client_options(settings) | {
        "acks": "all",
        "enable_idempotence": False,
        "linger_ms": 2,
        "max_batch_size": 256 * 1024,
    }
    return AIOKafkaProducer(**(options | overrides))


def make_consumer(settings: Settings, group_id: str, topics: list[str], **overrides: Any) -> AIOKafkaConsumer:
    """A consumer that reads from the earliest offset and commits only when told to."""
    options = client_options(settings) | {
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "max_poll_records": 500,
        # A killed instance's partitions move on after 6 s (Kafka's smallest allowed session) instead of 10 s.
        "session_timeout_ms": 6000,
        "heartbeat_interval_ms": 1500,
    }
    return AIOKafkaConsumer(*topics, **(options | overrides))


def all_topic_names() -> list[str]:
    return [name for topic in ALL_TOPICS for name in (topic, dlq(topic))]


async def create_topics(settings: Settings) -> list[str]:
    """Create every topic and its DLQ when missing; return the names created."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in all_topic_names() if t not in existing]
        if missing:
            new = [NewTopic(t, settings.kafka_topic_partitions, settings.kafka_replication_factor) for t in missing]
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
        return missing
    finally:
        await admin.close()
