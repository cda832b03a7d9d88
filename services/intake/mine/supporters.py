"""Who supports a question, by display name, from matching (which owns supporters and organisations).

``GET {matching_url}/internal/v1/questions/{id}/supporters`` with the internal token answers the open
assignments' supporters: name, organisation's name, kind, when assigned. Supporters' names are not a
resident's personal data, so nothing is audited here. When matching cannot answer quickly the page
still shows, without the names (None), rather than keep the resident waiting.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from contracts.labels import SUPPORTER_KIND_LABELS
from services.intake.mine.domain import Supporter
from services.kit.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(3.0, connect=2.0)


class SupporterDirectory(Protocol):
    async def of_question(self, question_id: str) -> list[Supporter] | None: ...

    async def aclose(self) -> None: ...


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    organisation_name: str
    kind: str
    assigned_at: datetime | None = None


class HttpSupporters:
    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.matching_url = settings.matching_url.rstrip("/")
        token = settings.internal_token.get_secret_value()
        self._client = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT, transport=transport
        )

    async def of_question(self, question_id: str) -> list[Supporter] | None:
        url = f"{self.matching_url}/internal/v1/questions/{quote(question_id, safe='')}/supporters"
        try:
            response = await self._client.get(url)
        except httpx.HTTPError as exc:
            log.warning("matching did not answer who supports", extra={"error": type(exc).__name__})
            return None
        if response.status_code == 404:
            return []
        if response.status_code != 200:
            log.warning("matching did not answer who supports", extra={"status": response.status_code})
            return None
        try:
            bodies = [_Body.model_validate(item) for item in response.json()]
        except (ValueError, ValidationError, TypeError):
            log.warning("matching answered who supports in a shape intake does not know")
            return None
        return [
            Supporter(b.name, b.organisation_name, SUPPORTER_KIND_LABELS.get(b.kind, ""), b.assigned_at) for b in bodies
        ]

    async def aclose(self) -> None:
        await self._client.aclose()
