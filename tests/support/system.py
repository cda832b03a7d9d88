"""Drive the whole system as an operator would: ``samenloket up`` as a real process, and read its topics.

:func:`start_system` runs ``python -m services.cli up --demo`` on embedded infrastructure, waits for
its ``ready in`` line and reads ``run.json``. :func:`stop_system` sends the signal Ctrl-C would and
reports every process that outlived the launcher. :class:`TopicTail` keeps one group-less consumer
open over some topics and accumulates their records, so a test can poll for more without reading
the topic from the beginning again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from contracts.envelope import CloudEvent, InvalidEvent, decode, header_map
from services.kit import broker
from services.kit.settings import SERVICE_NAMES, Settings

READY_PREFIX = "ready in"
LOG_TAIL_LINES = 30


# --------------------------------------------------------------------------- the launcher process


def free_base_port(span: int = 4, attempts: int = 50) -> int:
    """A port P such that P..P+span-1 are free now (below the ephemeral range the OS hands out)."""
    for _ in range(attempts):
        base = random.randint(20_000, 32_000)
        if all(_port_free(base + i) for i in range(span)):
            return base
    raise RuntimeError(f"no {span} consecutive free ports found in {attempts} attempts")


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class RunningSystem:
    """A running ``samenloket up`` and what it announced in ``run.json``."""

    process: subprocess.Popen[str]
    data_dir: Path
    state: dict[str, Any]
    output: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    @property
    def settings(self) -> Settings:
        return Settings(
            database_url=self.state["database_url"], kafka_bootstrap_servers=self.state["kafka_bootstrap_servers"]
        )

    @property
    def token(self) -> str:
        token: str = self.state["internal_token"]
        return token

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def database_url(self) -> str:
        url: str = self.state["database_url"]
        return url

    @property
    def mail_folder(self) -> Path:
        return Path(self.state["mail_folder"])

    def url(self, service: str) -> str:
        url: str = self.state["services"][service]["url"]
        return url

    def pid(self, service: str) -> int:
        pid: int = self.state["services"][service]["pid"]
        return pid

    def stdout(self) -> str:
        return "".join(self.output)

    def diagnostics(self) -> str:
        """The launcher's output and the tail of every service log, for assertion messages."""
        parts = [f"--- samenloket up (exit {self.process.poll()}) stdout:\n{self.stdout()}"]
        for log in sorted((self.data_dir / "logs").glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
            parts.append(f"--- {log.name} (last {LOG_TAIL_LINES} lines):\n" + "\n".join(lines))
        return "\n".join(parts)


def start_system(
    data_dir: Path, *, timeout: float = 90.0, trickle_seconds: float = 3600.0, region: Path | None = None
) -> RunningSystem:
    """Start ``samenloket up --demo`` (``--region region`` when given) and wait for its ``ready in`` line;
    fail with its output and logs."""
    base = free_base_port(len(SERVICE_NAMES))
    command = [sys.executable, "-m", "services.cli", "up", "--demo", "--data-dir", str(data_dir)]
    command += ["--base-port", str(base), "--trickle-seconds", str(trickle_seconds)]
    command += ["--region", str(region)] if region is not None else []
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        bufsize=1,
        cwd=Path(__file__).resolve().parents[2],
    )
    system = RunningSystem(process=process, data_dir=data_dir, state={})
    ready = threading.Event()
    system._reader = threading.Thread(target=_drain, args=(system, ready), name="samenloket-up-stdout", daemon=True)
    system._reader.start()
    deadline = time.monotonic() + timeout
    while not ready.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            reason = "exited" if process.poll() is not None else f"not ready within {timeout:.0f}s"
            with contextlib.suppress(Exception):
                stop_system(system)
            raise AssertionError(f"samenloket up {reason}\n{system.diagnostics()}")
    system.state = json.loads((data_dir / "run.json").read_text())
    return system


def _drain(system: RunningSystem, ready: threading.Event) -> None:
    """Keep reading the launcher's stdout (a full pipe would block it)."""
    assert system.process.stdout is not None
    for line in system.process.stdout:
        system.output.append(line)
        if line.startswith(READY_PREFIX):
            ready.set()


@dataclass
class Stopped:
    returncode: int | None
    leftovers: list[str]
    watched: int


