"""Mail about a question as a whole (topic ``samenloket.questions``): the resident's confirmation, a new
link they asked for, and the end of the question for the supporters who were told of it.

- QuestionReceived: the resident gets a confirmation with their reference and the private link to
  their own page (every resident e-mail carries that link, see :meth:`Notifier._with_status_link`).
- StatusLinkRequested: the resident lost their link and asked for a new one with their e-mail
  address; it goes to that address (they asked, so not subject to their channel choice or opt-out).
- QuestionWithdrawn / QuestionClosed: the end is recorded first, under the lock that also guards
  telling a supporter of a new case (:meth:`Notifier.case_still_open`); then every supporter who was
  told of the case hears it ended (a closure only when staff closed it: when the last support ended,
  the supporters ended it themselves). From then on no resident message about it goes out
  (:meth:`Notifier._stopping_ends`), except the experience invitation after support that ended.

Side effects outside the database: each delivery is exactly-once through the delivery log, keyed by
the event id (and, for supporters, the supporter: a duo's two each get their own).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.envelope import CloudEvent
from contracts.events import QuestionClosed, QuestionReceived, QuestionWithdrawn, Reason, StatusLinkRequested
from contracts.labels import WITHDRAWN_BY_LABELS
from services.kit.messaging import PermanentError
from services.notifications import store
from services.notifications.domain import (
    CONSULTATION_ANSWER_WORKING_DAYS,
    CONTACT_WITHIN_WORKING_DAYS,
    PlannedDelivery,
    QuestionFacts,
    ResidentContact,
    TransientDeliveryError,
    life_domain_words,
    municipality_name,
    resident_delivery,
    resident_may_be_mailed,
)
from services.notifications.handlers import Notifier, Result

log = logging.getLogger(__name__)

#: A closure the supporters did not cause themselves (the last support ending is theirs).
TOLD_CLOSURES = frozenset({"closed_by_staff"})


def received_context(received: QuestionReceived, resident: ResidentContact) -> dict[str, Any]:
    return {
        "resident_name": resident.name,
        "question_id": received.question_id,
        "municipality_name": municipality_name(received.municipality),
        "contact_days": CONTACT_WITHIN_WORKING_DAYS,
        "answer_days": CONSULTATION_ANSWER_WORKING_DAYS,
        "choose_together": received.choose_together,
    }


def status_link_context(requested: StatusLinkRequested, resident: ResidentContact) -> dict[str, Any]:
    return {
        "resident_name": resident.name,
        "question_id": requested.question_id,
        "municipality_name": municipality_name(requested.municipality),
        "reference": resident.reference or requested.question_id,
    }


def ended_context(
    question_id: str, municipality: str, reason: Reason | None, facts: QuestionFacts | None
) -> dict[str, Any]:
    """What a supporter reads of an ended case: no personal data, the question's id and domains."""
    return {
        "question_id": question_id,
        "municipality_name": municipality_name(municipality),
        "life_domains": life_domain_words(facts.life_domains) if facts else [],
        "reason": reason.text if reason else "",
    }


@dataclass
class QuestionMail:
    notifier: Notifier

    async def on_question_received(self, event: CloudEvent, payload: QuestionReceived) -> None:
        """The resident's confirmation: reference, what happens next and by when, and their link."""
        resident = await self.notifier.contacts.resident(payload.question_id)
        if resident is None or not resident_may_be_mailed(resident, self.notifier.sms_enabled):
            return
        planned = resident_delivery(resident, "resident_received", received_context(payload, resident))
        await self.notifier.deliver_all(event, payload.question_id, [planned])

    async def on_status_link_requested(self, event: CloudEvent, payload: StatusLinkRequested) -> None:
        """A new link to the address the resident gave (intake checked it is theirs)."""
        resident = await self.notifier.contacts.resident(payload.question_id)
        if resident is None or not resident.email or resident.status in ("withdrawn", "closed"):
            log.info("no new link sent: no address, or the question ended", extra={"question_id": payload.question_id})
            return
        context = status_link_context(payload, resident)
        # No resident_ref: the resident asked for this one mail, so their opt-out does not hold it back.
        planned = PlannedDelivery("resident", "email", "resident_status_link", resident.email, context)
        await self.notifier.deliver_all(event, payload.question_id, [planned])

    async def on_question_withdrawn(self, event: CloudEvent, payload: QuestionWithdrawn) -> None:
        context = {"ended": "withdrawn", "withdrawn_by": WITHDRAWN_BY_LABELS.get(payload.withdrawn_by, "Iemand")}
        await self._ended(
            event, payload.question_id, payload.municipality, payload.reason, payload.withdrawn_at, context
        )

    async def on_question_closed(self, event: CloudEvent, payload: QuestionClosed) -> None:
        context = {"ended": "closed", "withdrawn_by": ""}
        await self._ended(event, payload.question_id, payload.municipality, payload.reason, payload.closed_at, context)

    async def _ended(
        self,
        event: CloudEvent,
        question_id: str,
        municipality: str,
        reason: Reason | None,
        at: datetime,
        context: dict[str, Any],
    ) -> None:
        ended = context["ended"]
        async with self.notifier.pool.acquire() as conn, conn.transaction():
            await store.lock_question_end(conn, question_id)
            first, told = await store.end_question(
                conn, question_id, ended, reason.code if reason else None, at, event.id
            )
            facts = await store.question_facts(conn, question_id)
        if first != event.id:
            log.info("question ended before: supporters were told then", extra={"question_id": question_id})
            return
        if ended == "closed" and (reason is None or reason.code not in TOLD_CLOSURES):
            return
        base = {**context, **ended_context(question_id, municipality, reason, facts)}
        transient: list[TransientDeliveryError] = []
        failed = 0
        for supporter_id in told:
            supporter = await self.notifier.contacts.supporter(supporter_id)
            if supporter is None or not supporter.email:
                log.warning("supporter not told of the end: no address", extra={"question_id": question_id})
                continue
            planned = PlannedDelivery(
                "supporter",
                "email",
                "supporter_question_withdrawn",
                supporter.email,
                {**base, "supporter_name": supporter.name},
            )
            try:
                # One delivery per supporter: a duo's two share the event, so the supporter is in the key.
                result = await self.notifier.deliver_cause(f"{event.id}/{supporter_id}", question_id, planned)
            except TransientDeliveryError as exc:
                transient.append(exc)
                continue
            failed += result is Result.FAILED
        if transient:
            raise transient[0]
        if failed:
            raise PermanentError("telling a supporter of the end of a question failed permanently")
