"""SMTP failures are classified transient (4xx, connection) or permanent (5xx); messages are well formed."""

from __future__ import annotations

import aiosmtplib
import pytest

from services.notifications.domain import (
    Outgoing,
    PermanentDeliveryError,
    TransientDeliveryError,
    delivery_key,
    message_id,
)
from services.notifications.mailer import classify, compose


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
