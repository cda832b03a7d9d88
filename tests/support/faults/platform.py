"""The four services as real processes on infrastructure the test owns, so that it can take it away.

Each service runs as ``python -m services.cli serve NAME`` (what containers and ``samenloket up``
run) against an embedded PostgreSQL of the platform's own, which the test stops and starts again on
the same data dir and port, and a Tansu broker of its own, which the test freezes with SIGSTOP and
thaws with SIGCONT. Mail goes to an SMTP server (aiosmtpd) in the test process that keeps every
message. A supervisor task starts again every service process that exits, as ``samenloket up`` and
an orchestrator do, and notes the exit: a SIGKILL of the test's, or a process that ended by itself
(the kit's watchdog ends a process whose consumer or relay died).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from services.kit import broker, db
from services.kit.settings import SERVICE_NAMES, Settings
from services.local.embedded import EmbeddedKafka, EmbeddedPostgres, spawn_child
from tests.support.system import free_base_port

REPO_ROOT = Path(__file__).resolve().parents[3]
TOKEN = "fault-suite-internal-token"
COORDINATOR_EMAIL = "coordinatoren@overleg.example.nl"
#: Consumers per busy group in every service (the 2-core machine runs six processes).
CONCURRENCY = 2
PARTITIONS = 3
READY_TIMEOUT = 90.0
LOG_TAIL_LINES = 25


@dataclass(frozen=True)
class Mail:
    """One message as the SMTP server accepted it."""

    message_id: str
    to: tuple[str, ...]
    subject: str


class MailBox:
    """aiosmtpd handler keeping the Message-ID, recipients and subject of every accepted message."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        headers = BytesHeaderParser().parsebytes(envelope.original_content or envelope.content)
        to = tuple(addr for _, addr in getaddresses(headers.get_all("To", [])))
        mail = Mail(str(headers.get("Message-ID", "")).strip(), to, str(headers.get("Subject", "")))
        with self._lock:
            self.mails.append(mail)
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[Mail]:
        with self._lock:
            return list(self.mails)


@dataclass(frozen=True)
class Exit:
    """A service process that ended: killed by the test, or by itself."""

    service: str
    returncode: int | None
    at: float
    killed: bool


