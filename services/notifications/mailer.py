"""The e-mail channel: compose a message and send it over SMTP with aiosmtplib.

A channel turns an :class:`~services.notifications.domain.Outgoing` into a real message and raises
:class:`TransientDeliveryError` or :class:`PermanentDeliveryError`. Later channels (an SMS gateway)
implement the same :class:`Sender` protocol; signed webhooks post the event itself
(``partner_webhooks.py``) and raise the same two errors.
"""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from email.header import Header
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Protocol

import aiosmtplib

from services.notifications.domain import (
    Outgoing,
    PermanentDeliveryError,
    TransientDeliveryError,
    message_id,
    redact,
)
from services.notifications.settings import NotificationsSettings

log = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 30.0
#: Open SMTP sessions kept for reuse (and the most used at once).
MAX_SESSIONS = 8
#: A session idle this long is closed rather than reused (servers drop idle clients after minutes).
IDLE_SECONDS = 30.0
QUIT_TIMEOUT_SECONDS = 2.0


class Sender(Protocol):
    """One delivery channel."""

    async def send(self, outgoing: Outgoing) -> None: ...

    async def aclose(self) -> None: ...


def compose(outgoing: Outgoing, sender: str) -> EmailMessage:
    """A ``multipart/alternative`` message (text, then HTML) with the delivery's stable Message-ID."""
    message = EmailMessage()
    message["Subject"] = outgoing.subject
    message["From"] = sender
    message["To"] = outgoing.address
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id(outgoing.key)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message.set_content(outgoing.text)
    message.add_alternative(outgoing.html, subtype="html")
    return message


def compose_bytes(outgoing: Outgoing, sender: str) -> bytes | None:
    """The same message as :func:`compose`, written directly as bytes (None: needs :func:`compose`).

    Building an :class:`EmailMessage` parses every header into objects and the generator folds them
    again: that was a tenth of notifications' CPU. A plain ASCII sender and address (no line breaks)
    need none of it; the parts go quoted-printable (UTF-8), and the subject as RFC 2047 encoded words
    when it is not short ASCII. The boundary starts with ``=_``, which quoted-printable never writes.
    """
    if not (_plain_header(sender) and _plain_header(outgoing.address)):
        return None
    boundary = f"=_{secrets.token_hex(12)}"
    head = (
        f"Subject: {_subject(outgoing.subject)}\r\n"
        f"From: {sender}\r\n"
        f"To: {outgoing.address}\r\n"
        f"Date: {formatdate(localtime=False, usegmt=True)}\r\n"
        f"Message-ID: {message_id(outgoing.key)}\r\n"
        "Auto-Submitted: auto-generated\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'
        "\r\n"
    )
    return b"".join(
        (
            head.encode("ascii"),
            _part(boundary, "plain", outgoing.text),
            _part(boundary, "html", outgoing.html),
            f"--{boundary}--\r\n".encode("ascii"),
        )
    )


def _plain_header(value: str) -> bool:
    return value.isascii() and "\r" not in value and "\n" not in value


def _subject(subject: str) -> str:
    if subject.isascii() and len(subject) <= 68 and "\r" not in subject and "\n" not in subject:
        return subject
    return Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n")


def _part(boundary: str, subtype: str, content: str) -> bytes:
    if not content.endswith("\n"):
        content += "\n"
    body = binascii.b2a_qp(content.encode("utf-8"), istext=True)
    header = (
        f"--{boundary}\r\n"
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
    )
    # The line break before the next boundary belongs to the boundary; aiosmtplib writes every line
    # ending as CRLF (and dot-stuffs) when it sends the data.
    return header.encode("ascii") + body + b"\r\n"


def _response_error(code: int, text: str) -> TransientDeliveryError | PermanentDeliveryError:
    reason = redact(f"smtp {code}: {text}")
    return PermanentDeliveryError(reason) if 500 <= code < 600 else TransientDeliveryError(reason)


