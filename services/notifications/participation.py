"""Participation: after SupportEnded the resident is invited to share their experience.

Once per question: a duo ends with two SupportEnded events (one per supporter), and both meet in the
question's row of ``experience_invitations``. The first one starts it and its event id becomes the
cause of the one delivery that carries the invitation, so the other event (or a redelivery) maps to
the same delivery key, and the delivery log's exactly-once guard (``handlers.Notifier``) sends at
most one message. A settled invitation (sent, queued for the morning, failed) ends the matter; a
skipped one may be taken up by a later SupportEnded of the question.

While one instance invites a resident it holds an advisory lock on the question (another one waits).
Steps, each safe to repeat: contact details from intake (as for every resident message), the rules
of :func:`~domain.invitation_skip_reason`, the opt-out, and only then the personal link from intake,
since asking for a link makes earlier ones stop working. A 409 from intake (support not ended, an
experience already shared, the resident erased) means no message: recorded as ``skipped`` in the
invitation and the delivery log, never as failed. Intake down or a 5xx: the consumer retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from contracts.envelope import CloudEvent
from contracts.events import SupportEnded
from services.kit.messaging import PermanentError
from services.notifications import metrics, participation_store, store
from services.notifications.domain import (
    EXPERIENCE_INVITATION_TEMPLATE,
    InvitationStatus,
    PlannedDelivery,
    ResidentContact,
    TransientDeliveryError,
    delivery_key,
    invitation_skip_reason,
    plan_experience_invitation,
    resident_delivery,
    resident_may_be_mailed,
)
from services.notifications.handlers import Notifier, Result
from services.notifications.invitations import InvitationLinks, InvitationRefused
from services.notifications.preferences import resident_ref_hash

log = logging.getLogger(__name__)

#: How long to wait for another instance that is inviting the same resident (it takes seconds at most).
LOCK_WAIT_SECONDS = 30.0
#: Invitations under way at once in one process. Each holds a connection for its lock and needs a
#: second one now and then: bounded, they can never take the whole pool (10) and wait on each other.
MAX_AT_ONCE = 4
#: What a delivery's outcome means for the invitation.
OUTCOMES: dict[Result, InvitationStatus] = {
    Result.SENT: "sent",
    Result.ALREADY_SENT: "sent",
    Result.QUEUED: "queued",
    Result.SKIPPED: "skipped",
    Result.FAILED: "failed",
}
#: A delivery already in the log in one of these states needs no new link.
DONE_DELIVERIES: dict[str, InvitationStatus] = {
    "sent": "sent",
    "queued": "queued",
    "skipped": "skipped",
    "failed": "failed",
}


@dataclass
class Participation:
    """Invites residents to share their experience; built on the service's :class:`Notifier`."""

    notifier: Notifier
    links: InvitationLinks
    _slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(MAX_AT_ONCE), repr=False)

    async def on_support_ended(self, event: CloudEvent, payload: SupportEnded) -> None:
        question_id = payload.question_id
        async with self.notifier.pool.acquire() as conn, conn.transaction():
            invitation = await participation_store.begin(conn, question_id, event.id)
        if invitation.status != "pending":
            log.info("experience invitation already handled", extra={"question_id": question_id})
            return
        # One instance at a time per question (a rebalance may hand the event to two): a second one
        # asking intake for a link would make the link in the first one's message stop working.
        lock = f"experience-invitation/{question_id}"
        async with self._slots, self.notifier.pool.acquire() as guard:
            if not await participation_store.wait_for_lock(guard, lock, LOCK_WAIT_SECONDS):
                raise TransientDeliveryError("another instance is still inviting this resident")
            try:
                await self._invite(payload, invitation.cause_event_id)
            finally:
                with contextlib.suppress(Exception):
                    await store.unlock(guard, lock)

    async def _invite(self, ended: SupportEnded, cause: str) -> None:
        question_id = ended.question_id
        resident = await self.notifier.contacts.resident(question_id)
        reason = invitation_skip_reason(ended, resident, self.notifier.sms_enabled)
        if reason is not None or resident is None:
            await self._skip(question_id, cause, reason or "no contact details", resident)
            return
        draft = resident_delivery(resident, EXPERIENCE_INVITATION_TEMPLATE, {})
        key = delivery_key(cause, draft.role, draft.channel)
        async with self.notifier.pool.acquire() as conn:
            earlier = await store.delivery_status(conn, key)
            opted_out = await store.opted_out(conn, resident_ref_hash(resident.resident_ref))
        if earlier in DONE_DELIVERIES:
            # Sent (or settled) before a crash let us record it: asking for a new link would break the sent one.
            await self._finish(question_id, cause, DONE_DELIVERIES[earlier])
            return
        if opted_out:
            await self._skip(question_id, cause, "opted out", resident)
            return
        try:
            link = await self.links.issue(question_id)
        except InvitationRefused as exc:
            await self._skip(question_id, cause, f"intake: {exc}", resident)
            return
        if link is None:
            await self._skip(question_id, cause, "intake does not know the question", resident)
            return
        result = await self.notifier.deliver_cause(
            cause, question_id, plan_experience_invitation(ended, resident, link)
        )
        await self._finish(question_id, cause, OUTCOMES[result])
        if result is Result.FAILED:
            raise PermanentError("the experience invitation failed permanently")

    async def _skip(self, question_id: str, cause: str, reason: str, resident: ResidentContact | None) -> None:
        """No invitation: recorded as skipped (in the delivery log too when the resident has a channel)."""
        planned: PlannedDelivery | None = None
        key = None
        if resident is not None and resident_may_be_mailed(resident, self.notifier.sms_enabled):
            planned = resident_delivery(resident, EXPERIENCE_INVITATION_TEMPLATE, {})
            key = delivery_key(cause, planned.role, planned.channel)
        async with self.notifier.pool.acquire() as conn, conn.transaction():
            logged = await participation_store.skip(conn, question_id, cause, reason, key, planned)
        if logged and planned is not None:
            metrics.SKIPPED.labels(planned.channel).inc()
        log.info("experience invitation skipped", extra={"question_id": question_id, "reason": reason})

    async def _finish(self, question_id: str, cause: str, status: InvitationStatus) -> None:
        async with self.notifier.pool.acquire() as conn:
            await participation_store.finish(conn, question_id, cause, status)
        log.info("experience invitation " + status, extra={"question_id": question_id})

    async def aclose(self) -> None:
        await self.links.aclose()
