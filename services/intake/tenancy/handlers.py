"""Submitting a question with an API key: channel and referrer from the key, and Idempotency-Key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts.events import QuestionSubmission
from services.intake.handlers import Intake
from services.intake.tenancy import domain, store
from services.kit.access import Principal
from services.kit.db import Conn

ACCEPTED = 202


class KeyReused(Exception):
    """The Idempotency-Key was used before by this organisation, with another body (422)."""


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, Any]
    #: True when this is the stored first answer to an earlier request with the same key.
    replayed: bool


async def submit(
    conn: Conn,
    intake: Intake,
    principal: Principal,
    submission: QuestionSubmission,
    idempotency_key: str | None,
    respond: Callable[[str], dict[str, Any]],
) -> Answer:
    """Store ``submission`` as the key's organisation may (domain.entry_for), at most once per key.

    Runs in the caller's transaction. Requests sharing an Idempotency-Key are serialised by an
    advisory lock, so of two at once only one creates the question; the other replays its answer.
    ``respond`` builds the answer body from the new question's id.
    """
    entry = domain.entry_for(principal, submission.channel, submission.municipality)
    digest = domain.request_digest(intake.index_key, submission) if idempotency_key else ""
    if idempotency_key:
        await store.lock_key(conn, principal.organisation, idempotency_key)
        earlier = await store.remembered(conn, principal.organisation, idempotency_key)
        if earlier is not None:
            if earlier.request_digest != digest:
                raise KeyReused(idempotency_key)
            return Answer(earlier.status_code, earlier.response, replayed=True)
    accepted = await intake.submit_question(conn, submission, channel=entry.channel, referrer=entry.referrer)
    body = respond(accepted.question_id)
    if idempotency_key:
        await store.remember(
            conn, principal.organisation, idempotency_key, digest, accepted.question_id, ACCEPTED, body
        )
    return Answer(ACCEPTED, body, replayed=False)
