"""Intake's commands and event handlers. Each runs inside the caller's transaction.

Every state change and the event announcing it are written in one transaction (the outbox), so a
question is never stored without its QuestionReceived, nor announced without being stored.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from contracts.codes import Channel
from contracts.envelope import CloudEvent
from contracts.events import (
    ConsultationRequired,
    QuestionReceived,
    QuestionSubmission,
    QuestionWaiting,
    ReferralSubmitted,
    SupporterAssigned,
)
from services.intake import domain, lifecycle, store
from services.intake.closedloop import handlers as closed_loop
from services.intake.closedloop.domain import Referral, reason_for
from services.intake.domain import QuestionStatus
from services.intake.mine import domain as mine
from services.intake.vault import Vault
from services.kit.crypto import DataKey
from services.kit.db import Conn
from services.kit.messaging.subscriber import PermanentError
from services.kit.outbox import publish
from services.kit.region import Region

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Accepted:
    question_id: str
    resident_ref: str
    reference: str = ""


class NotServed(Exception):
    """A question for a municipality the region does not serve (API and inbound topic: ``municipality_not_served``)."""

    code = "municipality_not_served"

    def __init__(self, municipality: str, region: Region) -> None:
        self.municipality = municipality
        served = ", ".join(f"{m.code} ({m.name})" for m in region.municipalities)
        super().__init__(f"{self.code}: {municipality} is not served by region {region.name}; it serves {served}")


class Intake:
    """Intake's use cases, bound to the blind-index key, the CloudEvents source and the region served."""

    def __init__(self, index_key: bytes, source: str, vault: Vault, region: Region) -> None:
        self.index_key = index_key
        self.source = source
        self.vault = vault
        self.region = region

    # --- questions --------------------------------------------------------------------------------

    async def submit_question(
        self,
        conn: Conn,
        submission: QuestionSubmission,
        *,
        channel: Channel | None = None,
        referrer: str | None = None,
        partner_reference: str | None = None,
    ) -> Accepted:
        """Store the resident and the question, record 'received' and announce QuestionReceived.

        NotServed (before anything is stored) when the region does not serve its municipality."""
        if not self.region.serves(submission.municipality):
            raise NotServed(submission.municipality, self.region)
        resident_ref, key = await self.resident_with_key(conn, submission)
        question_id = str(uuid.uuid4())
        question = store.NewQuestion(
            question_id=question_id,
            resident_ref=resident_ref,
            submission=submission,
            channel=channel or submission.channel,
            referrer=referrer,
            partner_reference=partner_reference,
            received_at=datetime.now(UTC),
            description=self.vault.seal_description(key, question_id, submission.description),
            reference=await self.new_reference(conn),
        )
        await store.insert_question(conn, question, domain.REASON_RECEIVED)
        await publish(conn, received_event(question), self.source)
        referral = Referral(question.question_id, referrer, partner_reference, submission.municipality)
        await closed_loop.announce(
            conn, self.source, referral, None, "received", reason_for("received"), question.received_at
        )
        return Accepted(question.question_id, resident_ref, question.reference)

    @staticmethod
    async def new_reference(conn: Conn) -> str:
        """A short reference no other question has (a clash is rare: about 1 in 10^6 at a million questions)."""
        while True:
            reference = mine.new_reference()
            if not await store.reference_taken(conn, reference):
                return reference

    async def resident_with_key(self, conn: Conn, submission: QuestionSubmission) -> tuple[str, DataKey]:
        """The submitting resident's ref and data key; their contact details stored sealed with it."""
        contact = submission.contact
        ids = domain.Identifiers.of(self.index_key, contact.email, contact.phone)
        if ids.values():
            await store.lock_identifiers(conn, ids)
            candidates = await store.find_candidates(conn, ids)
            ref = domain.choose_resident(ids, candidates)
            wrapped = next((c.data_key for c in candidates if c.resident_ref == ref), None)
            if ref is not None and wrapped is not None:
                key = self.vault.resident_key(ref, wrapped)
                await store.refresh_resident(conn, ref, self.vault.seal_contact(key, ref, contact), ids)
                return ref, key
        ref = str(uuid.uuid4())
        key, wrapped = self.vault.new_resident_key(ref)
        await store.insert_resident(conn, ref, self.vault.seal_contact(key, ref, contact), ids, wrapped)
        return ref, key

    async def on_referral(self, conn: Conn, event: CloudEvent, payload: ReferralSubmitted) -> None:
        """A partner's referral becomes a question, once per (referrer, partner_reference).

        Partners may resend a referral under a new ``ce_id``, which the inbox cannot recognise;
        the unique index on (referrer, partner_reference) can. Channel is always ``partner``.
        """
        if not self.region.serves(payload.municipality):
            # Retrying can never help: dead-lettered (sealed) at once, the reason naming the code.
            raise PermanentError(str(NotServed(payload.municipality, self.region)))
        existing = await store.find_referral(conn, payload.referrer, payload.partner_reference)
        if existing:
            log.info("referral already received", extra={"event_id": event.id, "question_id": existing})
            return
        await self.submit_question(
            conn,
            payload,
            channel="partner",
            referrer=payload.referrer,
            partner_reference=payload.partner_reference,
        )

    # --- status, from matching's events -----------------------------------------------------------

    async def on_supporter_assigned(self, conn: Conn, event: CloudEvent, payload: SupporterAssigned) -> None:
        await self.follow(conn, event, payload.question_id, "assigned", domain.REASON_ASSIGNED, payload.assigned_at)

    async def on_question_waiting(self, conn: Conn, event: CloudEvent, payload: QuestionWaiting) -> None:
        await self.follow(conn, event, payload.question_id, "waiting", domain.REASON_WAITING, payload.since)

    async def on_consultation_required(self, conn: Conn, event: CloudEvent, payload: ConsultationRequired) -> None:
        reason = payload.reason.text.strip() or domain.REASON_CONSULTATION
        await self.follow(
            conn, event, payload.question_id, "consultation", reason, payload.required_at, code=payload.reason.code
        )

    async def follow(
        self,
        conn: Conn,
        event: CloudEvent,
        question_id: str,
        status: QuestionStatus,
        reason: str,
        at: datetime,
        code: str | None = None,
    ) -> None:
        """Apply a status change announced by another service, and tell the referrer (closed loop).

        Intake itself announces every question, so an id it does not know belongs to a foreign
        event: retrying could never help and dead-lettering would only add noise, so it is logged
        and skipped. ``code`` is the reason's stable code (default: the status's own, e.g. no_capacity).
        """
        current = await store.lock_status(conn, question_id)
        if current is None:
            log.warning(
                "status event for an unknown question, skipped",
                extra={"event_id": event.id, "ce_type": event.type, "question_id": question_id},
            )
            return
        if not domain.status_change_applies(current, status):
            log.info(
                "status event does not change the question",
                extra={"event_id": event.id, "question_id": question_id, "current": current, "new": status},
            )
            return
        why = reason_for(status, code, reason)
        if await store.change_status(conn, question_id, status, why.text, at, event.id, why.code):
            await closed_loop.announce_change(conn, self.source, question_id, current, status, why, at)
            if status == "closed":  # the last support ended: every service hears the question is over
                await lifecycle.announce_closed_by_id(conn, self.source, question_id, why, at)


def received_event(q: store.NewQuestion) -> QuestionReceived:
    """QuestionReceived carries no personal data: no name, contact details or description."""
    s = q.submission
    return QuestionReceived(
        question_id=q.question_id,
        resident_ref=q.resident_ref,
        municipality=s.municipality,
        life_domains=list(s.life_domains),
        preferred_supporter_kind=s.preferred_supporter_kind,
        languages=list(s.languages),
        postcode=s.postcode,
        channel=q.channel,
        referrer=q.referrer,
        received_at=q.received_at,
        found_via=s.found_via,
        meeting_preference=s.meeting_preference,
        age_band=s.age_band,
        needs=list(s.needs),
        wants_duo=s.wants_duo,
        choose_together=s.choose_together,
        reference=q.reference or None,
    )
