"""Real SMTP and HTTP peers for notifications tests: an aiosmtpd mailbox and intake's and matching's
internal endpoints (contact details, and the personal link of the experience invitation).

The SMTP server decides by the recipient's local part: ``reject-…`` is refused with 550, ``flaky-…``
gets 451 twice and is then accepted, anything else is accepted at once.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, TypeVar

from aiosmtpd.controller import Controller

from contracts.envelope import CloudEvent, from_model
from contracts.events import SupporterAssigned
from services.kit.settings import Settings

TOKEN = "test-internal-token"
#: How the subject of a resident's confirmation of a new question begins (resident_received).
CONFIRMATION_SUBJECT = "Wij hebben uw vraag ontvangen"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- a real SMTP server ---------------------------------------------------------------------------


class MailBox:
    """aiosmtpd handler keeping every accepted message; refuses or defers some recipients on purpose."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.deferred: dict[str, int] = {}

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("reject-"):
            return "550 5.1.1 <" + address + ">: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        recipient = envelope.rcpt_tos[0]
        if recipient.startswith("flaky-"):
            self.deferred[recipient] = self.deferred.get(recipient, 0) + 1
            if self.deferred[recipient] <= 2:
                return "451 4.3.0 please try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str, *, confirmations: bool = True) -> list[EmailMessage]:
        """The messages to ``address``; without the resident's confirmation of a new question when
        ``confirmations`` is False (for tests about the messages that follow it)."""
        return [
            m
            for m in self.messages
            if m["To"] == address and (confirmations or not str(m["Subject"]).startswith(CONFIRMATION_SUBJECT))
        ]


class Listening(Protocol):
    port: int


Box = TypeVar("Box", bound=Listening)


@contextmanager
def smtp_server(box: Box) -> Iterator[Box]:
    """A real SMTP server (aiosmtpd) on ``box.port`` with ``box`` as its handler, until the block ends."""
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def assigned_event(
    question_id: str, supporter_id: str, *, assignment_id: str | None = None, organisation: str = "org-mee", **more: Any
) -> CloudEvent:
    """Matching's SupporterAssigned of ``question_id`` to ``supporter_id`` (GM0505, a professional, now)."""
    now = datetime.now(UTC)
    payload = SupporterAssigned(
        question_id=question_id,
        assignment_id=assignment_id or f"a-{question_id}",
        supporter_id=supporter_id,
        organisation=organisation,
        supporter_kind="professional",
        municipality="GM0505",
        score=0.8,
        received_at=now,
        assigned_at=now,
        **more,
    )
    return from_model(payload, source="/samenloket/matching")


# --- real HTTP contact endpoints (intake and matching) --------------------------------------------


class ContactServer:
    """Serves ``/internal/v1/questions/{id}/contact`` and ``/internal/v1/supporters/{id}/contact``, and
    ``POST /internal/v1/questions/{id}/status-link`` (a new link to the resident's page and the reference),
    ``POST /internal/v1/questions/{id}/experience-invitation`` as intake does: 200 with a new link for a
    known question, 404 for an unknown one, 409 for ids in ``no_invitation`` (or, ``not_ended_yet`` times,
    before intake would have seen SupportEnded)."""

    def __init__(self) -> None:
        self.residents: dict[str, dict[str, Any]] = {}
        self.supporters: dict[str, dict[str, Any]] = {}
        self.unavailable: dict[str, int] = {}  # id -> how many more calls answer 503
        self.authorizations: list[str | None] = []
        self.no_invitation: set[str] = set()
        self.not_ended_yet: dict[str, int] = {}  # id -> how many more invitation calls answer 409
        self.links: dict[str, list[str]] = {}  # id -> every link issued, in order
        self.status_links: dict[str, list[str]] = {}  # id -> every link to the resident's page issued
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                auth = self.headers.get("Authorization")
                server.authorizations.append(auth)
                if auth != f"Bearer {TOKEN}":
                    return self._reply(401, {"detail": "no valid token"})
                match = re.fullmatch(r"/internal/v1/(questions|supporters)/([^/]+)/contact", self.path)
                if not match:
                    return self._reply(404, {"detail": "not found"})
                kind, ident = match.groups()
                if server.unavailable.get(ident, 0) > 0:
                    server.unavailable[ident] -= 1
                    return self._reply(503, {"detail": "try later"})
                table = server.residents if kind == "questions" else server.supporters
                if ident not in table:
                    return self._reply(404, {"detail": "unknown"})
                return self._reply(200, table[ident])

            def do_POST(self) -> None:
                auth = self.headers.get("Authorization")
                server.authorizations.append(auth)
                if auth != f"Bearer {TOKEN}":
                    return self._reply(401, {"detail": "no valid token"})
                linked = re.fullmatch(r"/internal/v1/questions/([^/]+)/status-link", self.path)
                if linked:
                    ident = linked.group(1)
                    if ident not in server.residents:
                        return self._reply(404, {"detail": "unknown question"})
                    url = f"{server.url}/mijn-vraag/{secrets.token_urlsafe(32)}"
                    server.status_links.setdefault(ident, []).append(url)
                    reference = server.residents[ident].get("reference") or "TEST-REF1"
                    return self._reply(200, {"url": url, "reference": reference})
                match = re.fullmatch(r"/internal/v1/questions/([^/]+)/experience-invitation", self.path)
                if not match:
                    return self._reply(404, {"detail": "not found"})
                ident = match.group(1)
                if ident not in server.residents:
                    return self._reply(404, {"detail": "unknown question"})
                if server.not_ended_yet.get(ident, 0) > 0:
                    server.not_ended_yet[ident] -= 1
                    return self._reply(409, {"detail": "support has not ended", "code": "support_not_ended"})
                if ident in server.no_invitation:
                    return self._reply(409, {"detail": "an experience was already shared", "code": "already_shared"})
                url = f"{server.url}/ervaring/{secrets.token_urlsafe(32)}"
                server.links.setdefault(ident, []).append(url)
                expires_at = datetime.now(UTC) + timedelta(days=60)
                return self._reply(200, {"url": url, "expires_at": expires_at.isoformat()})

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


class ThreadedServer(Protocol):
    httpd: ThreadingHTTPServer
    thread: threading.Thread


Served = TypeVar("Served", bound=ThreadedServer)


@contextmanager
def serving(server: Served) -> Iterator[Served]:
    """Run a test HTTP server's thread for the duration of a fixture, then shut it down."""
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def wired(settings: Settings, mailbox: MailBox, contacts: ContactServer, **more: Any) -> Settings:
    """Notifications' settings for a test module: the module's SMTP server, the contact server as intake
    and matching, and ``more``."""
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": mailbox.port,
            "smtp_tls": "none",
            "intake_url": contacts.url,
            "matching_url": contacts.url,
            **more,
        }
    )
