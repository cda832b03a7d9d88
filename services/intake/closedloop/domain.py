"""Pure rules of the closed loop: status reasons, the event referrers get, webhook URLs. No I/O here."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Final, Literal
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from contracts.events import Reason, ReferralStatusChanged, refuse_bsn
from contracts.text import CleanText
from services.intake import domain
from services.intake.domain import QuestionStatus
from services.kit import netguard

#: The reason recorded with a status when the event causing it brings none of its own.
#: Codes are stable (machines and partners rely on them); texts are Dutch at B1 level.
DEFAULT_REASONS: Final[dict[QuestionStatus, Reason]] = {
    "received": Reason(code="received", text=domain.REASON_RECEIVED),
    "waiting": Reason(code="no_capacity", text=domain.REASON_WAITING),
    "consultation": Reason(code="no_eligible_supporter", text=domain.REASON_CONSULTATION),
    "assigned": Reason(code="assigned", text=domain.REASON_ASSIGNED),
    "accepted": Reason(code="accepted", text="De cliëntondersteuner heeft uw vraag aangenomen."),
    "closed": Reason(code="closed", text="De ondersteuning is afgerond. Uw vraag is gesloten."),
    "withdrawn": Reason(code="withdrawn", text="De vraag is ingetrokken."),
}

#: Longest webhook URL accepted.
MAX_URL_LENGTH: Final = netguard.MAX_URL_LENGTH
#: Hosts to which a webhook may be sent over plain http (local development and tests only).
LOCAL_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})
SECRET_PREFIX: Final = "whsec_"  # noqa: S105 - a prefix, not a secret


def reason_for(status: QuestionStatus, code: str | None = None, text: str | None = None) -> Reason:
    """The reason of a status change: the given code and text, else the status's default ones."""
    default = DEFAULT_REASONS[status]
    return Reason(code=code or default.code, text=(text or "").strip() or default.text)


@dataclass(frozen=True)
class Referral:
    """What the closed loop needs of a question: who referred it, under which reference, where."""

    question_id: str
    referrer: str | None
    partner_reference: str | None
    municipality: str


def status_changed(
    referral: Referral, previous: QuestionStatus | None, status: QuestionStatus, reason: Reason, at: datetime
) -> ReferralStatusChanged | None:
    """The event telling the referrer of a status change; None for a question nobody referred.

    It carries codes, ids and the reason only: never personal data or a free text someone typed.
    """
    if not referral.referrer:
        return None
    return ReferralStatusChanged(
        question_id=referral.question_id,
        referrer=referral.referrer,
        partner_reference=referral.partner_reference,
        municipality=referral.municipality,
        status=status,
        previous_status=previous,
        reason=reason,
        changed_at=at,
    )


# --- withdrawal -----------------------------------------------------------------------------------


class Withdrawal(CleanText):
    """``POST /api/v1/questions/{id}/withdraw``: why the referrer or staff withdraws the question.

    The text stays in intake (it is never put on a topic nor shown in the public status view).
    """

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    reason_code: Literal["no_longer_needed", "helped_elsewhere", "other"] | None = Field(
        default=None,
        description="staff only: the standard reason every service hears (QuestionWithdrawn); default other."
        " A referring partner's withdrawal is always by_referrer",
    )

    _reason = field_validator("reason")(refuse_bsn)


def withdrawal_allowed(current: QuestionStatus) -> bool:
    """A question can be withdrawn until it is closed; withdrawing it again changes nothing."""
    return current not in domain.TERMINAL


# --- webhooks -------------------------------------------------------------------------------------


def _is_local(host: str) -> bool:
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook_url(url: str) -> str:
    """The shape of a webhook URL (no I/O): ``https://``, and ``http://`` only to the local machine.

    A URL with a user name or password, a fragment, spaces or control characters (a NUL among them),
    or longer than :data:`MAX_URL_LENGTH` is refused: secrets belong in the signing secret, and a
    fragment is never sent. Where the URL points is checked by the route
    (:func:`services.kit.netguard.check_destination`): a public address unless development allows more.
    """
    url = url.strip()
    try:
        netguard.check_url(url, allow_private=True)
    except netguard.Refused as exc:
        raise ValueError(str(exc)) from None
    parts = urlsplit(url)
    if parts.scheme == "http" and not _is_local((parts.hostname or "").lower()):
        raise ValueError("only https:// is allowed (http:// only for localhost and 127.0.0.1)")
    return url


class WebhookRegistration(CleanText):
    """``PUT /api/v1/webhooks``: where notifications posts the organisation's status events."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=MAX_URL_LENGTH)

    _url = field_validator("url")(check_webhook_url)


def new_secret() -> str:
    """A fresh signing secret (256 random bits), shown to the partner once."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)
