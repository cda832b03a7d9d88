"""Intake and notifications served over real HTTP to each other, for the privacy officer's export.

Intake asks notifications for the messages sent about a resident's questions; notifications asks
intake for the resident's address when it sends one. Both run in the test's event loop (consumers,
outbox relay) and are served by uvicorn on ports chosen before either starts.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from services.kit import access
from services.kit.settings import Settings
from tests.support.browser import serve_app
from tests.support.harness import RunningService, run_service
from tests.support.notifications import MailBox, free_port


@dataclass
class OfficerPlatform:
    intake: RunningService
    notifications: RunningService
    intake_url: str

    async def key(self, *scopes: str, municipality: str | None = None) -> dict[str, str]:
        async with self.intake.runtime.db.acquire() as conn:
            key = await access.create_key(conn, f"org-{uuid.uuid4().hex[:8]}", list(scopes), municipality)
        return {"Authorization": f"Bearer {key}"}


@asynccontextmanager
async def officer_platform(
    settings: Settings, mailbox: MailBox, **intake_changes: Any
) -> AsyncIterator[OfficerPlatform]:
    intake_port, notifications_port = free_port(), free_port()
    urls = {
        "intake_url": f"http://127.0.0.1:{intake_port}",
        "notifications_url": f"http://127.0.0.1:{notifications_port}",
    }
    mail = {"smtp_host": "127.0.0.1", "smtp_port": mailbox.port, "smtp_tls": "none"}
    async with (
        run_service("notifications", settings.model_copy(update=urls | mail)) as notifications,
        run_service("intake", settings.model_copy(update=urls | intake_changes)) as intake,
        serve_app(notifications.app, notifications_port),
        serve_app(intake.app, intake_port) as intake_url,
    ):
        yield OfficerPlatform(intake, notifications, intake_url)
