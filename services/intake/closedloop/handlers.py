"""Use cases of the closed loop. Each runs inside the caller's transaction, so a status change and the
ReferralStatusChanged announcing it are committed together (the outbox) or not at all."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from contracts.codes import WithdrawnBy
from contracts.events import Reason
from contracts.labels import CLOSE_REASON_TEXTS
from services.intake import lifecycle
from services.intake.closedloop import domain, store
from services.intake.closedloop.domain import Referral
from services.intake.domain import QuestionStatus
from services.intake.mine import domain as mine
from services.kit.access import Principal
from services.kit.db import Conn
from services.kit.outbox import publish


async def announce(
    conn: Conn,
    source: str,
    referral: Referral,
    previous: QuestionStatus | None,
    status: QuestionStatus,
    reason: Reason,
    at: datetime,
) -> bool:
    """Publish ReferralStatusChanged for a referred question; True when there was a referrer to tell."""
    event = domain.status_changed(referral, previous, status, reason, at)
    if event is None:
        return False
    await publish(conn, event, source)
    return True


async def announce_change(
    conn: Conn,
    source: str,
    question_id: str,
    previous: QuestionStatus | None,
    status: QuestionStatus,
    reason: Reason,
    at: datetime,
) -> bool:
    """Like :func:`announce`, looking the referral up first (for changes caused by other services' events)."""
    referral = await store.referral(conn, question_id)
    if referral is None:
        return False
    return await announce(conn, source, referral, previous, status, reason, at)


class NotYours(Exception):
    """The question does not exist, or the caller may not act on it (answered alike: 404)."""


class AlreadyClosed(Exception):
    """The question is closed: it can no longer be withdrawn (409)."""


@dataclass(frozen=True)
class Withdrawn:
    question_id: str
    status: QuestionStatus
    changed: bool


def may_act_on(principal: Principal, referral: Referral) -> bool:
    """Staff may act on any question (of its municipality, when the key has one); a partner on its own referrals."""
    if not principal.may_see_municipality(referral.municipality):
        return False
    if principal.has("staff"):
        return True
    return principal.has("submit") and referral.referrer == principal.organisation


async def withdraw(
    conn: Conn, source: str, question_id: uuid.UUID, principal: Principal, note: str, reason_code: str | None = None
) -> Withdrawn:
    """Withdraw a question for its referrer or staff; withdrawing it again is a no-op.

    ``note`` is the caller's reason, sealed: it is stored with the history row and goes nowhere else.
    The referring partner withdraws as ``partner`` (reason ``by_referrer``), anyone else as ``staff``
    (``reason_code`` when given, else ``other``).
    """
    found = await store.lock_question(conn, question_id)
    if found is None or not may_act_on(principal, found[1]):
        raise NotYours(str(question_id))
    current, referral = found
    is_referrer = principal.has("submit") and referral.referrer == principal.organisation
    by, code = mine.withdrawn_by_api(is_referrer)
    reason = mine.withdrawal_reason(reason_code if reason_code and not is_referrer else code)
    return await withdraw_locked(conn, source, question_id, current, referral, by, reason, note)


async def withdraw_locked(
    conn: Conn,
    source: str,
    question_id: uuid.UUID,
    current: QuestionStatus,
    referral: Referral,
    by: WithdrawnBy,
    reason: Reason,
    note: str | None,
) -> Withdrawn:
    """Withdraw a question whose row the caller locked: the history row, the referrer's
    ReferralStatusChanged (code ``withdrawn``) and QuestionWithdrawn for every service, together.
    Withdrawn already: nothing changes; closed: :class:`AlreadyClosed`."""
    if current == "withdrawn":
        return Withdrawn(str(question_id), current, changed=False)
    if not domain.withdrawal_allowed(current):
        raise AlreadyClosed(str(question_id))
    loop_reason = domain.reason_for("withdrawn")
    at = datetime.now(UTC)
    await store.record_withdrawal(conn, question_id, loop_reason, note, at, by)
    await announce(conn, source, referral, current, "withdrawn", loop_reason, at)
    await lifecycle.announce_withdrawn(conn, source, str(question_id), referral.municipality, by, reason, current, at)
    return Withdrawn(str(question_id), "withdrawn", changed=True)


async def close(conn: Conn, source: str, question_id: uuid.UUID, principal: Principal) -> Withdrawn:
    """Staff close a question (e.g. the resident was helped another way); closing it again is a no-op.

    Open support ends in matching (QuestionClosed); a withdrawn question cannot be closed.
    """
    found = await store.lock_question(conn, question_id)
    if found is None or not principal.has("staff") or not principal.may_see_municipality(found[1].municipality):
        raise NotYours(str(question_id))
    current, referral = found
    if current == "closed":
        return Withdrawn(str(question_id), current, changed=False)
    if current == "withdrawn":
        raise AlreadyClosed(str(question_id))
    reason = Reason(code="closed_by_staff", text=CLOSE_REASON_TEXTS["closed_by_staff"])
    at = datetime.now(UTC)
    await store.record_close(conn, question_id, reason, at)
    await announce(conn, source, referral, current, "closed", reason, at)
    await lifecycle.announce_closed(conn, source, str(question_id), referral.municipality, reason, at)
    return Withdrawn(str(question_id), "closed", changed=True)
