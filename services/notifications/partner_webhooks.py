"""The webhook channel: ReferralStatusChanged → a signed POST to the referring partner's URL.

The partner's URL and signing secret come from intake (``GET /internal/v1/partners/{org}/webhook``,
internal token) when a delivery needs them and are kept in memory only for that delivery. A partner
without a webhook gets nothing (and no delivery row). Each event is delivered exactly once through
the same delivery log as mail (:meth:`Notifier.deliver`): key ``<event id>/partner/webhook``, claim,
POST, mark sent and publish NotificationSent in one transaction. Connection errors, timeouts, 5xx,
408, 425 and 429 are retried by the consumer with backoff, then reported as NotificationFailed
(``permanent: false``) and dead-lettered for replay; any other answer that is not 2xx is final:
NotificationFailed (``permanent: true``) and the dead-letter topic at once.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from dataclasses import dataclass
from typing import Final, Protocol
from urllib.parse import quote, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from contracts.envelope import CloudEvent
from contracts.events import ReferralStatusChanged
from services.kit.messaging import PermanentError
from services.notifications import webhooks
from services.notifications.contacts import HttpContactDirectory
from services.notifications.domain import PermanentDeliveryError, PlannedDelivery, TransientDeliveryError
from services.notifications.handlers import Notifier, Result

log = logging.getLogger(__name__)

TEMPLATE: Final = "referral_status_changed"
TIMEOUT: Final = httpx.Timeout(10.0, connect=5.0)
USER_AGENT: Final = "Samenloket-Webhooks/1"


@dataclass(frozen=True)
class PartnerWebhook:
    url: str
    secret: str

    def __repr__(self) -> str:
        return f"PartnerWebhook(url={self.url!r}, secret=***)"


class _WebhookBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str
    secret: str


class PartnerDirectory(Protocol):
    async def webhook(self, organisation: str) -> PartnerWebhook | None: ...

    async def aclose(self) -> None: ...


class HttpPartnerDirectory(HttpContactDirectory):
    """Asks intake for a partner's webhook, with the contact directory's patience and error rules."""

    async def webhook(self, organisation: str) -> PartnerWebhook | None:
        body = await self._get(f"{self.intake_url}/internal/v1/partners/{quote(organisation, safe='')}/webhook")
        if body is None:
            return None
        try:
            found = _WebhookBody.model_validate_json(body)
        except ValidationError as exc:
            raise PermanentError(f"invalid webhook answer from intake: {exc.error_count()} error(s)") from exc
        return PartnerWebhook(found.url, found.secret)


class WebhookPoster:
    """POSTs one signed CloudEvent; raises Transient- or PermanentDeliveryError when it was not accepted."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = TIMEOUT,
        allow_private_addresses: bool = False,
    ) -> None:
        self._client = httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, transport=transport, headers={"User-Agent": USER_AGENT}
        )
        self.allow_private_addresses = allow_private_addresses

    async def post(self, hook: PartnerWebhook, event: CloudEvent) -> None:
        if not self.allow_private_addresses and await points_inside(hook.url):
            raise PermanentDeliveryError("webhook URL points at a private or local address; refused")
        body = webhooks.structured(event)
        headers = webhooks.signed_headers(event, hook.secret, body)
        try:
            response = await self._client.post(hook.url, content=body, headers=headers)
        except httpx.InvalidURL as exc:
            raise PermanentDeliveryError(f"webhook URL is invalid: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:  # connection errors and timeouts
            raise TransientDeliveryError(f"webhook not reached: {type(exc).__name__}") from exc
        if webhooks.is_success(response.status_code):
            return
        reason = f"webhook answered HTTP {response.status_code}"
        if webhooks.is_transient(response.status_code):
            raise TransientDeliveryError(reason)
        raise PermanentDeliveryError(reason)

    async def aclose(self) -> None:
        await self._client.aclose()


async def points_inside(url: str) -> bool:
    """Whether the URL's host resolves to a loopback, private, link-local or reserved address.

    A partner's webhook must not make this service call into its own network (server-side request
    forgery). Development and tests allow it with ``SAMENLOKET_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES``.
    """
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError:
        return False  # unresolvable: the POST fails as a transient error and is retried
    addresses = {ipaddress.ip_address(info[4][0]) for info in infos}
    return any(a.is_private or a.is_loopback or a.is_link_local or a.is_reserved for a in addresses)


@dataclass
class WebhookNotifier:
    """Tells referring partners of status changes over their webhook (consumed non-transactionally)."""

    notifier: Notifier
    directory: PartnerDirectory
    poster: WebhookPoster

    async def on_referral_status_changed(self, event: CloudEvent, payload: ReferralStatusChanged) -> None:
        hook = await self.directory.webhook(payload.referrer)
        if hook is None:
            log.debug("partner has no webhook", extra={"event_id": event.id, "organisation": payload.referrer})
            return
        planned = PlannedDelivery("partner", "webhook", TEMPLATE, hook.url)

        async def send() -> None:
            await self.poster.post(hook, event)

        result = await self.notifier.deliver(event, payload.question_id, planned, send)
        if result is Result.FAILED:
            raise PermanentError(f"webhook of {payload.referrer} failed permanently")

    async def aclose(self) -> None:
        await self.directory.aclose()
        await self.poster.aclose()
