"""Child processes that never outlive us: how the embedded servers and the launcher's services are started.

Every child starts in its own session, so a Ctrl-C in the terminal reaches only us and our
``stop()`` decides the order. Each child gets ``PR_SET_PDEATHSIG``, so the kernel signals it when
we die, even by SIGKILL. Children are forked from one long-lived daemon thread (see
:class:`_Spawner`), because the kernel sends that signal when the *forking thread* ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psutil

HOST = "127.0.0.1"

_T = TypeVar("_T")
_PR_SET_PDEATHSIG = 1
_LOG_TAIL_LINES = 40


def free_port(host: str = HOST) -> int:
    """Return a TCP port that is free right now (the OS picks it; another process may take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Identity:
    """Who a child process runs as: ``None`` ids mean "as ourselves"."""

    uid: int | None = None
    gid: int | None = None

    def popen_kwargs(self) -> dict[str, Any]:
        if self.uid is None:
            return {}
        # Drop root's supplementary groups too, not only uid and gid.
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


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


def spawn(
    cmd: list[str],
    *,
    log_file: Path,
    cwd: Path,
    identity: Identity,
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
    return spawn(
        cmd, log_file=log_file, cwd=cwd or Path.cwd(), identity=Identity(), death_signal=signal.SIGTERM, env=env
    )


def terminate(proc: subprocess.Popen[bytes], sig: int, timeout: float) -> None:
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


def startup_error(what: str, reason: str, log_file: Path) -> RuntimeError:
    """The error a server that did not start raises: why, and the last lines of its log."""
    return RuntimeError(f"{what} did not start: {reason}. Last lines of {log_file}:\n{_tail(log_file)}")


def run_blocking(factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
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
