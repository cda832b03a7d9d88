"""The e-mail channel: compose a message and send it over SMTP with aiosmtplib.

A channel turns an :class:`~services.notifications.domain.Outgoing` into a real message and raises
:class:`TransientDeliveryError` or :class:`PermanentDeliveryError`. Later channels (an SMS gateway)
implement the same :class:`Sender` protocol; signed webhooks post the event itself
(``partner_webhooks.py``) and raise the same two errors.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

import aiosmtplib

from services.kit.settings import Settings
from services.notifications.domain import (
    Outgoing,
    PermanentDeliveryError,
    TransientDeliveryError,
    message_id,
    redact,
)

log = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 30.0


class Sender(Protocol):
    """One delivery channel."""

    async def send(self, outgoing: Outgoing) -> None: ...


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
    """Sends each message over its own SMTP session with the configured host, TLS mode and login."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, outgoing: Outgoing) -> None:
        s = self.settings
        if not s.smtp_host:
            raise TransientDeliveryError("SMTP is not configured (SAMENLOKET_SMTP_HOST is empty)")
        message = compose(outgoing, s.smtp_from)
        try:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username or None,
                password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                use_tls=s.smtp_tls == "tls",
                start_tls=s.smtp_tls == "starttls",
                timeout=SEND_TIMEOUT_SECONDS,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise classify(exc) from exc
