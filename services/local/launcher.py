"""`samenloket up`: embedded infrastructure, migrations, topics, the four services as processes.

The infrastructure comes from :mod:`services.local.infrastructure`; with ``--demo`` the launcher
also loads the demo region, makes the demo keys and keeps the demo trickle going
(:mod:`services.local.demo`). The launcher supervises its children: a service process that dies is started again (what a
container orchestrator would do), and Ctrl-C or SIGTERM stops every process it started, the
embedded database and broker included. Children also get a parent-death signal, so even a killed
launcher leaves no orphans.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx

from services.kit.region import Region, RegionFileError, load_region
from services.kit.settings import SERVICE_NAMES, load_settings
from services.local.demo.keys import all_demo_keys
from services.local.demo.region import demo_of, load_demo
from services.local.demo.trickle import Trickle
from services.local.embedded import spawn_child
from services.local.infrastructure import start_infrastructure
from services.local.mailsink import MailSink

READY_TIMEOUT = 60.0
STATE_FILE = "run.json"
#: The dashboard's address on the default ports (the launcher prints the real one).
DASHBOARD_PATH = "/dashboard"


@dataclass
class Child:
    """One service as a process of ours (``samenloket serve NAME``), started again when it dies."""

    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "services.cli", "serve", self.name]
        self.process = spawn_child(command, log_file=self.log_path, env=self.env)

    def stop(self, timeout: float = 10.0) -> None:
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Launcher:
    demo: bool = False
    base_port: int = 8001
    data_dir: Path | None = None
    trickle_seconds: float = 5.0
    children: list[Child] = field(default_factory=list)
    demo_api_key: str | None = None
    demo_keys: dict[str, str] = field(default_factory=dict)
    #: The region file to serve (``--region``); None: the shipped demo region Drechtsteden.
    region_file: Path | None = None
    _stopping: bool = False

    def run(self) -> int:
        started = time.monotonic()
        settings = load_settings()
        if self.region_file is None and settings.region_file:
            self.region_file = Path(settings.region_file)
        data_dir = (self.data_dir or settings.data_dir).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        with ExitStack() as stack:
            try:
                infrastructure = start_infrastructure(settings, data_dir, self.base_port, stack)
                env = infrastructure.env
                region = self._region()
                if self.region_file is not None:
                    env = env | {"SAMENLOKET_REGION_FILE": str(self.region_file.resolve())}
                self._start_services(env, data_dir)
                stack.callback(self._stop_services)
                self._wait_ready()
                demo_counts = asyncio.run(load_demo(env["SAMENLOKET_DATABASE_URL"], region)) if self.demo else {}
                if self.demo:
                    previous = _previous_state(data_dir)
                    self.demo_api_key, self.demo_keys = asyncio.run(
                        all_demo_keys(env["SAMENLOKET_DATABASE_URL"], previous, demo_of(region).desk)
                    )
                self._announce(env, data_dir, time.monotonic() - started, demo_counts)
                self._supervise(infrastructure.mail)
            except _Stop:
                pass
        print("samenloket: stopped", flush=True)
        return 0

    def _region(self) -> Region:
        """The region served: the region file's (checked before anything starts), or the demo region."""
        try:
            region = load_region(self.region_file)
        except RegionFileError as exc:
            raise SystemExit(f"samenloket: {exc}") from None
        if self.demo:
            demo_of(region)
        return region

    def _start_services(self, env: dict[str, str], data_dir: Path) -> None:
        logs = data_dir / "logs"
        logs.mkdir(exist_ok=True)
        for offset, name in enumerate(SERVICE_NAMES):
            port = self.base_port + offset
            child = Child(name, port, env | {"SAMENLOKET_PORT": str(port)}, logs / f"{name}.log")
            child.start()
            self.children.append(child)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        pending = {c.name: c for c in self.children}
        with httpx.Client(timeout=1.0) as client:
            while pending:
                self._check_stop()
                for name, child in list(pending.items()):
                    if child.process is not None and child.process.poll() is not None:
                        raise SystemExit(f"samenloket: {name} exited at start; see {child.log_path}")
                    try:
                        if client.get(f"{child.url}/readyz").status_code == 200:
                            del pending[name]
                    except httpx.HTTPError:
                        pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"samenloket: not ready within {READY_TIMEOUT:.0f}s: {', '.join(pending)}")
                time.sleep(0.2)

    def _announce(self, env: dict[str, str], data_dir: Path, seconds: float, demo: dict[str, int]) -> None:
        state = {
            "pid": os.getpid(),
            "services": {c.name: {"url": c.url, "pid": c.process.pid if c.process else None} for c in self.children},
            "database_url": env["SAMENLOKET_DATABASE_URL"],
            "kafka_bootstrap_servers": env["SAMENLOKET_KAFKA_BOOTSTRAP_SERVERS"],
            "internal_token": env["SAMENLOKET_INTERNAL_TOKEN"],
            "mail_folder": env.get("SAMENLOKET_MAIL_FOLDER"),
            "demo": demo,
            "region_file": str(self.region_file.resolve()) if self.region_file else "",
        }
        if self.demo_api_key:
            state["demo_api_key"] = self.demo_api_key
        if self.demo_keys:
            state["demo_keys"] = self.demo_keys
        state_path = data_dir / STATE_FILE
        state_path.write_text(json.dumps(state, indent=2))
        state_path.chmod(0o600)
        print("Samenloket draait / is running:", flush=True)
        for child in self.children:
            print(f"  {child.name:<14} {child.url}  (API docs: {child.url}/docs)", flush=True)
        print(f"  database       {_redact(env['SAMENLOKET_DATABASE_URL'])}", flush=True)
        print(f"  kafka          {env['SAMENLOKET_KAFKA_BOOTSTRAP_SERVERS']}", flush=True)
        if env.get("SAMENLOKET_MAIL_FOLDER"):
            print(f"  mail (sink)    {env['SAMENLOKET_MAIL_FOLDER']}", flush=True)
        if demo:
            print(f"  demo           {demo}", flush=True)
        reporting = next((c for c in self.children if c.name == "reporting"), None)
        if reporting:
            hint = "  (sign in with a key of demo_keys in the state file: analyst, desk or council)"
            print(f"  dashboard      {reporting.url}{DASHBOARD_PATH}{hint if self.demo_keys else ''}", flush=True)
        print(f"  state          {state_path}", flush=True)
        print(f"ready in {seconds:.1f}s — Ctrl-C stops everything", flush=True)

    def _supervise(self, mail: MailSink | None) -> None:
        """Restart crashed services; keep the demo moving now and then; return on a stop signal.

        Invited demo residents find their link in the local mail sink's inbox; with a real SMTP
        server configured nobody reads their mail, so nobody shares an experience.
        """
        trickle = None
        if self.demo and self.demo_api_key:
            urls = {c.name: c.url for c in self.children}
            trickle = Trickle(
                urls["intake"],
                urls["matching"],
                self.demo_api_key,
                mail.inbox if mail is not None else None,
                desk_key=self.demo_keys.get("desk"),
                region=self._region(),
            )
        try:
            self._watch(trickle)
        finally:
            if trickle is not None:
                trickle.close()

    def _watch(self, trickle: Trickle | None) -> None:
        next_step = time.monotonic() + self.trickle_seconds
        while True:
            self._check_stop()
            for child in self.children:
                if child.process is not None and child.process.poll() is not None:
                    child.restarts += 1
                    print(f"samenloket: {child.name} exited ({child.process.returncode}); restarting", flush=True)
                    child.start()
            if trickle is not None and time.monotonic() >= next_step:
                trickle.step()
                next_step = time.monotonic() + self.trickle_seconds
            time.sleep(0.2)

    def _stop_services(self) -> None:
        for child in self.children:
            if child.process is not None and child.process.poll() is None:
                child.process.terminate()
        for child in self.children:
            child.stop()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def _check_stop(self) -> None:
        if self._stopping:
            raise _Stop


class _Stop(Exception):
    """Raised inside the launcher when a stop signal arrived."""


def _previous_state(data_dir: Path) -> dict[str, object]:
    """What an earlier `samenloket up` with this data dir announced (empty when none or unreadable)."""
    try:
        found = json.loads((data_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _redact(url: str) -> str:
    """Hide a password in a connection URL before printing it."""
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, credentials = head.partition("//")
    user = credentials.split(":", 1)[0]
    return f"{scheme}//{user}:***@{tail}"
