"""Event handlers of notifications and the exactly-once delivery of each message.

A mail is a side effect outside the database, so SupporterAssigned is consumed without the kit's
transactional inbox. Instead every delivery is guarded by its own row in ``deliveries``:

1. claim the row (status ``sending``, attempts + 1) and COMMIT, holding an advisory lock on its key;
2. send, with a ``Message-ID`` derived from the key;
3. in ONE transaction mark it ``sent`` and publish NotificationSent.

A redelivered event finds the row ``sent`` and sends nothing. A crash between 2 and 3 re-sends at
most that one mail, with the same Message-ID (receivers and relays can de-duplicate on it).
Transient failures raise so the kit retries (then dead-letters); a permanent failure marks the row
``failed``, publishes NotificationFailed, and raises PermanentError after committing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

import asyncpg

from contracts.envelope import CloudEvent
from contracts.events import Event, NotificationFailed, NotificationSent, QuestionReceived, SupporterAssigned
from services.kit.consumer import PermanentError
from services.kit.db import Conn
from services.kit.outbox import publish
from services.notifications import metrics, store
from services.notifications.contacts import ContactDirectory
from services.notifications.domain import (
    Outgoing,
    PermanentDeliveryError,
    PlannedDelivery,
    QuestionFacts,
    TransientDeliveryError,
    delivery_key,
    notification_id,
    plan_supporter_assigned,
)
from services.notifications.mailer import Sender
from services.notifications.rendering import render

log = logging.getLogger(__name__)

#: Sends one delivery itself (a channel that renders no template, e.g. a webhook posting the event).
Send = Callable[[], Awaitable[None]]


class Result(Enum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    FAILED = "failed"


async def on_question_received(conn: Conn, event: CloudEvent, payload: Event) -> None:
    """Remember what the question is about, so the supporter's mail can say it (no personal data)."""
    assert isinstance(payload, QuestionReceived)
    facts = QuestionFacts(payload.question_id, payload.municipality, tuple(payload.life_domains))
    await store.save_question(conn, facts, payload.received_at)


