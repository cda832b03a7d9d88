"""Contact details over authorised internal HTTP calls (intake owns residents', matching supporters').

Residents' contact details are fetched when a delivery needs them and kept in memory only for that
delivery. Supporters' (a professional's work address and name, owned by matching) are kept in memory
for a short while by ``supporter_cache.py`` and forgotten as soon as matching announces a change of the
supporter. Neither is ever written to this service's database, logs or events.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from contracts.events import PreferredChannel
from services.kit.messaging import PermanentError
from services.kit.messaging.faults import Unavailable
from services.kit.settings import Settings
from services.notifications.domain import ResidentContact, SupporterContact

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
#: How long to wait for an owner that is down or restarting before giving the error to the consumer.
#: The consumer's own retries last only seconds; a restarting service (a crash, a deploy) needs longer,
#: and dead-lettering every notification of that window would leave them to a manual replay.
DOWN_PATIENCE_SECONDS = 60.0
#: Answers meaning "the owner is down or restarting" (connection errors count too).
DOWN_STATUSES = (502, 503, 504)

M = TypeVar("M", bound=BaseModel)


class ContactsUnavailable(Unavailable):
    """The owner of the contact details could not answer now (connection error, 5xx, 401): retry."""


class ContactDirectory(Protocol):
    async def resident(self, question_id: str) -> ResidentContact | None: ...

    async def supporter(self, supporter_id: str) -> SupporterContact | None: ...

    async def aclose(self) -> None: ...


class _ResidentBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    question_id: str
    resident_ref: str
    name: str
    email: str | None = None
    phone: str | None = None
    share_with_supporter: bool = False
    preferred_channel: PreferredChannel | None = None
    status: str | None = None
    reference: str | None = None


class _SupporterBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    supporter_id: str
    name: str
    email: str | None = None
    organisation: str
    organisation_name: str = ""


class HttpContactDirectory:
    """Calls ``GET /internal/v1/questions/{id}/contact`` (intake) and ``/internal/v1/supporters/{id}/contact``
    (matching) with ``Authorization: Bearer <internal token>``. A 404 means "no such contact" (None)."""

    def __init__(
        self,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        down_patience: float = DOWN_PATIENCE_SECONDS,
    ) -> None:
        self.down_patience = down_patience
        self.intake_url = settings.intake_url.rstrip("/")
        self.matching_url = settings.matching_url.rstrip("/")
        token = settings.internal_token.get_secret_value()
        # Intake audits every read of personal data: say who reads and why.
        headers = {"Authorization": f"Bearer {token}", "X-Purpose": "notification", "X-Caller": "notifications"}
        self._client = httpx.AsyncClient(headers=headers, timeout=TIMEOUT, transport=transport)

    async def resident(self, question_id: str) -> ResidentContact | None:
        body = await self._get(f"{self.intake_url}/internal/v1/questions/{quote(question_id, safe='')}/contact")
        if body is None:
            return None
        r = _parse(_ResidentBody, body, "intake")
        return ResidentContact(
            r.question_id,
            r.resident_ref,
            r.name,
            r.email,
            r.phone,
            r.share_with_supporter,
            r.preferred_channel,
            r.status,
            r.reference,
        )

    async def supporter(self, supporter_id: str) -> SupporterContact | None:
        body = await self._get(f"{self.matching_url}/internal/v1/supporters/{quote(supporter_id, safe='')}/contact")
        if body is None:
            return None
        s = _parse(_SupporterBody, body, "matching")
        return SupporterContact(s.supporter_id, s.name, s.email, s.organisation, s.organisation_name)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _get(self, url: str) -> bytes | None:
        response = await self._get_when_up(url)
        if response.status_code == 404:
            return None
        if response.status_code in (401, 403, 408, 429) or response.status_code >= 500:
            raise ContactsUnavailable(f"{url}: HTTP {response.status_code}")
        if response.status_code != 200:
            raise PermanentError(f"{url}: HTTP {response.status_code}")
        return response.content

    async def _get_when_up(self, url: str) -> httpx.Response:
        """GET ``url``, waiting up to ``down_patience`` seconds while its owner is down or restarting."""
        deadline = time.monotonic() + self.down_patience
        pause = 0.2
        while True:
            try:
                response = await self._client.get(url)
                if response.status_code not in DOWN_STATUSES or time.monotonic() >= deadline:
                    return response
            except httpx.TransportError as exc:
                if time.monotonic() >= deadline:
                    raise ContactsUnavailable(f"{url}: {type(exc).__name__}") from exc
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)


def _parse(model: type[M], body: bytes, owner: str) -> M:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise PermanentError(f"invalid contact details from {owner}: {exc.error_count()} error(s)") from exc