@dataclass
class ServiceProcess:
    """One service as our child process, on a fixed port (a restart binds it again)."""

    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "services.cli", "serve", self.name]
        self.process = spawn_child(command, log_file=self.log_path, env=self.env, cwd=REPO_ROOT)
        self.starts += 1

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return f"(no log at {self.log_path})"
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Platform:
    """PostgreSQL, Tansu, an SMTP server and the four services, each service a real process."""

    root: Path
    postgres: EmbeddedPostgres = field(init=False)
    kafka: EmbeddedKafka = field(init=False)
    mailbox: MailBox = field(default_factory=MailBox)
    database_url: str = ""
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    exits: list[Exit] = field(default_factory=list)
    _killed: set[int] = field(default_factory=set)
    _supervisor: asyncio.Task[None] | None = None
    _smtp: Controller | None = None
    _smtp_port: int = 0

    def __post_init__(self) -> None:
        # Ports below the ephemeral range: no outgoing connection takes them while a server is away.
        self.postgres = EmbeddedPostgres(self.root / "postgres", port=free_base_port(1))
        self.kafka = EmbeddedKafka(self.root / "kafka", port=free_base_port(1))

    @property
    def settings(self) -> Settings:
        return Settings(
            database_url=self.database_url,
            kafka_bootstrap_servers=self.kafka.bootstrap_servers,
            kafka_topic_partitions=PARTITIONS,
            internal_token=SecretStr(TOKEN),
            data_dir=self.root / "data",
        )

    # --- start and stop -----------------------------------------------------------------------------

    async def start(self) -> None:
        await asyncio.to_thread(self.postgres.start)
        self.database_url = await asyncio.to_thread(self.postgres.create_database, "samenloket")
        await asyncio.to_thread(self.kafka.start)
        await db.migrate_all(self.database_url)
        await broker.create_topics(self.settings)
        self._smtp_port = free_base_port(1)
        self._smtp = Controller(self.mailbox, hostname="127.0.0.1", port=self._smtp_port)
        self._smtp.start()
        base = free_base_port(len(SERVICE_NAMES))
        ports = {name: base + offset for offset, name in enumerate(SERVICE_NAMES)}
        env = self._environment(ports)
        (self.root / "logs").mkdir(parents=True, exist_ok=True)
        for name, port in ports.items():
            self.services[name] = ServiceProcess(
                name, port, env | {"SAMENLOKET_PORT": str(port)}, self.root / "logs" / f"{name}.log"
            )
        for service in self.services.values():
            service.start()
        self._supervisor = asyncio.create_task(self._supervise(), name="fault-suite-supervisor")
        await self.wait_ready(*self.services)

    def _environment(self, ports: dict[str, int]) -> dict[str, str]:
        settings = self.settings
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAMENLOKET_")}
        return env | {
            "SAMENLOKET_DATABASE_URL": settings.database_url,
            "SAMENLOKET_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
            "SAMENLOKET_KAFKA_TOPIC_PARTITIONS": str(PARTITIONS),
            "SAMENLOKET_INTERNAL_TOKEN": TOKEN,
            "SAMENLOKET_DATA_DIR": str(settings.data_dir),
            "SAMENLOKET_INTAKE_URL": f"http://127.0.0.1:{ports['intake']}",
            "SAMENLOKET_MATCHING_URL": f"http://127.0.0.1:{ports['matching']}",
            "SAMENLOKET_NOTIFICATIONS_URL": f"http://127.0.0.1:{ports['notifications']}",
            "SAMENLOKET_SMTP_HOST": "127.0.0.1",
            "SAMENLOKET_SMTP_PORT": str(self._smtp_port),
            "SAMENLOKET_SMTP_TLS": "none",
            "SAMENLOKET_COORDINATOR_EMAIL": COORDINATOR_EMAIL,
            "SAMENLOKET_CONSUMER_CONCURRENCY": str(CONCURRENCY),
            "SAMENLOKET_LOG_LEVEL": "INFO",
        }

    async def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        self.thaw_broker()
        await asyncio.gather(*(asyncio.to_thread(_terminate, s) for s in self.services.values()))
        await asyncio.to_thread(self.kafka.stop)
        await asyncio.to_thread(self.postgres.stop)
        if self._smtp is not None:
            self._smtp.stop()

    async def _supervise(self) -> None:
        """Start every exited service again (as ``samenloket up`` does) and note why it exited."""
        while True:
            for service in self.services.values():
                process = service.process
                if process is not None and process.poll() is not None:
                    killed = process.pid in self._killed
                    self.exits.append(Exit(service.name, process.returncode, time.monotonic(), killed))
                    service.start()
            await asyncio.sleep(0.2)

    async def wait_ready(self, *names: str, timeout: float = READY_TIMEOUT) -> None:
        """Until every named service answers ``/readyz`` with 200; fail with their log tails."""
        pending = set(names)
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2.0) as client:
            while pending:
                for name in sorted(pending):
                    with contextlib.suppress(httpx.HTTPError):
                        if (await client.get(f"{self.services[name].url}/readyz")).status_code == 200:
                            pending.discard(name)
                if pending and time.monotonic() > deadline:
                    raise AssertionError(f"not ready within {timeout:.0f}s: {sorted(pending)}\n{self.diagnostics()}")
                await asyncio.sleep(0.2)

    # --- faults -------------------------------------------------------------------------------------

    async def database_down(self) -> None:
        """Stop PostgreSQL (fast shutdown: every connection is cut)."""
        await asyncio.to_thread(self.postgres.stop)

    async def database_up(self) -> None:
        """Start PostgreSQL again on the same data dir and port."""
        await asyncio.to_thread(self.postgres.start)

    def freeze_broker(self) -> None:
        pid = self.kafka.pid
        assert pid is not None, "the broker is not running"
        os.kill(pid, signal.SIGSTOP)

    def thaw_broker(self) -> None:
        pid = self.kafka.pid
        if pid is not None:
            os.kill(pid, signal.SIGCONT)

    async def kill(self, name: str) -> int:
        """SIGKILL one service and wait until it is gone; the supervisor starts it again. Returns its pid."""
        process = self.services[name].process
        assert process is not None and process.poll() is None, f"{name} is not running"
        self._killed.add(process.pid)
        process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(process.wait, 10)
        return process.pid

    def exits_since(self, moment: float) -> list[Exit]:
        return [e for e in self.exits if e.at >= moment]

    # --- reading ------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[asyncpg.Connection]:
        conn = await asyncpg.connect(self.database_url, timeout=10)
        try:
            yield conn
        finally:
            await conn.close()

    def diagnostics(self) -> str:
        parts = [f"exits: {self.exits}"]
        for service in self.services.values():
            parts.append(
                f"--- {service.name} (last {LOG_TAIL_LINES} lines of {service.log_path}):\n{service.log_tail()}"
            )
        return "\n".join(parts)


def _terminate(service: ServiceProcess) -> None:
    process = service.process
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
