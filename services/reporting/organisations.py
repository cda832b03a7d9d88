"""Organisations' display names, so that people read "MEE Plus" where the figures hold ``mee-plus``.

Matching owns organisations; reporting asks its internal list (``GET /internal/v1/organisations`` with the
internal token) and keeps the answer for a few minutes: a region has tens of organisations and their names
rarely change. Names are presentation only: ids stay the codes of the API, the CSV and StatisticsPublished.
The region file's names (its organisations and referrers) are the base: matching's names win over them,
and when matching cannot answer the last names known are used, else the region file's alone (with a
warning in the log); the next try waits a little, so a page is never held up by a matching that is
down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import httpx
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from services.kit.region import Region
from services.kit.settings import Settings

log = logging.getLogger(__name__)

#: How long names are used before they are asked again, and how long to wait after a failed try.
FRESH_SECONDS = 300.0
RETRY_SECONDS = 30.0
TIMEOUT = httpx.Timeout(2.0, connect=1.0)


class _Organisation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    name: str


_ANSWER = TypeAdapter(list[_Organisation])


class OrganisationNames:
    """The display names of organisations by id, from matching, cached (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        region: Region | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        fresh: float = FRESH_SECONDS,
        retry: float = RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = f"{settings.matching_url.rstrip('/')}/internal/v1/organisations"
        token = settings.internal_token.get_secret_value()
        self._client = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT, transport=transport
        )
        self.fresh, self.retry, self.clock = fresh, retry, clock
        #: Names from the region file: referrers are no organisations of matching's, and matching may be down.
        self.known: dict[str, str] = dict(region.organisation_names) if region is not None else {}
        self._names: dict[str, str] | None = None
        self._fresh_until = 0.0
        self._next_try = 0.0
        self._lock = asyncio.Lock()

    async def names(self) -> dict[str, str]:
        """Names by id: the region file's, with matching's fresh (else last known) ones over them."""
        return {**self.known, **await self._matching_names()}

    async def _matching_names(self) -> dict[str, str]:
        if self._names is not None and self.clock() < self._fresh_until:
            return self._names
        if self.clock() < self._next_try:
            return self._names or {}
        async with self._lock:
            if self._names is not None and self.clock() < self._fresh_until:
                return self._names  # another request fetched them meanwhile
            try:
                self._names = await self._fetch()
                self._fresh_until = self.clock() + self.fresh
            except (httpx.HTTPError, ValidationError, ValueError) as exc:
                self._next_try = self.clock() + self.retry
                log.warning(
                    "organisation names unavailable: showing ids or the last known names",
                    extra={"error": type(exc).__name__, "detail": str(exc)[:200]},
                )
        return self._names or {}

    async def _fetch(self) -> dict[str, str]:
        response = await self._client.get(self.url)
        if response.status_code != 200:
            raise ValueError(f"matching answered HTTP {response.status_code}")
        return {o.id: o.name for o in _ANSWER.validate_json(response.content)}

    async def aclose(self) -> None:
        await self._client.aclose()
