"""`samenloket up`: embedded infrastructure, migrations, topics, the four services as processes.

The launcher supervises its children: a service process that dies is started again (what a
container orchestrator would do), and Ctrl-C or SIGTERM stops every process it started, the
embedded database and broker included. Children also get a parent-death signal, so even a killed
launcher leaves no orphans.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections import deque
from contextlib import ExitStack
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import httpx

from services.kit import broker, crypto, db
from services.kit.embedded import EmbeddedKafka, EmbeddedPostgres, free_port, spawn_child
from services.kit.mailsink import MailSink
from services.kit.settings import SERVICE_NAMES, Settings, load_settings

if TYPE_CHECKING:
    import asyncpg

    from services.kit.access import Principal

READY_TIMEOUT = 60.0
STATE_FILE = "run.json"
#: The demo's API key: a partner organisation whose staff also enter phone and walk-in questions and
#: raise signals, and who coordinate the demo pool: the trickle accepts and ends support with it.
DEMO_ORG = "demo-loket"
DEMO_SCOPES = ("read-own", "staff", "submit", "coordinator")
#: The dashboard's address on the default ports (the launcher prints the real one).
DASHBOARD_PATH = "/dashboard"


@dataclass(frozen=True)
class DemoKey:
    """An API key `samenloket up --demo` makes for one audience: who holds it, its scopes and municipality."""

    organisation: str
    scopes: tuple[str, ...]
    municipality: str | None = None

    def fits(self, principal: Principal | None) -> bool:
        """Whether ``principal`` (a working key's; None when the key does not work) is this audience's key."""
        return (
            principal is not None
            and principal.organisation == self.organisation
            and set(self.scopes) <= principal.scopes
            and principal.municipality == self.municipality
        )


#: The demo partner's key (intake, matching, the trickle).
DEMO_PARTNER = DemoKey(DEMO_ORG, DEMO_SCOPES)
#: Keys of the report readers, to sign in to the dashboard: the region's analyst, Dordrecht's signal
#: desk (scope municipality, GM0505 only) and the region's council (aggregates of the whole region).
DEMO_READERS = {
    "analyst": DemoKey("demo-regio-analyse", ("analyst",)),
    "desk": DemoKey("demo-gemeente-dordrecht", ("municipality",), "GM0505"),
    "council": DemoKey("demo-adviesraad", ("council",)),
}


@dataclass
class Child:
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
    _stopping: bool = False

    def run(self) -> int:
        started = time.monotonic()
        settings = load_settings()
        data_dir = (self.data_dir or settings.data_dir).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        with ExitStack() as stack:
            try:
                env = self._infrastructure(settings, data_dir, stack)
                self._start_services(env, data_dir)
                stack.callback(self._stop_services)
                self._wait_ready()
                demo_counts = asyncio.run(self._load_demo(env)) if self.demo else {}
                if self.demo:
                    previous = _previous_state(data_dir)
                    self.demo_api_key, self.demo_keys = asyncio.run(
                        all_demo_keys(env["SAMENLOKET_DATABASE_URL"], previous)
                    )
                self._announce(env, data_dir, time.monotonic() - started, demo_counts)
                self._supervise(env)
            except _Stop:
                pass
        print("samenloket: stopped", flush=True)
        return 0

    def _infrastructure(self, settings: Settings, data_dir: Path, stack: ExitStack) -> dict[str, str]:
        """Start what is not configured; return the environment for the service processes."""
        database_url = settings.database_url
        if not database_url:
            postgres = EmbeddedPostgres(data_dir / "postgres")
            postgres.start()
            stack.callback(postgres.stop)
            database_url = postgres.create_database("samenloket")
        bootstrap = settings.kafka_bootstrap_servers
        if not bootstrap:
            kafka = EmbeddedKafka(data_dir / "kafka")
            kafka.start()
            stack.callback(kafka.stop)
            bootstrap = kafka.bootstrap_servers
        env = dict(os.environ)
        env.update(
            SAMENLOKET_DATABASE_URL=database_url,
            SAMENLOKET_KAFKA_BOOTSTRAP_SERVERS=bootstrap,
            SAMENLOKET_INTERNAL_TOKEN=settings.internal_token.get_secret_value() or secrets.token_urlsafe(32),
            SAMENLOKET_DATA_DIR=str(data_dir),
        )
        # The services' own addresses follow --base-port unless set (e.g. a public URL for mail links).
        for offset, name in enumerate(("INTAKE", "MATCHING", "NOTIFICATIONS")):
            env.setdefault(f"SAMENLOKET_{name}_URL", f"http://127.0.0.1:{self.base_port + offset}")
        # Encryption keys: the configured ones, else those of <data-dir>/secrets.json (made on first start).
        keys = crypto.secrets_of(
            env.get("SAMENLOKET_ENCRYPTION_KEYS", ""), env.get("SAMENLOKET_INDEX_KEY", ""), data_dir, warn=False
        )
        env.update(SAMENLOKET_ENCRYPTION_KEYS=keys.ring.format(), SAMENLOKET_INDEX_KEY=keys.index_key)
        if not env.get("SAMENLOKET_SMTP_HOST"):
            sink = MailSink(data_dir / "mail", free_port())
            sink.start()
            stack.callback(sink.stop)
            env.update(
                SAMENLOKET_SMTP_HOST="127.0.0.1", SAMENLOKET_SMTP_PORT=str(sink.port), SAMENLOKET_SMTP_TLS="none"
            )
            env["SAMENLOKET_MAIL_FOLDER"] = str(sink.folder)
        prepared = settings.model_copy(update={"database_url": database_url, "kafka_bootstrap_servers": bootstrap})
        asyncio.run(_prepare(prepared))
        return env

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

    async def _load_demo(self, env: dict[str, str]) -> dict[str, int]:
        from services.demo import load_demo

        return await load_demo(env["SAMENLOKET_DATABASE_URL"])

    def _announce(self, env: dict[str, str], data_dir: Path, seconds: float, demo: dict[str, int]) -> None:
        state = {
            "pid": os.getpid(),
            "services": {c.name: {"url": c.url, "pid": c.process.pid if c.process else None} for c in self.children},
            "database_url": env["SAMENLOKET_DATABASE_URL"],
            "kafka_bootstrap_servers": env["SAMENLOKET_KAFKA_BOOTSTRAP_SERVERS"],
            "internal_token": env["SAMENLOKET_INTERNAL_TOKEN"],
            "mail_folder": env.get("SAMENLOKET_MAIL_FOLDER"),
            "demo": demo,
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

    def _supervise(self, env: dict[str, str]) -> None:
        """Restart crashed services; keep the demo moving now and then; return on a stop signal."""
        trickle = None
        if self.demo and self.demo_api_key:
            urls = {c.name: c.url for c in self.children}
            folder = env.get("SAMENLOKET_MAIL_FOLDER")
            trickle = _Trickle(
                urls["intake"],
                urls["matching"],
                self.demo_api_key,
                Path(folder) if folder else None,
                desk_key=self.demo_keys.get("desk"),
            )
        try:
            self._watch(trickle)
        finally:
            if trickle:
                trickle.close()

    def _watch(self, trickle: _Trickle | None) -> None:
        next_step = time.monotonic() + self.trickle_seconds
        while True:
            self._check_stop()
            for child in self.children:
                if child.process is not None and child.process.poll() is not None:
                    child.restarts += 1
                    print(f"samenloket: {child.name} exited ({child.process.returncode}); restarting", flush=True)
                    child.start()
            if trickle and time.monotonic() >= next_step:
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


class _Trickle:
    """Keeps the demo moving through the public APIs with the demo key, one step per ``--trickle-seconds``.

    Every step a resident asks a question (with an age band and how they found us) and a supporter
    takes up an earlier one (now and then declining it first, so matching finds the next supporter).
    Every ``END_EVERY`` steps the support of an accepted question ends, and notifications invites that
    resident to share their experience; so about half the supported stay, and capacity fills slowly
    over a long demo. Every ``SIGNAL_EVERY`` steps a supporter raises a signal. Questions that went to
    the waiting list or the joint consultation are left to matching.
    """

    END_EVERY = 2
    SIGNAL_EVERY = 12
    #: Now and then an invited resident shares their experience through the form (as a resident
    #: would, from the link in their mail). Rarely: the forms' rate limit per client is shared with
    #: whoever tries the forms by hand on this machine.
    SHARE_EVERY = 30
    SHARE_AFTER = 4
    #: Every this many acceptances the supporter declines instead (the decline reasons in the reports).
    DECLINE_EVERY = 6
    #: Steps a question waits before its supporter accepts, and an accepted one before support ends.
    ACCEPT_AFTER = 2
    END_AFTER = 6

    def __init__(
        self,
        intake_url: str,
        matching_url: str,
        api_key: str,
        mail_folder: Path | None = None,
        transport: httpx.BaseTransport | None = None,
        desk_key: str | None = None,
    ) -> None:
        import random

        self.intake_url = intake_url
        self.matching_url = matching_url
        self.mail_folder = mail_folder
        headers = {"Authorization": f"Bearer {api_key}"}
        self.client = httpx.Client(headers=headers, timeout=2.0, transport=transport)
        self.rng = random.Random(42)
        self.steps = 0
        self.acceptances = 0
        #: (step, question id) of questions asked, and of questions whose supporter accepted.
        self.asked: deque[tuple[int, str]] = deque(maxlen=500)
        self.accepted: deque[tuple[int, str]] = deque(maxlen=500)
        #: The demo residents' (fictional) addresses by question, and (step, address) of those invited.
        self.addresses: dict[str, str] = {}
        self.invited: deque[tuple[int, str]] = deque(maxlen=500)
        #: A client of its own for the resident's side: the form's CSRF cookie, and no demo key.
        self.browser = httpx.Client(timeout=2.0, transport=transport)
        #: The municipality's signal desk (GM0505), which reads and answers signals; None: nobody answers.
        self.desk = (
            httpx.Client(headers={"Authorization": f"Bearer {desk_key}"}, timeout=2.0, transport=transport)
            if desk_key
            else None
        )

    def step(self) -> None:
        self.steps += 1
        self._ask()
        self._accept()
        if self.steps % self.END_EVERY == 0:
            self._end()
        if self.steps % self.SIGNAL_EVERY == 1:
            self._signal()
        if self.desk and self.steps % self.SIGNAL_EVERY == self.SIGNAL_EVERY // 2:
            self._desk_step(self.desk)
        if self.mail_folder and self.steps % self.SHARE_EVERY == 0:
            self._share_experience(self.mail_folder)

    def close(self) -> None:
        self.client.close()
        self.browser.close()
        if self.desk:
            self.desk.close()

    def _ask(self) -> None:
        from services.demo import demo_question

        body = demo_question(self.rng)
        answer = self._post(f"{self.intake_url}/api/v1/questions", body, "question", 202)
        if answer is not None:
            self.asked.append((self.steps, answer["question_id"]))
            self.addresses[answer["question_id"]] = body["contact"]["email"]

    def _accept(self) -> None:
        from services.demo import demo_decline_reason

        oldest = _oldest(self.asked, self.steps - self.ACCEPT_AFTER)
        if oldest is None:
            return
        asked_at, question_id = oldest
        url = f"{self.matching_url}/api/v1/assignments/{question_id}"
        self.acceptances += 1
        if self.acceptances % self.DECLINE_EVERY == 0:
            body = {"by": "supporter", "reason_code": demo_decline_reason(self.rng)}
            if self._post(f"{url}/decline", body, "decline", 200, quiet=(404, 409, 422)) is not None:
                self.asked.appendleft((asked_at, question_id))  # the next supporter takes it up next step
            return
        if self._post(f"{url}/accept", {}, "acceptance", 200, quiet=(404, 409)) is not None:
            self.accepted.append((self.steps, question_id))

    def _end(self) -> None:
        from services.demo import demo_end_reason

        oldest = _oldest(self.accepted, self.steps - self.END_AFTER)
        if oldest is None:
            return
        question_id = oldest[1]
        url = f"{self.matching_url}/api/v1/assignments/{question_id}/end"
        body = {"reason_code": demo_end_reason(self.rng)}
        if self._post(url, body, "end of support", 200, quiet=(404, 409)) is not None:
            address = self.addresses.pop(question_id, None)
            if address:
                self.invited.append((self.steps, address))

    def _share_experience(self, mail_folder: Path) -> None:
        """A resident invited a while ago opens the link in their mail and fills in the form (or skips it)."""
        from services.demo import demo_experience

        oldest = _oldest(self.invited, self.steps - self.SHARE_AFTER)
        answers = demo_experience(self.rng) if oldest else None
        link = _invitation_link(mail_folder, oldest[1]) if oldest and answers else None
        if link is None or answers is None:
            return
        try:
            form = self.browser.get(link)
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            if form.status_code != 200 or token is None:
                return  # the link was used or has expired: nothing to share
            shared = self.browser.post(link, data={**answers, "csrf_token": token.group(1)})
        except httpx.HTTPError as exc:
            print(f"samenloket: demo experience not shared: {exc}", flush=True)
            return
        if shared.status_code != 303:
            print(f"samenloket: demo experience refused ({shared.status_code})", flush=True)

    def _signal(self) -> None:
        from services.demo import demo_signal

        self._post(f"{self.intake_url}/api/v1/signals", demo_signal(self.rng), "signal", 202)

    def _desk_step(self, desk: httpx.Client) -> None:
        """The desk acknowledges the oldest new signal it sees, or else answers the oldest acknowledged one."""
        from services.demo import demo_signal_answer

        try:
            listed = desk.get(f"{self.intake_url}/api/v1/signals")
            signals = listed.json()["signals"] if listed.status_code == 200 else []
            oldest = sorted(signals, key=lambda s: s["raised_at"])
            new = [s for s in oldest if s["status"] == "raised"]
            read = [s for s in oldest if s["status"] == "acknowledged"]
            if new:
                desk.post(f"{self.intake_url}/api/v1/signals/{new[0]['signal_id']}/acknowledge")
            elif read:
                answer = {"text": demo_signal_answer(self.rng)}
                desk.post(f"{self.intake_url}/api/v1/signals/{read[0]['signal_id']}/answer", json=answer)
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            print(f"samenloket: demo signal desk step failed: {exc}", flush=True)

    def _post(
        self, url: str, body: dict[str, Any], what: str, expected: int, quiet: tuple[int, ...] = ()
    ) -> dict[str, Any] | None:
        """POST ``body``; the answer's JSON when it is ``expected``, else None (said, unless a ``quiet`` status).

        ``quiet`` answers are part of the demo: a question on the waiting list has no assignment to accept.
        """
        try:
            response = self.client.post(url, json=body)
        except httpx.HTTPError as exc:
            print(f"samenloket: demo {what} not posted: {exc}", flush=True)
            return None
        if response.status_code == expected:
            found = response.json()
            return found if isinstance(found, dict) else {}
        if response.status_code not in quiet:
            print(f"samenloket: demo {what} refused ({response.status_code}): {response.text[:200]}", flush=True)
        return None


def _invitation_link(mail_folder: Path, address: str, newest: int = 400) -> str | None:
    """The experience link in the invitation mailed to ``address`` (the local sink's newest mails)."""
    for path in sorted(mail_folder.glob("*.eml"), reverse=True)[:newest]:
        content = path.read_bytes()
        if address.encode() not in content:
            continue
        message = BytesParser(policy=email_policy.default).parsebytes(content)
        body = message.get_body(("plain",))
        if str(message["To"]) == address and isinstance(body, EmailMessage):
            found = re.search(r"https?://\S+/ervaring/[A-Za-z0-9_-]+", body.get_content())
            if found:
                return found.group(0)
    return None


def _oldest(queue: deque[tuple[int, str]], up_to_step: int) -> tuple[int, str] | None:
    """Take the oldest ``(step, question id)`` queued at or before ``up_to_step`` (None: none old enough yet)."""
    if queue and queue[0][0] <= up_to_step:
        return queue.popleft()
    return None


def _previous_state(data_dir: Path) -> dict[str, object]:
    """What an earlier `samenloket up` with this data dir announced (empty when none or unreadable)."""
    try:
        found = json.loads((data_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


async def demo_key(database_url: str, previous: object, spec: DemoKey = DEMO_PARTNER) -> str:
    """A demo API key: the one of the previous run while it still works for ``spec``, else a new one.

    The embedded database outlives a run, so reusing the key keeps ``curl`` examples and scripts of
    the last run working and does not pile up a new key per start.
    """
    import asyncpg

    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    assert pool is not None
    try:
        return await _reused_or_new(pool, previous, spec)
    finally:
        await pool.close()


async def all_demo_keys(database_url: str, previous: dict[str, object]) -> tuple[str, dict[str, str]]:
    """The demo partner's key and the report readers' keys (:data:`DEMO_READERS`), reused where they work."""
    import asyncpg

    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    assert pool is not None
    before = previous.get("demo_keys")
    readers = before if isinstance(before, dict) else {}
    try:
        partner = await _reused_or_new(pool, previous.get("demo_api_key"), DEMO_PARTNER)
        keys = {name: await _reused_or_new(pool, readers.get(name), spec) for name, spec in DEMO_READERS.items()}
        return partner, keys
    finally:
        await pool.close()


async def _reused_or_new(pool: asyncpg.Pool, previous: object, spec: DemoKey) -> str:
    from services.kit import access

    if isinstance(previous, str) and spec.fits(await access.KeyStore(pool).authenticate(previous)):
        return previous
    async with pool.acquire() as conn:
        key: str = await access.create_key(
            conn, spec.organisation, list(spec.scopes), spec.municipality, label="samenloket up --demo"
        )
        return key


async def _prepare(settings: Settings) -> None:
    await db.migrate_all(settings.database_url)
    await broker.create_topics(settings)


def _redact(url: str) -> str:
    """Hide a password in a connection URL before printing it."""
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, credentials = head.partition("//")
    user = credentials.split(":", 1)[0]
    return f"{scheme}//{user}:***@{tail}"
