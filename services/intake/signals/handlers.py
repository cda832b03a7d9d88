"""The signal lifecycle's commands. Each runs inside the caller's transaction, and writes its event to
the outbox in that same transaction: a step is never stored without being announced, nor announced
without being stored. Events carry no text: signal and answer texts stay in intake, sealed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from contracts.codes import LifeDomain
from contracts.events import (
    SignalAcknowledged,
    SignalAnswered,
    SignalLevel,
    SignalRaised,
    SignalSource,
    SignalTheme,
)
from services.intake.domain import SignalSubmission
from services.intake.signals import domain, store
from services.intake.signals.domain import SignalStatus
from services.intake.vault import Vault
from services.kit.db import Conn
from services.kit.outbox import publish

TABLE = "signals"


@dataclass(frozen=True)
class Answer:
    text: str
    answered_at: datetime


@dataclass(frozen=True)
class OpenSignal:
    """A signal with its texts opened: for the desk, the council and the raiser only."""

    signal_id: str
    theme: SignalTheme
    life_domain: LifeDomain | None
    municipality: str
    level: SignalLevel
    raised_by: SignalSource
    raised_at: datetime
    text: str
    status: SignalStatus
    acknowledged_at: datetime | None
    answer: Answer | None
    raised_by_organisation: str | None


class Signals:
    """The signal use cases, bound to intake's vault and CloudEvents source."""

    def __init__(self, vault: Vault, source: str) -> None:
        self.vault = vault
        self.source = source

    async def raise_signal(
        self,
        conn: Conn,
        body: SignalSubmission,
        raised_by: SignalSource,
        *,
        organisation: str | None = None,
        token_digest: str | None = None,
    ) -> str:
        """Store a signal with its sealed text; announce it without the text."""
        signal_id = str(uuid.uuid4())
        signal = store.NewSignal(
            signal_id=signal_id,
            theme=body.theme,
            life_domain=body.life_domain,
            municipality=body.municipality,
            level=body.level,
            raised_by=raised_by,
            text=self.vault.seal_text(TABLE, "text", signal_id, body.text),
            raised_at=datetime.now(UTC),
            raised_by_organisation=organisation,
            status_token_sha256=token_digest,
        )
        await store.insert_signal(conn, signal)
        await publish(conn, raised_event(body, signal, raised_by), self.source)
        return signal_id

    async def acknowledge(self, conn: Conn, signal_id: uuid.UUID, municipality: str, by: str) -> None:
        """Mark a locked, freshly raised signal as read (the caller checked who may and that it changes)."""
        at = datetime.now(UTC)
        await store.acknowledge(conn, signal_id, by, at)
        event = SignalAcknowledged(
            signal_id=str(signal_id), municipality=municipality, by_organisation=by, acknowledged_at=at
        )
        await publish(conn, event, self.source)

    async def answer(
        self, conn: Conn, signal_id: uuid.UUID, municipality: str, status: SignalStatus, text: str, by: str
    ) -> None:
        """Store the sealed answer of a locked signal, acknowledging it first when needed.

        Raises domain.AlreadyAnswered when it has its answer.
        """
        if domain.answer_acknowledges(status):
            await self.acknowledge(conn, signal_id, municipality, by)
        at = datetime.now(UTC)
        sealed = self.vault.seal_text(TABLE, "answer", str(signal_id), text)
        await store.answer(conn, signal_id, sealed, by, at)
        event = SignalAnswered(signal_id=str(signal_id), municipality=municipality, by_organisation=by, answered_at=at)
        await publish(conn, event, self.source)

    def opened(self, row: asyncpg.Record) -> OpenSignal:
        """A stored signal with its text and answer opened."""
        signal_id = row["signal_id"]
        answer = (
            Answer(self.vault.open_text(TABLE, "answer", signal_id, row["answer"]), row["answered_at"])
            if row["answer"] is not None
            else None
        )
        return OpenSignal(
            signal_id=signal_id,
            theme=row["theme"],
            life_domain=row["life_domain"],
            municipality=row["municipality"],
            level=row["level"],
            raised_by=row["raised_by"],
            raised_at=row["raised_at"],
            text=self.vault.open_text(TABLE, "text", signal_id, row["text"]),
            status=row["status"],
            acknowledged_at=row["acknowledged_at"],
            answer=answer,
            raised_by_organisation=row["raised_by_organisation"],
        )


def raised_event(body: SignalSubmission, signal: store.NewSignal, raised_by: SignalSource) -> SignalRaised:
    return SignalRaised(
        signal_id=signal.signal_id,
        theme=body.theme,
        life_domain=body.life_domain,
        municipality=body.municipality,
        level=body.level,
        raised_by=raised_by,
        raised_at=signal.raised_at,
    )
