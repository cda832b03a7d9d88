"""The e-mail channel's session pool against a real SMTP server (aiosmtpd): sessions are reused,
a failed one never is, a server restart costs no message, and no message is sent twice."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from services.notifications.domain import Outgoing, PermanentDeliveryError
from services.notifications.mailer import SmtpSender
from services.notifications.settings import NotificationsSettings
from tests.support.notifications import MailBox

pytestmark = pytest.mark.integration


@pytest.fixture
def server() -> Iterator[tuple[MailBox, Controller]]:
    box = MailBox()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box, controller
    controller.stop()


def outgoing(n: int, address: str | None = None) -> Outgoing:
    return Outgoing(
        key=f"pool-test-{n}",
        address=address or f"bewoner{n}@example.nl",
        subject=f"Bericht {n}",
        text=f"Hallo {n}",
        html=f"<p>Hallo {n}</p>",
    )


def sender_for(box: MailBox, max_sessions: int = 3) -> SmtpSender:
    settings = NotificationsSettings(smtp_host="127.0.0.1", smtp_port=box.port, smtp_tls="none")
    return SmtpSender(settings, max_sessions=max_sessions)


async def test_sessions_are_reused_and_a_failed_one_is_not(server: tuple[MailBox, Controller]) -> None:
    box, _ = server
    sender = sender_for(box)
    for n in range(3):
        await sender.send(outgoing(n))
    assert [m["To"] for m in box.messages] == [f"bewoner{n}@example.nl" for n in range(3)]
    assert sender.sessions_opened == 1

    with pytest.raises(PermanentDeliveryError):
        await sender.send(outgoing(3, "reject-me@example.nl"))
    await sender.send(outgoing(4))
    assert sender.sessions_opened == 2, "the session that saw the refusal was closed, not reused"
    assert len(box.messages) == 4

    # Many at once: never more sessions than allowed, every message exactly once.
    await asyncio.gather(*(sender.send(outgoing(n)) for n in range(10, 30)))
    assert sender.sessions_opened <= 2 + 3
    keys = [m["Message-ID"] for m in box.messages]
    assert len(keys) == len(set(keys)) == 24
    await sender.aclose()


async def test_a_server_restart_costs_no_message() -> None:
    box = MailBox()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    sender = sender_for(box)
    await sender.send(outgoing(1))
    controller.stop()  # the pooled session is now dead
    restarted = Controller(box, hostname="127.0.0.1", port=box.port)
    restarted.start()
    try:
        await sender.send(outgoing(2))
    finally:
        restarted.stop()
    assert [m["Subject"] for m in box.messages] == ["Bericht 1", "Bericht 2"]
    assert sender.sessions_opened == 2
    await sender.aclose()
