"""Event handlers of notifications and the exactly-once delivery of each message.

A mail is a side effect outside the database, so SupporterAssigned is consumed without the kit's
transactional inbox. Instead every delivery is guarded by its own row in ``deliveries``:

1. take an advisory lock on its key (a session lock, held until the connection goes back to the
   pool), read whether the question ended and the resident opted out, and claim the row (status
   ``sending``, attempts + 1): ONE statement, committed on its own (``store.open_delivery``);
2. send, with a ``Message-ID`` derived from the key;
3. in ONE statement mark it ``sent`` and publish NotificationSent (atomic without a transaction).

A redelivered event finds the row ``sent`` and sends nothing. A crash between 2 and 3 re-sends at
most that one mail, with the same Message-ID (receivers and relays can de-duplicate on it).
Transient failures raise so the kit retries (then dead-letters); a permanent failure marks the row
``failed``, publishes NotificationFailed, and raises PermanentError after committing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import Enum

import asyncpg

from contracts.envelope import CloudEvent
from contracts.events import (
    ConsultationRequired,
    NotificationFailed,
    NotificationSent,
    QuestionReceived,
    QuestionWaiting,
    SupporterAssigned,
)
from services.kit.db import Conn, Database
from services.kit.messaging import PermanentError
from services.kit.outbox import execute_then_publish, publish
from services.notifications import metrics, store
from services.notifications.contacts import ContactDirectory
from services.notifications.domain import (
    EXPERIENCE_INVITATION_TEMPLATE,
    Loket,
    Outgoing,
    PermanentDeliveryError,
    PlannedDelivery,
    QuestionFacts,
    ResidentContact,
    SupporterContact,
    TransientDeliveryError,
    delivery_key,
    notification_id,
    plan_consultation_required,
    plan_question_waiting,
    plan_supporter_assigned,
    with_loket,
)
from services.notifications.mailer import Sender
from services.notifications.preferences import next_send_time, opt_out_url, resident_ref_hash
from services.notifications.rendering import render, render_sms
from services.notifications.status_links import StatusLinks

log = logging.getLogger(__name__)

#: Sends one delivery itself (a channel that renders no template, e.g. a webhook posting the event).
Send = Callable[[], Awaitable[None]]


class Result(Enum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    QUEUED = "queued"


async def on_question_received(conn: Conn, event: CloudEvent, payload: QuestionReceived) -> None:
    """Remember what the question is about, so the supporter's mail can say it (no personal data)."""
    facts = QuestionFacts(
        payload.question_id,
        payload.municipality,
        tuple(payload.life_domains),
        tuple(payload.languages),
        payload.meeting_preference,
        tuple(payload.needs),
        payload.reference,
    )
    await store.save_question(conn, facts, payload.received_at)