def stop_system(system: RunningSystem, sig: int = signal.SIGINT, timeout: float = 60.0) -> Stopped:
    """Stop the launcher as Ctrl-C would; return its exit code and every process it left behind."""
    process = system.process
    watched = _descendants(process.pid)
    for name in SERVICE_NAMES:
        with contextlib.suppress(KeyError, psutil.Error):
            watched.append(psutil.Process(system.pid(name)))
    if process.poll() is None:
        process.send_signal(sig)
    try:
        returncode: int | None = process.wait(timeout)
    except subprocess.TimeoutExpired:
        returncode = None
    _, alive = psutil.wait_procs(watched, timeout=10)
    leftovers = [_describe(p) for p in alive if _running(p)]
    for proc in alive:  # clean up after a failed stop, so the test run goes on
        with contextlib.suppress(psutil.Error):
            proc.kill()
    if returncode is None:
        process.kill()
        process.wait()
    if system._reader is not None:
        system._reader.join(5)
    return Stopped(returncode, leftovers, len(watched))


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return list(psutil.Process(pid).children(recursive=True))
    except psutil.Error:
        return []


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _describe(proc: psutil.Process) -> str:
    try:
        return f"pid {proc.pid}: {' '.join(proc.cmdline())[:200]}"
    except psutil.Error:
        return f"pid {proc.pid}"


# --------------------------------------------------------------------------- reading topics


@dataclass(frozen=True)
class Seen:
    """One record read from a topic, decoded once (``event`` is None when it is no CloudEvent)."""

    record: ConsumerRecord
    event: CloudEvent | None

    @property
    def topic(self) -> str:
        topic: str = self.record.topic
        return topic

    @property
    def headers(self) -> dict[str, str]:
        return header_map(self.record.headers)

    @property
    def type(self) -> str | None:
        return self.event.type if self.event else None

    @property
    def data(self) -> dict[str, Any]:
        return self.event.data if self.event else {}


class TopicTail:
    """Reads ``topics`` from the beginning with one group-less consumer and keeps every record."""

    def __init__(self, settings: Settings, topics: Iterable[str]) -> None:
        self.settings = settings
        self.topics = list(topics)
        self.seen: list[Seen] = []
        self._consumer: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> TopicTail:
        consumer = AIOKafkaConsumer(**broker.client_options(self.settings), enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = await self._partitions(consumer)
            consumer.assign(partitions)
            await consumer.seek_to_beginning()
        except BaseException:
            await consumer.stop()
            raise
        self._consumer = consumer
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def _partitions(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        found: list[TopicPartition] = []
        for topic in self.topics:
            numbers = consumer.partitions_for_topic(topic)
            if not numbers:
                await consumer._client.force_metadata_update()
                numbers = consumer.partitions_for_topic(topic)
            if not numbers:
                raise AssertionError(f"topic {topic} does not exist")
            found += [TopicPartition(topic, p) for p in sorted(numbers)]
        return found

    async def poll(self, timeout_ms: int = 200) -> list[Seen]:
        """Read what arrived; return the new records."""
        assert self._consumer is not None, "use `async with TopicTail(...)`"
        batch = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=5000)
        new = [Seen(r, _decode(r)) for records in batch.values() for r in records]
        self.seen.extend(new)
        return new

    async def until(
        self, check: Callable[[], object], timeout: float, what: str, detail: Callable[[], str] | None = None
    ) -> None:
        """Poll until ``check()`` is truthy; fail naming ``what`` (and ``detail()``) after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                extra = f"\n{detail()}" if detail else ""
                raise AssertionError(f"{what}: not seen within {timeout:.0f}s ({len(self.seen)} records read){extra}")
            await self.poll()

    async def quiet(self, relevant: Callable[[Seen], bool], seconds: float, timeout: float) -> None:
        """Poll until ``seconds`` passed with no new relevant record (bounded by ``timeout``)."""
        deadline = time.monotonic() + timeout
        last = time.monotonic()
        while time.monotonic() - last < seconds:
            if time.monotonic() > deadline:
                raise AssertionError(f"relevant records kept coming for {timeout:.0f}s")
            if any(relevant(s) for s in await self.poll()):
                last = time.monotonic()

    async def read_to_end(self, timeout: float = 30.0) -> None:
        """Read until every partition's position reached the end offset it had when this was called."""
        assert self._consumer is not None
        consumer = self._consumer
        ends = await consumer.end_offsets(list(consumer.assignment()))
        deadline = time.monotonic() + timeout
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read to the end of {self.topics} within {timeout:.0f}s")
            await self.poll()

    def of(self, ce_type: str, topic: str | None = None) -> list[Seen]:
        return [s for s in self.seen if s.type == ce_type and (topic is None or s.topic == topic)]


def _decode(record: ConsumerRecord) -> CloudEvent | None:
    try:
        return decode(record.headers, record.value)
    except InvalidEvent:
        return None


async def wait_for(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    """Poll an (async or sync) check until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f}s (last: {last!r})")
        await asyncio.sleep(interval)
