"""Fixtures shared by integration modules: a real SMTP server and real internal contact endpoints."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from tests.support.notifications import ContactServer, MailBox, serving


@pytest.fixture(scope="module")
def mailbox() -> Iterator[MailBox]:
    box = MailBox()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def contacts() -> Iterator[ContactServer]:
    with serving(ContactServer()) as server:
        yield server
