"""Use cases of the resident's own page: private links, the page, withdrawing, how to be reached, a new link.

Each runs inside the caller's transaction. A link is a capability: its token is shown once (on the
confirmation page, or put into one message) and only its SHA-256 is stored. Every wrong token (never
issued, revoked, or its resident erased) is answered alike, as None.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from contracts.envelope import CloudEvent
from contracts.events import (
    ConsultationAppointmentHeld,
    ConsultationAppointmentPlanned,
    PreferredChannel,
    StatusLinkRequested,
)
from services.intake import domain as intake_domain
from services.intake.closedloop import handlers as closed_loop
from services.intake.closedloop import store as closed_loop_store
from services.intake.handlers import Intake
from services.intake.mine import domain, store
from services.intake.mine.supporters import SupporterDirectory
from services.kit.db import Conn
from services.kit.outbox import publish

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Link:
    url: str
    token: str
    reference: str


@dataclass(frozen=True)
class HistoryLine:
    status: str
    at: datetime
    #: What the line says, when it is not the status's own label (the consultation's conversation).
    label: str | None = None


@dataclass(frozen=True)
class Page:
    """Everything the page shows: no name, address or description of the resident."""

    question: store.LinkedQuestion
    reference: str
    text: domain.StatusText
    history: list[HistoryLine]
    #: None: matching could not say now (the page says so).
    supporters: list[domain.Supporter] | None
    #: The channels the resident can choose (those we have an address for), in form order.
    channels: list[PreferredChannel]


def _without_repeats(lines: list[HistoryLine]) -> list[HistoryLine]:
    """One line for a status that came twice in a row on one day (a duo's two assignments)."""
    kept: list[HistoryLine] = []
    for line in lines:
        if kept and kept[-1].status == line.status and domain.local_day(kept[-1].at) == domain.local_day(line.at):
            continue
        kept.append(line)
    return kept


Withdrawal = Literal["withdrawn", "already_withdrawn", "closed"]


class Mine:
    """The resident's own page, bound to intake's use cases, the public URL and matching's directory."""

    def __init__(self, intake: Intake, public_url: str, supporters: SupporterDirectory) -> None:
        self.intake = intake
        self.public_url = public_url.rstrip("/")
        self.supporters = supporters

    def url(self, token: str) -> str:
        return f"{self.public_url}/mijn-vraag/{token}"

    async def issue(self, conn: Conn, question_id: uuid.UUID, now: datetime | None = None) -> Link | None:
        """A new private link to the question's page (earlier ones keep working); None: unknown or erased."""
        reference = await store.reference_of(conn, question_id)
        if reference is None:
            return None
        token, digest = domain.new_status_token()
        await store.insert_link(conn, question_id, digest, now or datetime.now(UTC))
        return Link(self.url(token), token, domain.format_reference(reference))

    async def linked(self, conn: Conn, token: str, *, lock: bool = False) -> store.LinkedQuestion | None:
        if not domain.looks_like_token(token):
            return None
        return await store.by_token(conn, domain.token_digest(token), lock=lock)

    async def page(self, conn: Conn, token: str) -> Page | None:
        question = await self.linked(conn, token)
        if question is None:
            return None
        supporters: list[domain.Supporter] | None = []
        if question.status in ("assigned", "accepted"):
            supporters = await self.supporters.of_question(str(question.question_id))
        appointment = await store.appointment_of(conn, question.question_id)
        facts = domain.Facts(
            status=question.status,
            received_at=question.received_at,
            changed_at=question.updated_at,
            supporters=tuple(supporters or ()),
            choose_together=question.choose_together,
            withdrawn_by_resident=question.withdrawn_by == "resident",
            appointment=domain.Appointment(appointment.planned_for, appointment.held_at) if appointment else None,
        )
        history = _without_repeats(
            [HistoryLine(r["status"], r["at"]) for r in await store.history(conn, question.question_id)]
        )
        if appointment is not None:
            when = domain.dutch_moment(appointment.planned_for)
            history.append(
                HistoryLine("consultation", appointment.planned_at, domain.APPOINTMENT_PLANNED_LABEL.format(when=when))
            )
            if appointment.held_at is not None:
                history.append(HistoryLine("consultation", appointment.held_at, domain.APPOINTMENT_HELD_LABEL))
            history.sort(key=lambda line: line.at)
        offered: tuple[tuple[PreferredChannel, bool], ...] = (
            ("email", question.has_email),
            ("sms", question.has_phone),
            ("none", True),
        )
        channels = [c for c, known in offered if known]
        return Page(
            question,
            domain.format_reference(question.reference),
            domain.status_text(facts),
            history,
            supporters,
            channels,
        )

    # --- the conversation of the joint consultation, from matching's events -----------------------

    async def on_appointment_planned(
        self, conn: Conn, event: CloudEvent, payload: ConsultationAppointmentPlanned
    ) -> None:
        """Keep the moment for the resident's page (the latest plan holds)."""
        if not await store.plan_appointment(
            conn, uuid.UUID(payload.question_id), payload.planned_for, payload.planned_at
        ):
            log.warning("appointment for an unknown question, skipped", extra={"event_id": event.id})

    async def on_appointment_held(self, conn: Conn, event: CloudEvent, payload: ConsultationAppointmentHeld) -> None:
        if not await store.appointment_held(conn, uuid.UUID(payload.question_id), payload.planned_for, payload.held_at):
            log.warning("appointment for an unknown question, skipped", extra={"event_id": event.id})

    async def withdraw(self, conn: Conn, token: str, reason_code: str) -> Withdrawal | None:
        """The resident withdraws their question: every service hears it (QuestionWithdrawn by ``resident``).

        Withdrawn already: nothing changes; closed: ``closed``; a wrong token: None.
        """
        question = await self.linked(conn, token)
        if question is None:
            return None
        found = await closed_loop_store.lock_question(conn, question.question_id)
        if found is None:
            return None
        current, referral = found
        if current == "withdrawn":
            return "already_withdrawn"
        if not intake_domain.status_change_applies(current, "withdrawn"):
            return "closed"
        reason = domain.withdrawal_reason(reason_code)
        await closed_loop.withdraw_locked(
            conn, self.intake.source, question.question_id, current, referral, "resident", reason, None
        )
        return "withdrawn"

    async def set_channel(self, conn: Conn, token: str, channel: PreferredChannel) -> bool | None:
        """How the resident wants to hear from us (for all their questions); False: no address for it."""
        question = await self.linked(conn, token)
        if question is None or question.resident_ref is None:
            return None
        if (channel == "email" and not question.has_email) or (channel == "sms" and not question.has_phone):
            return False
        await store.set_channel(conn, question.resident_ref, channel)
        return True

    async def request_links(self, conn: Conn, email: str, now: datetime | None = None) -> int:
        """A resident lost their link: every open question of that address gets a new one by e-mail
        (notifications sends it on StatusLinkRequested), and the old links stop working.

        Answers how many (the caller never shows it: the page reads the same for unknown addresses).
        At most once per address per :data:`~domain.LINK_REQUEST_MINUTES`.
        """
        ids = intake_domain.Identifiers.of(self.intake.index_key, email, None)
        if ids.email is None:
            return 0
        now = now or datetime.now(UTC)
        questions = await store.claim_link_request(
            conn, ids.email, now, timedelta(minutes=domain.LINK_REQUEST_MINUTES), domain.LINK_REQUEST_QUESTIONS
        )
        for q in questions:
            await store.revoke_links(conn, q.question_id, now)
            event = StatusLinkRequested(question_id=str(q.question_id), municipality=q.municipality, requested_at=now)
            await publish(conn, event, self.intake.source)
        return len(questions)
