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
import logging
from dataclasses import dataclass
from typing import Final, Protocol
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from contracts.envelope import CloudEvent
from contracts.events import ReferralStatusChanged
from services.kit import netguard
from services.kit.messaging import PermanentError
from services.notifications import webhooks
from services.notifications.contacts import HttpContactDirectory
from services.notifications.domain import PermanentDeliveryError, PlannedDelivery, TransientDeliveryError
from services.notifications.handlers import Notifier, Result

log = logging.getLogger(__name__)

TEMPLATE: Final = "referral_status_changed"
TIMEOUT: Final = httpx.Timeout(10.0, connect=5.0)
#: The most one webhook call may take, all of it (resolving, connecting, sending, reading).
DEADLINE_SECONDS: Final = 10.0
#: The most of a webhook's answer that is read (its status is what counts).
MAX_RESPONSE_BYTES: Final = 16 * 1024
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
    """POSTs one signed CloudEvent; raises Transient- or PermanentDeliveryError when it was not accepted.

    Every call goes through the kit's address policy (:class:`services.kit.netguard.PinnedTransport`):
    the partner's host is resolved once, refused unless every address is public, and the request goes
    to exactly that address (no second resolution for a DNS rebinding to exploit). A call has a total
    deadline (``deadline`` seconds for connecting, sending and reading together: a receiver that
    trickles bytes cannot hold the consumer), and at most ``max_response_bytes`` of the answer are
    read (only its status matters).
    """

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = TIMEOUT,
        allow_private_addresses: bool = False,
        deadline: float = DEADLINE_SECONDS,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        resolver: netguard.Resolver = netguard.system_resolver,
    ) -> None:
        self.allow_private_addresses = allow_private_addresses
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
        self._client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            transport=transport or netguard.PinnedTransport(resolver, allow_private=allow_private_addresses),
            headers={"User-Agent": USER_AGENT},
        )

    async def post(self, hook: PartnerWebhook, event: CloudEvent) -> None:
        try:
            netguard.check_url(hook.url, self.allow_private_addresses)
        except netguard.Refused as exc:
            raise PermanentDeliveryError(f"webhook URL refused: {exc}") from exc
        body = webhooks.structured(event)
        headers = webhooks.signed_headers(event, hook.secret, body)
        answer: list[int] = []
        try:
            async with asyncio.timeout(self.deadline):
                await self._send(hook.url, body, headers, answer)
        except netguard.Refused as exc:
            raise PermanentDeliveryError(f"webhook URL points at a private or local address; refused ({exc})") from exc
        except netguard.Unresolvable as exc:
            raise TransientDeliveryError(f"webhook host did not resolve; nothing sent ({exc})") from exc
        except httpx.InvalidURL as exc:
            raise PermanentDeliveryError(f"webhook URL is invalid: {type(exc).__name__}") from exc
        except (TimeoutError, httpx.HTTPError) as exc:  # the deadline, connection errors, httpx's timeouts
            if not answer:
                what = f"did not answer within {self.deadline:g} s" if isinstance(exc, TimeoutError) else "not reached"
                raise TransientDeliveryError(f"webhook {what}: {type(exc).__name__}") from exc
            # the status came; only reading the body failed or was slow, and the body does not count
        status = answer[0]
        if webhooks.is_success(status):
            return
        reason = f"webhook answered HTTP {status}"
        if webhooks.is_transient(status):
            raise TransientDeliveryError(reason)
        raise PermanentDeliveryError(reason)

    async def _send(self, url: str, body: bytes, headers: dict[str, str], answer: list[int]) -> None:
        """POST; put the status code in ``answer`` as soon as it is known, then read at most
        ``max_response_bytes`` of the body and drop the connection."""
        async with self._client.stream("POST", url, content=body, headers=headers) as response:
            answer.append(response.status_code)
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read >= self.max_response_bytes:
                    break

    async def aclose(self) -> None:
        await self._client.aclose()


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
