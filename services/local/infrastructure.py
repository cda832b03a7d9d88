"""What `samenloket up` starts before the services: what is not configured, then schemas and topics.

An embedded PostgreSQL, Tansu broker and SMTP sink stand in for whatever the settings leave empty
(ARCHITECTURE.md, "Infrastructure modes"); each is stopped by the caller's :class:`ExitStack`.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from services.intake.settings import IntakeSettings
from services.kit import broker, crypto, db
from services.kit.settings import Settings, load_settings
from services.local.embedded import EmbeddedKafka, EmbeddedPostgres, free_port
from services.local.mailsink import MailSink
from services.notifications.settings import NotificationsSettings


@dataclass(frozen=True)
class Infrastructure:
    """The environment for the service processes, and the local mail sink when no SMTP server is configured."""

    env: dict[str, str]
    mail: MailSink | None


def start_infrastructure(settings: Settings, data_dir: Path, base_port: int, stack: ExitStack) -> Infrastructure:
    """Start what is not configured, migrate every schema and create the topics."""
    database_url = settings.database_url
    if not database_url:
        postgres = EmbeddedPostgres(data_dir / "postgres")
        postgres.start()
        stack.callback(postgres.stop)
        database_url = postgres.create_database("samenloket")
    bootstrap = settings.kafka_bootstrap_servers
    if not bootstrap:
        kafka = EmbeddedKafka(data_dir / "kafka")
        kafka.start()
        stack.callback(kafka.stop)
        bootstrap = kafka.bootstrap_servers
    env = dict(os.environ)
    env.update(
        SAMENLOKET_DATABASE_URL=database_url,
        SAMENLOKET_KAFKA_BOOTSTRAP_SERVERS=bootstrap,
        SAMENLOKET_INTERNAL_TOKEN=settings.internal_token.get_secret_value() or secrets.token_urlsafe(32),
        SAMENLOKET_DATA_DIR=str(data_dir),
    )
    # The services' own addresses follow --base-port unless set (e.g. a public URL for mail links).
    for offset, name in enumerate(("INTAKE", "MATCHING", "NOTIFICATIONS")):
        env.setdefault(f"SAMENLOKET_{name}_URL", f"http://127.0.0.1:{base_port + offset}")
    # Encryption keys: the configured ones, else those of <data-dir>/secrets.json (made on first start).
    intake = load_settings(IntakeSettings)
    keys = crypto.secrets_of(
        intake.encryption_keys.get_secret_value(), intake.index_key.get_secret_value(), data_dir, warn=False
    )
    env.update(SAMENLOKET_ENCRYPTION_KEYS=keys.ring.format(), SAMENLOKET_INDEX_KEY=keys.index_key)
    sink = None
    if not load_settings(NotificationsSettings).smtp_host:
        sink = MailSink(data_dir / "mail", free_port())
        sink.start()
        stack.callback(sink.stop)
        env.update(SAMENLOKET_SMTP_HOST="127.0.0.1", SAMENLOKET_SMTP_PORT=str(sink.port), SAMENLOKET_SMTP_TLS="none")
        env["SAMENLOKET_MAIL_FOLDER"] = str(sink.folder)
    prepared = settings.model_copy(update={"database_url": database_url, "kafka_bootstrap_servers": bootstrap})
    asyncio.run(_prepare(prepared))
    return Infrastructure(env, sink)


async def _prepare(settings: Settings) -> None:
    await db.migrate_all(settings.database_url)
    await broker.create_topics(settings)