@dataclass
class Notifier:
    """Turns events into deliveries; its collaborators can be replaced (tests, more channels)."""

    pool: asyncpg.Pool
    contacts: ContactDirectory
    senders: dict[str, Sender]
    source: str
    intake_url: str
    max_attempts: int

    async def on_supporter_assigned(self, event: CloudEvent, payload: Event) -> None:
        """Tell the supporter about the new case and the resident who their supporter is."""
        assert isinstance(payload, SupporterAssigned)
        supporter = await self.contacts.supporter(payload.supporter_id)
        if supporter is None:
            raise PermanentError(f"matching knows no supporter {payload.supporter_id!r}")
        resident = await self.contacts.resident(payload.question_id)
        async with self.pool.acquire() as conn:
            facts = await store.question_facts(conn, payload.question_id)
        planned = plan_supporter_assigned(payload, supporter, resident, facts, self.intake_url)
        await self.deliver_all(event, payload.question_id, planned)

    async def deliver_all(self, event: CloudEvent, question_id: str | None, planned: list[PlannedDelivery]) -> None:
        """Attempt every delivery once; then retry (raise) if any failed transiently, or dead-letter if any failed."""
        transient: list[TransientDeliveryError] = []
        failed: list[str] = []
        for delivery in planned:
            try:
                result = await self.deliver(event, question_id, delivery)
            except TransientDeliveryError as exc:
                transient.append(exc)
                continue
            if result is Result.FAILED:
                failed.append(delivery.role)
        if transient:
            raise transient[0]
        if failed:
            raise PermanentError(f"notification to {', '.join(failed)} failed permanently")

    async def deliver(
        self, event: CloudEvent, question_id: str | None, planned: PlannedDelivery, send: Send | None = None
    ) -> Result:
        """Deliver one message exactly once (see the module docstring).

        By default the message is rendered from ``planned.template`` and handed to the sender of its
        channel; ``send`` replaces both (it raises Transient- or PermanentDeliveryError likewise).
        """
        key = delivery_key(event.id, planned.role, planned.channel)
        async with self.pool.acquire() as conn:
            if not await store.try_lock(conn, key):
                raise TransientDeliveryError("another instance is delivering this message")
            try:
                return await self._deliver_locked(conn, key, event, question_id, planned, send)
            finally:
                # Releasing the connection to the pool also drops session locks (asyncpg's reset query).
                with contextlib.suppress(Exception):
                    await store.unlock(conn, key)

    async def _deliver_locked(
        self,
        conn: Conn,
        key: str,
        event: CloudEvent,
        question_id: str | None,
        planned: PlannedDelivery,
        send: Send | None = None,
    ) -> Result:
        async with conn.transaction():
            claim = await store.claim(conn, key, planned, question_id, event.id)
        if not claim.claimed:
            return Result.ALREADY_SENT if claim.status == "sent" else Result.FAILED
        send = send or self._rendered(key, planned)
        try:
            await send()
        except TransientDeliveryError as exc:
            await self._transient(conn, key, event, question_id, planned, claim.attempts, str(exc))
            raise
        except PermanentDeliveryError as exc:
            await self._failed(conn, key, event, question_id, planned, claim.attempts, str(exc), permanent=True)
            return Result.FAILED
        async with conn.transaction():
            sent_at = await store.mark_sent(conn, key)
            await publish(conn, self._sent_event(key, event, question_id, planned, sent_at), self.source)
        metrics.SENT.labels(planned.channel).inc()
        log.info("notification sent", extra={"delivery_key": key, "template": planned.template})
        return Result.SENT

    async def _transient(
        self,
        conn: Conn,
        key: str,
        event: CloudEvent,
        question_id: str | None,
        planned: PlannedDelivery,
        attempts: int,
        error: str,
    ) -> None:
        """Record the error; when the attempts are used up, report the delivery as failed (not permanent)."""
        if attempts >= self.max_attempts:
            await self._failed(conn, key, event, question_id, planned, attempts, error, permanent=False)
            return
        async with conn.transaction():
            await store.record_error(conn, key, error)
        metrics.RETRIED.labels(planned.channel).inc()
        log.warning("notification will be retried", extra={"delivery_key": key, "attempt": attempts, "error": error})

    async def _failed(
        self,
        conn: Conn,
        key: str,
        event: CloudEvent,
        question_id: str | None,
        planned: PlannedDelivery,
        attempts: int,
        error: str,
        *,
        permanent: bool,
    ) -> None:
        async with conn.transaction():
            failed_at = await store.mark_failed(conn, key, error)
            failure = NotificationFailed(
                notification_id=notification_id(key),
                cause_event_id=event.id,
                question_id=question_id,
                recipient_role=planned.role,
                channel=planned.channel,
                template=planned.template,
                reason=error,
                permanent=permanent,
                attempts=attempts,
                failed_at=failed_at,
            )
            await publish(conn, failure, self.source)
        metrics.FAILED.labels(planned.channel).inc()
        log.error("notification failed", extra={"delivery_key": key, "permanent": permanent, "error": error})

    def _rendered(self, key: str, planned: PlannedDelivery) -> Send:
        """Render the template now; the returned function hands the message to the channel's sender."""
        subject, text, html = render(planned.template, planned.context)
        outgoing = Outgoing(key, planned.address, subject, text, html)
        sender = self.senders[planned.channel]

        async def send() -> None:
            await sender.send(outgoing)

        return send

    @staticmethod
    def _sent_event(
        key: str, event: CloudEvent, question_id: str | None, planned: PlannedDelivery, sent_at: datetime
    ) -> NotificationSent:
        return NotificationSent(
            notification_id=notification_id(key),
            cause_event_id=event.id,
            question_id=question_id,
            recipient_role=planned.role,
            channel=planned.channel,
            template=planned.template,
            sent_at=sent_at.astimezone(UTC),
        )
