"""A local SMTP server for `samenloket up` and tests: every mail lands as an ``.eml`` file in a folder."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class FolderHandler:
    """Writes each received message to ``<folder>/<time>-<message-id>.eml``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or envelope.content
        match = re.search(rb"^Message-ID:\s*<([^>]+)>", content, re.IGNORECASE | re.MULTILINE)
        ident = re.sub(r"[^A-Za-z0-9.@_-]", "_", match.group(1).decode(errors="replace")) if match else "no-id"
        name = f"{time.time_ns()}-{ident}.eml"
        (self.folder / name).write_bytes(content)
        return "250 Message accepted for delivery"


class MailSink:
    """An aiosmtpd server in a background thread, on 127.0.0.1 and the given port."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self._controller = Controller(FolderHandler(folder), hostname="127.0.0.1", port=port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def messages(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"))
