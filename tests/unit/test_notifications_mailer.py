"""SMTP failures are classified transient (4xx, connection) or permanent (5xx); messages are well formed."""

from __future__ import annotations

import email
import email.policy

import aiosmtplib
import pytest

from services.notifications.domain import (
    Outgoing,
    PermanentDeliveryError,
    TransientDeliveryError,
    delivery_key,
    message_id,
)
from services.notifications.mailer import classify, compose, compose_bytes


@pytest.mark.parametrize(
    "exc",
    [
        aiosmtplib.SMTPResponseException(451, "4.3.0 try again later"),
        aiosmtplib.SMTPDataError(452, "insufficient storage"),
        aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(450, "busy", "a@example.nl")]),
        aiosmtplib.SMTPConnectError("connection refused"),
        aiosmtplib.SMTPServerDisconnected("gone"),
        aiosmtplib.SMTPReadTimeoutError("slow"),
        aiosmtplib.SMTPAuthenticationError(535, "bad credentials"),
        ConnectionRefusedError(111, "refused"),
    ],
)
def test_4xx_and_connection_errors_are_transient(exc: Exception) -> None:
    assert isinstance(classify(exc), TransientDeliveryError)


@pytest.mark.parametrize(
    "exc",
    [
        aiosmtplib.SMTPResponseException(550, "5.1.1 mailbox unavailable"),
        aiosmtplib.SMTPDataError(554, "rejected as spam"),
        aiosmtplib.SMTPSenderRefused(553, "sender refused", "noreply@samenloket.local"),
        aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(550, "no such user", "a@example.nl")]),
    ],
)
def test_5xx_for_the_message_is_permanent(exc: Exception) -> None:
    error = classify(exc)
    assert isinstance(error, PermanentDeliveryError)
    assert str(error).startswith("smtp 5")


def test_classified_reasons_carry_no_address() -> None:
    exc = aiosmtplib.SMTPRecipientsRefused(
        [aiosmtplib.SMTPRecipientRefused(550, "<anna@example.nl>: user unknown", "anna@example.nl")]
    )
    assert "@" not in str(classify(exc))


def test_compose_has_stable_message_id_and_text_and_html_parts() -> None:
    key = delivery_key("evt-9", "resident", "email")
    outgoing = Outgoing(key, "anna@example.nl", "Onderwerp", "Hallo Anna", "<p>Hallo Anna</p>")
    message = compose(outgoing, "Samenloket <noreply@samenloket.local>")

    assert message["Message-ID"] == message_id(key)
    assert message["To"] == "anna@example.nl"
    assert message["Subject"] == "Onderwerp"
    assert message.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
    assert parts["text/plain"].strip() == "Hallo Anna"
    assert parts["text/html"].strip() == "<p>Hallo Anna</p>"


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Onderwerp", "Hallo Anna"),
        ("Hoe was uw cliëntondersteuning? Vertel het ons, in een onderwerp langer dan één regel", "Hallo\n"),
        ("Uw vraag", ".een punt vooraan\nFrom hier\n" + "lang " * 60 + "= é ë\n\n"),
    ],
    ids=["ascii", "long-subject", "long-lines"],
)
def test_composed_bytes_read_as_the_email_package_writes_them(subject: str, text: str) -> None:
    """The message written directly as bytes is, on the wire (CRLF), the message :func:`compose` builds."""
    key = delivery_key("evt-9", "resident", "email")
    outgoing = Outgoing(key, "anna@example.nl", subject, text, f"<p>{text}</p>")
    sender = "Samenloket <noreply@samenloket.local>"
    raw = compose_bytes(outgoing, sender)
    assert raw is not None
    on_the_wire = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert max(len(line) for line in on_the_wire.split(b"\r\n")) <= 78
    fast = email.message_from_bytes(on_the_wire, policy=email.policy.default)
    slow = email.message_from_bytes(
        compose(outgoing, sender).as_bytes(policy=email.policy.SMTP), policy=email.policy.default
    )
    for header in ("Subject", "From", "To", "Message-ID", "Auto-Submitted"):
        assert fast[header] == slow[header], header
    assert fast["Message-ID"] == message_id(key)
    assert fast.get_content_type() == slow.get_content_type() == "multipart/alternative"
    assert [(p.get_content_type(), p.get_content()) for p in fast.iter_parts()] == [
        (p.get_content_type(), p.get_content()) for p in slow.iter_parts()
    ]


def test_unusual_addresses_are_left_to_the_email_package() -> None:
    key = delivery_key("evt-9", "resident", "email")
    sender = "Samenloket <noreply@samenloket.local>"
    assert compose_bytes(Outgoing(key, "anna@exämple.nl", "S", "t", "h"), sender) is None
    assert compose_bytes(Outgoing(key, "anna@example.nl\r\nBcc: x@example.nl", "S", "t", "h"), sender) is None
