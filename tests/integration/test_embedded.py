"""The embedded PostgreSQL and Tansu broker start, serve, stop and leave nothing behind."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import asyncpg
import psutil
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.local.embedded import EmbeddedKafka, EmbeddedPostgres, free_port

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]


def process_tree(pid: int | None) -> list[psutil.Process]:
    assert pid is not None
    parent = psutil.Process(pid)
    return [parent, *parent.children(recursive=True)]


def assert_gone(processes: list[psutil.Process]) -> None:
    _, alive = psutil.wait_procs(processes, timeout=10)
    assert alive == []


def port_is_free(port: int) -> bool:
    """Nothing listens there and we could bind it (SO_REUSEADDR: TIME_WAIT does not count)."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def kafka_round_trip(bootstrap_servers: str) -> bytes:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, enable_idempotence=False)
    await producer.start()
    try:
        sent = await producer.send_and_wait("embedded-test", b"hallo", key=b"k")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        partition = TopicPartition(sent.topic, sent.partition)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        message = await asyncio.wait_for(consumer.getone(), timeout=20)
    finally:
        await consumer.stop()
    assert message.value is not None
    return message.value


async def test_postgres_and_kafka_serve_and_stop_cleanly(tmp_path: Path) -> None:
    pg = EmbeddedPostgres(tmp_path / "infra")
    kafka = EmbeddedKafka(tmp_path / "infra")
    await asyncio.to_thread(pg.start)
    await asyncio.to_thread(kafka.start)
    try:
        pg.start()  # idempotent
        kafka.start()
        pg_processes, kafka_processes = process_tree(pg.pid), process_tree(kafka.pid)

        conn = await asyncpg.connect(pg.url)
        assert await conn.fetchval("select 1") == 1
        await conn.close()

        url = pg.create_database("intake")
        assert pg.create_database("intake") == url == pg.url_for("intake")
        conn = await asyncpg.connect(url)
        assert await conn.fetchval("select current_database()") == "intake"
        await conn.close()

        assert await kafka_round_trip(kafka.bootstrap_servers) == b"hallo"
    finally:
        pg.stop()
        kafka.stop()

    assert pg.pid is None and kafka.pid is None
    assert_gone(pg_processes + kafka_processes)
    assert port_is_free(pg.port)
    assert port_is_free(kafka.port)
    pg.stop()  # idempotent, no error when already stopped
    kafka.stop()
    for log in ("postgres.log", "initdb.log", "tansu.log"):
        assert (tmp_path / "infra" / log).stat().st_size > 0


async def test_postgres_keeps_its_data_across_restarts(tmp_path: Path) -> None:
    with EmbeddedPostgres(tmp_path / "pg") as pg:
        conn = await asyncpg.connect(pg.url)
        await conn.execute("create table kept (value text); insert into kept values ('still here')")
        await conn.close()

    with EmbeddedPostgres(tmp_path / "pg", port=free_port()) as again:
        conn = await asyncpg.connect(again.url)
        assert await conn.fetchval("select value from kept") == "still here"
        await conn.close()


def test_start_failure_says_why_and_leaves_no_process(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        pg = EmbeddedPostgres(tmp_path / "pg", port=port)
        with pytest.raises(RuntimeError, match=r"(?s)PostgreSQL did not start.*postgres\.log"):
            pg.start(timeout=15)
        kafka = EmbeddedKafka(tmp_path / "kafka", port=port)
        with pytest.raises(RuntimeError, match="Tansu did not start"):
            kafka.start(timeout=5)
    assert pg.pid is None and kafka.pid is None


CHILD = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from services.local.embedded import EmbeddedKafka, EmbeddedPostgres
    pg, kafka = EmbeddedPostgres(Path(sys.argv[1])), EmbeddedKafka(Path(sys.argv[1]))
    pg.start()
    kafka.start()
    print(json.dumps({"pg": pg.pid, "kafka": kafka.pid}), flush=True)
    time.sleep(300)
    """
)


def test_servers_die_with_a_killed_parent(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    parent = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "infra")],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert parent.stdout is not None
        pids = json.loads(parent.stdout.readline())
        servers = process_tree(pids["pg"]) + process_tree(pids["kafka"])
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    assert_gone(servers)

    started = time.monotonic()
    with EmbeddedPostgres(tmp_path / "infra") as pg:  # the data dir is usable again
        assert pg.pid is not None
    assert time.monotonic() - started < 30
