"""Use cases of participation and the assignment events intake follows for it.

Each runs inside the caller's transaction: an experience, its link to the question and the
ExperienceShared announcing it are committed together (the outbox) or not at all.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import asyncpg

from contracts.envelope import CloudEvent
from contracts.events import AssignmentAccepted, AssignmentDeclined, SupportEnded, SupporterAssigned
from services.intake.experiences import domain, reading, screening, store
from services.intake.experiences.domain import ExperienceAnswers, Refusal
from services.intake.handlers import Intake
from services.intake.panel import store as panel
from services.intake.panel.domain import CONSENT_VERSION
from services.kit.db import Conn
from services.kit.outbox import publish

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Issued:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class Shared:
    experience_id: str
    #: What screening masked in the text (names, phone numbers, e-mail addresses): the resident is told.
    masked: tuple[screening.Masked, ...] = ()


class LinkNotUsable(Exception):
    """The link is unknown (never issued, replaced, or its resident erased), used or expired."""

    def __init__(self, state: domain.LinkState | None) -> None:
        super().__init__(state or "unknown")
        self.state = state


class Participation:
    """Experiences: who supported a question, the resident's personal link, and what they shared."""

    def __init__(self, intake: Intake, intake_url: str) -> None:
        self.intake = intake
        self.intake_url = intake_url

    # --- support, from matching's events -------------------------------------------------------------

    async def on_supporter_assigned(self, conn: Conn, event: CloudEvent, payload: SupporterAssigned) -> None:
        """The status change as before, and who supports (organisation and kind) for the experience."""
        await self.intake.on_supporter_assigned(conn, event, payload)
        await store.remember_assignment(
            conn,
            payload.question_id,
            payload.assignment_id,
            payload.organisation,
            payload.supporter_kind,
            payload.assigned_at,
        )

    async def on_assignment_accepted(self, conn: Conn, event: CloudEvent, payload: AssignmentAccepted) -> None:
        await store.remember_step(
            conn, payload.question_id, payload.assignment_id, payload.organisation, "accepted_at", payload.accepted_at
        )
        await self.intake.follow(conn, event, payload.question_id, "accepted", "", payload.accepted_at)

    async def on_assignment_declined(self, conn: Conn, event: CloudEvent, payload: AssignmentDeclined) -> None:
        """A declined assignment stops counting as support; matching announces whoever comes next."""
        await store.remember_step(
            conn, payload.question_id, payload.assignment_id, payload.organisation, "declined_at", payload.declined_at
        )

    async def on_support_ended(self, conn: Conn, event: CloudEvent, payload: SupportEnded) -> None:
        """Record the end; the question closes when the last active support of it has ended (a duo: both)."""
        await store.remember_step(
            conn, payload.question_id, payload.assignment_id, payload.organisation, "ended_at", payload.ended_at
        )
        qid = store.parse_uuid(payload.question_id)
        if qid is None or not domain.last_support_ended(await store.supports_of(conn, qid)):
            return
        reason = payload.reason
        await self.intake.follow(
            conn,
            event,
            payload.question_id,
            "closed",
            reason.text if reason else "",
            payload.ended_at,
            code=reason.code if reason else None,
        )

    # --- the invitation ------------------------------------------------------------------------------

    async def invite(self, conn: Conn, question_id: uuid.UUID, now: datetime | None = None) -> Issued | Refusal | None:
        """A new personal link to the experience form (earlier ones stop working); None: unknown question."""
        question = await store.lock_question(conn, question_id)
        if question is None:
            return None
        supports = await store.supports_of(conn, question_id)
        refusal = domain.invitation_refusal(
            erased=question.erased, already_shared=question.already_shared, supports=supports
        )
        if refusal:
            return refusal
        now = now or datetime.now(UTC)
        token = domain.new_token()
        expires_at = domain.expiry(now)
        await store.replace_invitation(conn, question_id, domain.token_digest(token), now, expires_at)
        return Issued(domain.invitation_url(self.intake_url, token), expires_at)

    # --- sharing -------------------------------------------------------------------------------------

    async def share(
        self,
        conn: Conn,
        token: str,
        answers: ExperienceAnswers,
        now: datetime | None = None,
        *,
        join_panel: bool = False,
    ) -> Shared:
        """Store the experience (text sealed), spend the link and announce ExperienceShared without the text.

        ``join_panel``: the resident also ticked "Ik wil meedenken" (explicit consent): they join the panel
        on their question's themes, like on their own page (:mod:`services.intake.panel`).
        """
        now = now or datetime.now(UTC)
        question_id = await self.usable_link(conn, token, now, lock=True)
        question = await store.lock_question(conn, question_id)
        if question is None or question.erased or question.already_shared:
            raise LinkNotUsable("used" if question and question.already_shared else None)
        support = domain.support_of_experience(await store.supports_of(conn, question_id))
        experience_id = uuid.uuid4()
        screened = screening.screen(answers.text) if answers.text else None
        sealed = (
            self.intake.vault.seal_text("experiences", "text", str(experience_id), screened.text) if screened else None
        )
        await store.insert_experience(conn, experience_id, question_id, question.facts, support, answers, sealed, now)
        if join_panel:
            await panel.join(
                conn,
                question_id,
                question.facts.municipality,
                list(question.facts.life_domains),
                CONSENT_VERSION,
                now,
            )
        event = domain.shared_event(experience_id, question.facts, support, answers, now)
        await publish(conn, event, self.intake.source)
        return Shared(str(experience_id), screened.masked if screened else ())

    # --- reading (councils) --------------------------------------------------------------------------

    async def readable(
        self, conn: Conn | asyncpg.Pool, municipality: str | None, period: str, threshold: int
    ) -> reading.Reading:
        """The texts of one period a council of ``municipality`` (None: the region) may read, grouped."""
        start, end = reading.period_bounds(period)
        rows = await store.sealed_texts(conn, municipality, _midnight(start), _midnight(end))
        vault = self.intake.vault
        texts = [
            reading.OpenedText(
                r["experience_id"],
                tuple(r["life_domains"]),
                r["shared_at"],
                vault.open_text("experiences", "text", r["experience_id"], r["text"]),
            )
            for r in rows
        ]
        return reading.readable_groups(texts, threshold)

    async def usable_link(self, conn: Conn, token: str, now: datetime, *, lock: bool = False) -> uuid.UUID:
        """The question behind an open link, else LinkNotUsable saying why."""
        if not domain.looks_like_token(token):
            raise LinkNotUsable(None)
        found = await store.find_invitation(conn, domain.token_digest(token), lock=lock)
        if found is None:
            raise LinkNotUsable(None)
        question_id, invitation = found
        state = domain.link_state(invitation, now)
        if state != "open":
            raise LinkNotUsable(state)
        return question_id


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)
