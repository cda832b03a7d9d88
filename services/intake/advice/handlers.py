"""The advice register's commands: each stores its change and writes the event announcing it to the
outbox in the caller's transaction (topic ``samenloket.experiences``, keyed by advice id)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import asyncpg

from contracts.events import AdviceAnswered, AdviceGiven
from services.intake.advice import domain, store
from services.intake.advice.domain import AdviceBody, AdviceRefused, AnswerBody
from services.intake.signals import domain as signals
from services.kit.access import Principal
from services.kit.db import Conn
from services.kit.outbox import publish


async def check_signals(conn: Conn, principal: Principal, signal_ids: list[uuid.UUID]) -> None:
    """Every linked signal must be one the council may see; others are named as unknown (422)."""
    if not signal_ids:
        return
    reach = signals.reach_of(principal)
    seen = {
        r["signal_id"]
        for r in await store.signal_rows(conn, signal_ids)
        if reach.covers(r["municipality"], r["level"], r["raised_by_organisation"])
    }
    unknown = [str(s) for s in signal_ids if s not in seen]
    if unknown:
        raise AdviceRefused(domain.UNKNOWN_SIGNALS.format(ids=", ".join(unknown)), "signal_ids")


async def give(conn: Conn, source: str, principal: Principal, body: AdviceBody, weeks: int) -> uuid.UUID:
    await check_signals(conn, principal, body.signal_ids)
    advice = store.NewAdvice(
        advice_id=uuid.uuid4(),
        council=principal.organisation,
        municipality=principal.municipality,
        subject=body.subject,
        text=body.text,
        given_on=body.given_on,
        response_due=domain.response_due(body.given_on, weeks),
        addressee=body.addressee,
        addressee_organisation=body.addressee_organisation,
        signal_ids=list(body.signal_ids),
        themes=list(body.themes),
        life_domains=list(body.life_domains),
        recorded_at=datetime.now(UTC),
    )
    await store.insert(conn, advice)
    event = AdviceGiven(
        advice_id=str(advice.advice_id),
        council=advice.council,
        municipality=advice.municipality,
        recipient=body.addressee,
        recipient_organisation=advice.addressee_organisation,
        given_on=advice.given_on,
        response_due=advice.response_due,
        themes=list(body.themes),
        life_domains=list(body.life_domains),
        signal_count=len(advice.signal_ids),
        recorded_at=advice.recorded_at,
    )
    await publish(conn, event, source)
    return advice.advice_id


async def answer(conn: Conn, source: str, row: asyncpg.Record, body: AnswerBody, by: str, today: date) -> None:
    """Record (or correct) the decision and response of a locked advice, and announce it."""
    domain.check_answer(body, row["given_on"], today)
    advice_id = uuid.UUID(row["advice_id"])
    at = datetime.now(UTC)
    await store.answer(conn, advice_id, body.decision, body.decided_on, body.response, body.responded_on, by, at)
    event = AdviceAnswered(
        advice_id=row["advice_id"],
        council=row["council"],
        municipality=row["municipality"],
        decision=body.decision,
        decided_on=body.decided_on,
        responded_on=body.responded_on,
        answered_at=at,
    )
    await publish(conn, event, source)
