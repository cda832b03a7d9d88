"""The messages notifications sent about a resident's questions, for the export (AVG art. 15).

Intake asks notifications over its internal API (``POST /internal/v1/deliveries/by-question``,
internal token): which messages went out about which question, to whom (a role, never an address),
how, and when. When notifications cannot answer, the export says so rather than leaving the
messages out without a word.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Final

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from services.kit.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT: Final = httpx.Timeout(10.0, connect=3.0)
PATH: Final = "/internal/v1/deliveries/by-question"
#: notifications' bound on one request (services/notifications/privacy.py).
BATCH: Final = 200


class SentMessage(BaseModel):
    """One message sent about a question (no address, no text)."""

    model_config = ConfigDict(extra="ignore")

    question_id: str
    recipient_role: str
    channel: str
    template: str
    status: str
    created_at: datetime
    sent_at: datetime | None = None


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    deliveries: list[SentMessage]


class DeliveriesUnavailable(Exception):
    """Notifications did not answer (down, refused, or an answer that does not read)."""


class Deliveries:
    """The client of notifications' delivery log for intake (one per process)."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = settings.notifications_url.rstrip("/") + PATH
        token = settings.internal_token.get_secret_value()
        self.client = httpx.AsyncClient(
            timeout=TIMEOUT, transport=transport, headers={"Authorization": f"Bearer {token}"}
        )

    async def of_questions(self, question_ids: list[str]) -> list[SentMessage]:
        """The messages about these questions, oldest first; :class:`DeliveriesUnavailable` when unknown."""
        found: list[SentMessage] = []
        for start in range(0, len(question_ids), BATCH):
            batch = question_ids[start : start + BATCH]
            try:
                response = await self.client.post(self.url, json={"question_ids": batch})
                response.raise_for_status()
                found += _Answer.model_validate_json(response.content).deliveries
            except (httpx.HTTPError, ValidationError) as exc:
                log.warning("notifications' delivery log did not answer", extra={"error": type(exc).__name__})
                raise DeliveriesUnavailable(type(exc).__name__) from None
        return sorted(found, key=lambda m: m.created_at)

    async def aclose(self) -> None:
        await self.client.aclose()