def classify(exc: BaseException) -> TransientDeliveryError | PermanentDeliveryError:
    """Map an SMTP failure to transient (4xx, connection trouble) or permanent (5xx for this message).

    A refused login (535) is a 5xx, but it says our configuration is wrong, not that this message is
    undeliverable: it stays transient so the mail is retried and dead-lettered for replay, instead of
    being given up for good.
    """
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return TransientDeliveryError(redact(f"smtp {exc.code}: login refused: {exc.message}"))
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        worst = max(codes) if codes and all(c >= 500 for c in codes) else min(codes, default=450)
        text = "; ".join(r.message for r in exc.recipients) or "recipient refused"
        return _response_error(worst, text)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return _response_error(exc.code, exc.message)
    if isinstance(exc, aiosmtplib.SMTPException | OSError | TimeoutError):
        return TransientDeliveryError(redact(f"smtp {type(exc).__name__}: {exc}"))
    return TransientDeliveryError(redact(f"{type(exc).__name__}: {exc}"))


class SmtpSender:
    """Sends messages over a small pool of open SMTP sessions with the configured host, TLS mode and login.

    Opening a session (TCP, greeting, EHLO, STARTTLS, login) cost more than the message itself, so
    up to ``max_sessions`` sessions stay open and are reused, one message at a time each. A session
    that failed in any way is closed, never reused; one idle longer than ``idle_seconds`` is closed
    before use (servers drop idle clients). When a reused session turns out to be gone before the
    server took the message, the message is sent once more on a new session; any other failure is
    classified as before, and the caller's retry (keyed by the stable Message-ID) takes over.
    """

    def __init__(
        self, settings: NotificationsSettings, max_sessions: int = MAX_SESSIONS, idle_seconds: float = IDLE_SECONDS
    ):
        self.settings = settings
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []
        self._slots = asyncio.Semaphore(max_sessions)
        self.sessions_opened = 0
        self._envelope: tuple[str, str] | None = None

    async def send(self, outgoing: Outgoing) -> None:
        s = self.settings
        if not s.smtp_host:
            raise TransientDeliveryError("SMTP is not configured (SAMENLOKET_SMTP_HOST is empty)")
        raw = compose_bytes(outgoing, s.smtp_from)
        if raw is None:
            message = compose(outgoing, s.smtp_from)

            async def transmit(client: aiosmtplib.SMTP) -> object:
                return await client.send_message(message)
        else:
            envelope_from = self._envelope_from(s.smtp_from)

            async def transmit(client: aiosmtplib.SMTP) -> object:
                return await client.sendmail(envelope_from, [outgoing.address], raw)

        async with self._slots:
            try:
                await self._send_reusing(transmit)
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                raise classify(exc) from exc

    def _envelope_from(self, sender: str) -> str:
        """The envelope sender: the address in the From header (as ``send_message`` would take it)."""
        if self._envelope is None or self._envelope[0] != sender:
            self._envelope = (sender, parseaddr(sender)[1])
        return self._envelope[1]

    async def _send_reusing(self, transmit: Callable[[aiosmtplib.SMTP], Awaitable[object]]) -> None:
        client, reused = await self._session()
        try:
            await transmit(client)
        except (aiosmtplib.SMTPServerDisconnected, ConnectionError) as exc:
            self._discard(client)
            if not reused:
                raise
            log.info("reused SMTP session was gone, sending on a new one", extra={"error": repr(exc)})
            client = await self._open()
            try:
                await transmit(client)
            except BaseException:
                self._discard(client)
                raise
        except BaseException:
            self._discard(client)
            raise
        self._idle.append((client, time.monotonic()))

    async def _session(self) -> tuple[aiosmtplib.SMTP, bool]:
        """An open session from the pool (True: reused), or a new one."""
        while self._idle:
            client, since = self._idle.pop()
            if client.is_connected and time.monotonic() - since < self.idle_seconds:
                return client, True
            await self._quit(client)
        return await self._open(), False

    async def _open(self) -> aiosmtplib.SMTP:
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username or None,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            use_tls=s.smtp_tls == "tls",
            start_tls=s.smtp_tls == "starttls",
            timeout=SEND_TIMEOUT_SECONDS,
        )
        await client.connect()
        self.sessions_opened += 1
        return client

    def _discard(self, client: aiosmtplib.SMTP) -> None:
        with contextlib.suppress(Exception):
            client.close()

    async def _quit(self, client: aiosmtplib.SMTP) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.quit(), QUIT_TIMEOUT_SECONDS)
        self._discard(client)

    async def aclose(self) -> None:
        """Say goodbye on every idle session (at shutdown)."""
        idle, self._idle = self._idle, []
        for client, _ in idle:
            await self._quit(client)
