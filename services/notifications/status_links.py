"""The resident's private link to their own page ("Mijn vraag"), issued by intake right before a message.

``POST {intake_url}/internal/v1/questions/{id}/status-link`` with the internal token answers 200
``{"url", "reference"}`` (a new link; earlier ones keep working) or 404 for an unknown or erased
question. The link is a capability: it goes into the one message and is never logged or stored here.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from services.kit.messaging import PermanentError
from services.kit.settings import Settings
from services.notifications.contacts import DOWN_PATIENCE_SECONDS, DOWN_STATUSES, TIMEOUT
from services.notifications.domain import TransientDeliveryError


@dataclass(frozen=True)
class StatusLink:
    url: str
    reference: str


class StatusLinks(Protocol):
    async def issue(self, question_id: str) -> StatusLink | None: ...

    async def aclose(self) -> None: ...


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str
    reference: str


class HttpStatusLinks:
    def __init__(
        self,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        down_patience: float = DOWN_PATIENCE_SECONDS,
    ) -> None:
        self.intake_url = settings.intake_url.rstrip("/")
        self.down_patience = down_patience
        token = settings.internal_token.get_secret_value()
        headers = {"Authorization": f"Bearer {token}", "X-Caller": "notifications"}
        self._client = httpx.AsyncClient(headers=headers, timeout=TIMEOUT, transport=transport)

    async def issue(self, question_id: str) -> StatusLink | None:
        """A new link, or None when intake does not know the question (any more)."""
        url = f"{self.intake_url}/internal/v1/questions/{quote(question_id, safe='')}/status-link"
        deadline = time.monotonic() + self.down_patience
        pause = 0.2
        while True:
            try:
                response = await self._client.post(url)
                if response.status_code not in DOWN_STATUSES or time.monotonic() >= deadline:
                    break
            except httpx.TransportError as exc:
                if time.monotonic() >= deadline:
                    raise TransientDeliveryError(f"status link: {type(exc).__name__}") from exc
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)
        code = response.status_code
        if code == 404:
            return None
        if code in (401, 403, 408, 429) or code >= 500:
            raise TransientDeliveryError(f"status link: HTTP {code}")
        if code != 200:
            raise PermanentError(f"status link: HTTP {code}")
        try:
            body = _Body.model_validate_json(response.content)
        except ValidationError as exc:
            raise PermanentError(f"invalid status link from intake: {exc.error_count()} error(s)") from exc
        return StatusLink(body.url, body.reference)

    async def aclose(self) -> None:
        await self._client.aclose()