@dataclass
class Notifier:
    """Turns events into deliveries; its collaborators can be replaced (tests, more channels)."""

    database: Database
    contacts: ContactDirectory
    senders: dict[str, Sender]
    source: str
    intake_url: str
    max_attempts: int
    #: Public base URL of matching's pages: supporters' mails link to their case, coordinators' to the overleg.
    matching_url: str = ""
    #: The loket every message names, for questions about it.
    loket: Loket = field(default_factory=Loket)
    coordinator_email: str | None = None
    #: Base URL and HMAC key of the opt-out link in resident mails (no key: no link, in tests only).
    public_url: str = ""
    opt_out_key: bytes | None = None
    #: Residents with a phone number but no e-mail address get an SMS (only when a gateway is configured).
    sms_enabled: bool = False
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    #: Issues the link to the resident's own page that every e-mail to a resident carries (None: no link).
    status_links: StatusLinks | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        return self.database.db

    async def on_supporter_assigned(self, event: CloudEvent, payload: SupporterAssigned) -> None:
        """Tell the supporter about the new case and the resident who their supporter is.

        In a duo each supporter gets a SupporterAssigned of their own; the resident's mail of each
        says there are two supporters (and names the other one when matching knows them).
        """
        supporter = await self.contacts.supporter(payload.supporter_id)
        if supporter is None:
            raise PermanentError(f"matching knows no supporter {payload.supporter_id!r}")
        partner = None
        if payload.partner_supporter_id:
            partner = await self.contacts.supporter(payload.partner_supporter_id)
        resident = await self.contacts.resident(payload.question_id)
        still_open, facts = await self.case_still_open(payload, resident)
        if not still_open:
            return
        planned = plan_supporter_assigned(
            payload, supporter, resident, facts, self.matching_url, partner, self.sms_enabled
        )
        await self.deliver_all(event, payload.question_id, planned)

    async def case_still_open(
        self, payload: SupporterAssigned, resident: ResidentContact | None
    ) -> tuple[bool, QuestionFacts | None]:
        """Whether the supporter may hear of this case: not when intake says the question was withdrawn or
        closed meanwhile (an assignment booked while the withdrawal travelled), nor when its end arrived here;
        and the question's facts the mails mention.

        Otherwise the supporter is noted as told, under the same lock as a QuestionWithdrawn's handler
        reads who was told: either that handler finds them and mails them the end, or this one finds the
        end and mails nothing.
        """
        if resident is not None and resident.status in ("withdrawn", "closed"):
            log.info("new case not told: the question ended", extra={"question_id": payload.question_id})
            return False, None
        async with self.pool.acquire() as conn, conn.transaction():
            await store.lock_question_end(conn, payload.question_id)
            ended, facts = await store.tell_supporter_unless_ended(conn, payload.question_id, payload.supporter_id)
        if ended:
            log.info("new case not told: the question ended", extra={"question_id": payload.question_id})
            return False, None
        return True, facts

    async def on_question_waiting(self, event: CloudEvent, payload: QuestionWaiting) -> None:
        """Tell the resident they are on the waiting list and what that means."""
        resident = await self.contacts.resident(payload.question_id)
        await self.deliver_all(event, payload.question_id, plan_question_waiting(payload, resident, self.sms_enabled))

    async def on_consultation_required(self, event: CloudEvent, payload: ConsultationRequired) -> None:
        """Tell the coordinators (if an address is set) and the resident that a team looks at the question.

        The coordinators' mail names the candidates and their organisations: matching gives the names.
        """
        resident = await self.contacts.resident(payload.question_id)
        names: dict[str, SupporterContact] = {}
        if self.coordinator_email:
            for candidate in payload.candidates:
                found = await self.contacts.supporter(candidate.supporter_id)
                if found is not None:
                    names[candidate.supporter_id] = found
        planned = plan_consultation_required(
            payload, resident, self.coordinator_email, self.matching_url, self.sms_enabled, names
        )
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
        """Deliver one message caused by ``event`` exactly once (see :meth:`deliver_cause`)."""
        return await self.deliver_cause(event.id, question_id, planned, send)

    async def deliver_cause(
        self, cause_id: str, question_id: str | None, planned: PlannedDelivery, send: Send | None = None
    ) -> Result:
        """Deliver one message exactly once (see the module docstring); ``cause_id`` is the event id
        (or, for a digest, the digest id) the delivery key is made of.

        By default the message is rendered from ``planned.template`` and handed to the sender of its
        channel; ``send`` replaces both (it raises Transient- or PermanentDeliveryError likewise).
        """
        key = delivery_key(cause_id, planned.role, planned.channel)
        # Releasing the connection to the pool drops its session locks (asyncpg's reset query): the
        # delivery's lock is held from open_delivery until then, the sending included.
        async with self.pool.acquire() as conn:
            return await self._deliver_locked(conn, key, cause_id, question_id, planned, send)

    async def _deliver_locked(
        self,
        conn: Conn,
        key: str,
        cause_id: str,
        question_id: str | None,
        planned: PlannedDelivery,
        send: Send | None = None,
    ) -> Result:
        not_before = None
        if planned.channel == "sms" and send is None:
            now = self.clock()
            not_before = next_send_time(now)
            if not_before <= now:
                not_before = None
        opening = await store.open_delivery(
            conn,
            key,
            planned,
            question_id,
            cause_id,
            ref_hash=resident_ref_hash(planned.resident_ref) if planned.resident_ref else None,
            stopping_ends=self._stopping_ends(question_id, planned),
            claim_now=not_before is None,
        )
        if not opening.locked:
            raise TransientDeliveryError("another instance is delivering this message")
        if opening.stopped or opening.opted_out:
            reason = "question ended" if opening.stopped else "opted out"
            if await store.mark_skipped(conn, key, planned, question_id, cause_id, reason):
                metrics.SKIPPED.labels(planned.channel).inc()
                why = "the question ended" if opening.stopped else "resident opted out"
                log.info("notification skipped: %s", why, extra={"delivery_key": key})
            return Result.SKIPPED
        if not_before is not None:
            return await self._queue(conn, key, cause_id, question_id, planned, not_before)
        claim = opening.claim
        assert claim is not None
        if not claim.claimed:
            outcomes = {"sent": Result.ALREADY_SENT, "skipped": Result.SKIPPED, "queued": Result.QUEUED}
            return outcomes.get(claim.status, Result.FAILED)
        try:
            if send is None:
                send = self._rendered(key, await self._with_status_link(planned, question_id))
            await send()
        except TransientDeliveryError as exc:
            await self._transient(conn, key, cause_id, question_id, planned, claim.attempts, str(exc))
            raise
        except PermanentDeliveryError as exc:
            await self._failed(conn, key, cause_id, question_id, planned, claim.attempts, str(exc), permanent=True)
            return Result.FAILED
        # Marked sent and NotificationSent in one statement (atomic: no transaction of four round trips).
        sent_at = datetime.now(UTC)
        sent = self._sent_event(key, cause_id, question_id, planned, sent_at)
        await execute_then_publish(conn, store.MARK_SENT, (key, sent_at), sent, self.source)
        metrics.SENT.labels(planned.channel).inc()
        log.info("notification sent", extra={"delivery_key": key, "template": planned.template})
        return Result.SENT

    async def _queue(
        self,
        conn: Conn,
        key: str,
        cause_id: str,
        question_id: str | None,
        planned: PlannedDelivery,
        not_before: datetime,
    ) -> Result:
        """Hold an SMS until the morning (quiet hours); the SMS queue sends it then."""
        text = render_sms(planned.template, with_loket(planned.context, self.loket))
        if await store.queue(conn, key, planned, question_id, cause_id, text, not_before):
            log.info("sms queued until the morning", extra={"delivery_key": key, "not_before": not_before.isoformat()})
        return Result.QUEUED

    async def _transient(
        self,
        conn: Conn,
        key: str,
        cause_id: str,
        question_id: str | None,
        planned: PlannedDelivery,
        attempts: int,
        error: str,
    ) -> None:
        """Record the error; when the attempts are used up, report the delivery as failed (not permanent)."""
        if attempts >= self.max_attempts:
            await self._failed(conn, key, cause_id, question_id, planned, attempts, error, permanent=False)
            return
        async with conn.transaction():
            await store.record_error(conn, key, error)
        metrics.RETRIED.labels(planned.channel).inc()
        log.warning("notification will be retried", extra={"delivery_key": key, "attempt": attempts, "error": error})

    async def _failed(
        self,
        conn: Conn,
        key: str,
        cause_id: str,
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
                cause_event_id=cause_id,
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

    @staticmethod
    def _stopping_ends(question_id: str | None, planned: PlannedDelivery) -> tuple[str, ...]:
        """Nothing more goes to a resident whose question was withdrawn; after a closure only the
        invitation to share their experience (the closing message of support that ended)."""
        if planned.role != "resident" or not question_id:
            return ()
        return ("withdrawn",) if planned.template == EXPERIENCE_INVITATION_TEMPLATE else ("withdrawn", "closed")

    async def _with_status_link(self, planned: PlannedDelivery, question_id: str | None) -> PlannedDelivery:
        """A resident's e-mail carries a new private link to their own page (intake issues it now)."""
        if planned.role != "resident" or planned.channel != "email" or not question_id or self.status_links is None:
            return planned
        if planned.context.get("status_url"):
            return planned
        link = await self.status_links.issue(question_id)
        if link is None:
            return planned
        return replace(planned, context={**planned.context, "status_url": link.url, "reference": link.reference})

    def _rendered(self, key: str, planned: PlannedDelivery) -> Send:
        """Render the template now; the returned function hands the message to the channel's sender."""
        context = with_loket(planned.context, self.loket)
        if planned.resident_ref and self.opt_out_key:
            context = {**context, "opt_out_url": opt_out_url(self.public_url, self.opt_out_key, planned.resident_ref)}
        if planned.channel == "sms":
            outgoing = Outgoing(key, planned.address, "", render_sms(planned.template, context), "")
        else:
            subject, text, html = render(planned.template, context)
            outgoing = Outgoing(key, planned.address, subject, text, html)
        sender = self.senders[planned.channel]

        async def send() -> None:
            await sender.send(outgoing)

        return send

    @staticmethod
    def _sent_event(
        key: str, cause_id: str, question_id: str | None, planned: PlannedDelivery, sent_at: datetime
    ) -> NotificationSent:
        return NotificationSent(
            notification_id=notification_id(key),
            cause_event_id=cause_id,
            question_id=question_id,
            recipient_role=planned.role,
            channel=planned.channel,
            template=planned.template,
            sent_at=sent_at.astimezone(UTC),
        )
