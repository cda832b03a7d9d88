"""A local SMTP server for `samenloket up` and tests: every mail lands as an ``.eml`` file in a folder.

The sink reads each message once as it arrives and keeps the newest in an :class:`Inbox` (who it
went to, its subject, the links in its text), so local tooling such as the demo trickle asks the
inbox instead of searching the folder. The files stay for people (and tests) who want the whole mail.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller

#: How many received messages the inbox keeps (the oldest go first); the folder keeps them all.
INBOX_SIZE = 1000


@dataclass(frozen=True)
class ReceivedMail:
    """One message as the sink read it: its recipients, subject, Message-ID and the links in its text."""

    to: tuple[str, ...]
    subject: str
    message_id: str
    links: tuple[str, ...]

    @classmethod
    def parse(cls, content: bytes) -> ReceivedMail:
        message = BytesParser(policy=policy.default).parsebytes(content)
        recipients = message["To"]
        body = message.get_body(("plain",))
        text = body.get_content() if isinstance(body, EmailMessage) else ""
        return cls(
            to=tuple(a.addr_spec for a in recipients.addresses) if recipients is not None else (),
            subject=str(message["Subject"] or ""),
            message_id=str(message["Message-ID"] or "").strip().strip("<>"),
            links=tuple(word for word in text.split() if word.startswith(("http://", "https://"))),
        )


class Inbox:
    """The newest messages the sink received, newest last; written by the SMTP thread, read by anyone."""

    def __init__(self, size: int = INBOX_SIZE) -> None:
        self._mails: deque[ReceivedMail] = deque(maxlen=size)
        self._lock = threading.Lock()

    def receive(self, content: bytes) -> ReceivedMail:
        """Read one raw message and keep it."""
        mail = ReceivedMail.parse(content)
        with self._lock:
            self._mails.append(mail)
        return mail

    def to(self, address: str) -> list[ReceivedMail]:
        """The kept messages sent to ``address``, newest first."""
        with self._lock:
            mails = list(self._mails)
        return [mail for mail in reversed(mails) if address in mail.to]

    def link(self, address: str, path_part: str) -> str | None:
        """The first link whose path holds ``path_part`` in the newest mail to ``address`` that has one."""
        for mail in self.to(address):
            for link in mail.links:
                if path_part in urlsplit(link).path:
                    return link
        return None


class FolderHandler:
    """Writes each received message to ``<folder>/<time>-<message-id>.eml`` and keeps it in ``inbox``."""

    def __init__(self, folder: Path, inbox: Inbox) -> None:
        self.folder = folder
        self.inbox = inbox
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or envelope.content
        mail = self.inbox.receive(content)
        ident = re.sub(r"[^A-Za-z0-9.@_-]", "_", mail.message_id) or "no-id"
        (self.folder / f"{time.time_ns()}-{ident}.eml").write_bytes(content)
        return "250 Message accepted for delivery"


class MailSink:
    """An aiosmtpd server in a background thread, on 127.0.0.1 and the given port."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.inbox = Inbox()
        self._controller = Controller(FolderHandler(folder, self.inbox), hostname="127.0.0.1", port=port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def messages(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"))
