"""The SMS channel: a generic HTTP SMS gateway, and the queue that holds SMS back during quiet hours.

The gateway gets ``POST <SAMENLOKET_SMS_GATEWAY_URL>`` with ``Authorization: Bearer <token>`` and the
JSON body ``{"from": <sender>, "to": <phone>, "text": <text>}`` (plus an ``Idempotency-Key`` header:
the delivery's Message-ID, for gateways that de-duplicate). 2xx is sent; 5xx, 408, 429, timeouts and
connection errors are transient; any other 4xx is permanent.

No SMS is sent between 21:00 and 08:00 Europe/Amsterdam (:func:`~domain.next_send_time`): such a
delivery is recorded as ``queued`` with ``not_before``, and :class:`SmsQueue` sends it in the morning
through the same exactly-once delivery log (the phone number is fetched from intake again then).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from services.notifications import store
from services.notifications.domain import (
    Outgoing,
    PermanentDeliveryError,
    PlannedDelivery,
    TransientDeliveryError,
    message_id,
    preferred_channel,
)
from services.notifications.handlers import Notifier
from services.notifications.settings import NotificationsSettings

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
TRANSIENT_STATUSES = (408, 429)
#: How often the queue looks for SMS that are due, and how long a failed one waits before the next try.
POLL_SECONDS = 60.0
RETRY_AFTER = timedelta(minutes=5)


class SmsGatewaySender:
    """Sends ``Outgoing.text`` to ``Outgoing.address`` through the configured HTTP gateway."""

    def __init__(self, settings: NotificationsSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = settings.sms_gateway_url
        self.sender = settings.sms_sender
        token = settings.sms_gateway_token.get_secret_value() if settings.sms_gateway_token else ""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.AsyncClient(headers=headers, timeout=TIMEOUT, transport=transport)

    async def send(self, outgoing: Outgoing) -> None:
        if not self.url:
            raise TransientDeliveryError("SMS is not configured (SAMENLOKET_SMS_GATEWAY_URL is empty)")
        body = {"from": self.sender, "to": outgoing.address, "text": outgoing.text}
        try:
            response = await self._client.post(
                self.url, json=body, headers={"Idempotency-Key": message_id(outgoing.key)}
            )
        except httpx.TimeoutException as exc:
            raise TransientDeliveryError(f"sms gateway timeout: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise TransientDeliveryError(f"sms gateway unreachable: {type(exc).__name__}") from exc
        code = response.status_code
        if 200 <= code < 300:
            return
        reason = f"sms gateway HTTP {code}"  # the response body may echo the number: not kept
        if code >= 500 or code in TRANSIENT_STATUSES:
            raise TransientDeliveryError(reason)
        raise PermanentDeliveryError(reason)

    async def aclose(self) -> None:
        await self._client.aclose()


class SmsQueue:
    """Sends the SMS held back during quiet hours once they are due (call :meth:`run_once`, or :meth:`run`)."""

    def __init__(self, notifier: Notifier, clock: Callable[[], datetime] | None = None) -> None:
        self.notifier = notifier
        self.clock = clock or (lambda: datetime.now(UTC))

    async def run_once(self, now: datetime) -> int:
        """Send every SMS due at ``now``; return how many were sent."""
        async with self.notifier.pool.acquire() as conn:
            due = await store.take_due_sms(conn, now)
        sent = 0
        for item in due:
            sent += await self._send(item, now)
        return sent

    async def _send(self, item: store.QueuedSms, now: datetime) -> int:
        resident = await self.notifier.contacts.resident(item.question_id) if item.question_id else None
        if resident is None or preferred_channel(resident) != "sms" or not resident.phone:
            # Intake no longer has a phone number (erased, or changed to e-mail): nothing to send to.
            async with self.notifier.pool.acquire() as conn:
                await store.mark_skipped_now(conn, item.delivery_key, "no phone number any more")
            return 0
        planned = PlannedDelivery("resident", "sms", item.template, resident.phone, {}, resident.resident_ref)
        outgoing = Outgoing(item.delivery_key, resident.phone, "", item.body, "")
        sender = self.notifier.senders["sms"]

        async def send() -> None:
            await sender.send(outgoing)

        try:
            result = await self.notifier.deliver_cause(item.cause_event_id, item.question_id, planned, send)
        except TransientDeliveryError:
            async with self.notifier.pool.acquire() as conn:
                await store.requeue(conn, item.delivery_key, now + RETRY_AFTER)
            return 0
        async with self.notifier.pool.acquire() as conn:
            await store.clear_body(conn, item.delivery_key)
        return int(result.value == "sent")

    async def run(self) -> None:
        """Poll for due SMS until cancelled."""
        while True:
            try:
                await self.run_once(self.clock())
            except Exception:
                log.exception("sms queue run failed")
            await asyncio.sleep(POLL_SECONDS)
