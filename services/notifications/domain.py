"""Pure rules of notifications: who is told what, and the stable identities of each delivery.

No I/O here. A *delivery* is one message to one recipient over one channel, caused by one event;
its key ``(event id, recipient role, channel)`` makes every side effect idempotent: the same event,
however often it is redelivered, maps to the same deliveries, the same e-mail ``Message-ID`` and the
same ``notification_id``.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import quote

from contracts.codes import LIFE_DOMAINS, MUNICIPALITIES
from contracts.events import NotificationChannel, RecipientRole, SupporterAssigned

#: Namespace of the UUIDv5 notification ids (a fixed random UUID; never change it).
NOTIFICATION_NAMESPACE: Final = uuid.UUID("6f1d3c2e-8a4b-5c7d-9e0f-1a2b3c4d5e6f")
MESSAGE_ID_DOMAIN: Final = "samenloket.local"

#: Working days within which a supporter contacts the resident (promised in the resident's mail).
CONTACT_WITHIN_WORKING_DAYS: Final = 3

DeliveryStatus = Literal["sending", "sent", "failed"]
DELIVERY_STATUSES: Final = ("sending", "sent", "failed")

SUPPORTER_KIND_WORDS: Final[dict[str, str]] = {
    "professional": "beroepskracht",
    "volunteer": "vrijwilliger",
    "experience_expert": "ervaringsdeskundige",
}


class TransientDeliveryError(Exception):
    """Sending may succeed later (SMTP 4xx, connection trouble, a busy peer): retry."""


class PermanentDeliveryError(Exception):
    """Sending this message can never succeed (SMTP 5xx for this message): give up and report it."""


# --- identities -----------------------------------------------------------------------------------


def delivery_key(event_id: str, role: RecipientRole, channel: NotificationChannel) -> str:
    """The idempotency key of one delivery."""
    return f"{event_id}/{role}/{channel}"


def message_id(key: str) -> str:
    """A stable RFC 5322 ``Message-ID`` for a delivery: a re-send after a crash carries the same one."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{MESSAGE_ID_DOMAIN}>"


def notification_id(key: str) -> str:
    """The ``notification_id`` of the events about a delivery (UUIDv5 of its key)."""
    return str(uuid.uuid5(NOTIFICATION_NAMESPACE, key))


_ADDRESS = re.compile(r"[^\s<>(),;:\"']+@[^\s<>(),;:\"']+")


def redact(text: str, limit: int = 500) -> str:
    """Remove e-mail addresses from an error text (SMTP servers echo them) and shorten it.

    Error texts go into the delivery log and into NotificationFailed, which must hold no contact details.
    """
    return _ADDRESS.sub("<adres>", text)[:limit]


# --- contact details (held in memory only, for as long as a delivery needs them) -------------------


@dataclass(frozen=True)
class SupporterContact:
    supporter_id: str
    name: str
    email: str | None
    organisation: str


@dataclass(frozen=True)
class ResidentContact:
    question_id: str
    resident_ref: str
    name: str
    email: str | None
    phone: str | None
    share_with_supporter: bool


@dataclass(frozen=True)
class QuestionFacts:
    """What notifications learnt from QuestionReceived (no personal data)."""

    question_id: str
    municipality: str
    life_domains: tuple[str, ...]


@dataclass(frozen=True)
class PlannedDelivery:
    """One message to send: recipient, channel, template and the template's context."""

    role: RecipientRole
    channel: NotificationChannel
    template: str
    address: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outgoing:
    """A rendered message ready for a channel; ``key`` lets the channel make sending idempotent."""

    key: str
    address: str
    subject: str
    text: str
    html: str


# --- who is told what -----------------------------------------------------------------------------


def life_domain_words(codes: list[str] | tuple[str, ...]) -> list[str]:
    """Life domain codes as the Dutch words people read; unknown codes are shown as they are."""
    return [LIFE_DOMAINS.get(code, code) for code in codes]


def municipality_name(code: str) -> str:
    return MUNICIPALITIES.get(code, code)


def question_url(intake_url: str, question_id: str) -> str:
    return f"{intake_url.rstrip('/')}/api/v1/questions/{quote(question_id, safe='')}"


def resident_may_be_mailed(resident: ResidentContact | None) -> bool:
    """The resident hears who their supporter is only if they gave an address and agreed to be contacted."""
    return resident is not None and bool(resident.email) and resident.share_with_supporter


def supporter_new_case_context(
    assignment: SupporterAssigned, supporter: SupporterContact, facts: QuestionFacts | None, intake_url: str
) -> dict[str, Any]:
    return {
        "supporter_name": supporter.name,
        "question_id": assignment.question_id,
        "municipality_name": municipality_name(assignment.municipality),
        "life_domains": life_domain_words(facts.life_domains) if facts else [],
        "question_url": question_url(intake_url, assignment.question_id),
        "contact_days": CONTACT_WITHIN_WORKING_DAYS,
    }


def resident_assigned_context(
    assignment: SupporterAssigned, supporter: SupporterContact, resident: ResidentContact
) -> dict[str, Any]:
    return {
        "resident_name": resident.name,
        "supporter_name": supporter.name,
        "organisation": supporter.organisation,
        "supporter_kind": SUPPORTER_KIND_WORDS.get(assignment.supporter_kind, ""),
        "question_id": assignment.question_id,
        "municipality_name": municipality_name(assignment.municipality),
        "contact_days": CONTACT_WITHIN_WORKING_DAYS,
    }


def plan_supporter_assigned(
    assignment: SupporterAssigned,
    supporter: SupporterContact,
    resident: ResidentContact | None,
    facts: QuestionFacts | None,
    intake_url: str,
) -> list[PlannedDelivery]:
    """The supporter always hears of the new case; the resident when they gave an address and consent."""
    planned = []
    if supporter.email:
        context = supporter_new_case_context(assignment, supporter, facts, intake_url)
        planned.append(PlannedDelivery("supporter", "email", "supporter_new_case", supporter.email, context))
    if resident is not None and resident.email and resident_may_be_mailed(resident):
        context = resident_assigned_context(assignment, supporter, resident)
        planned.append(PlannedDelivery("resident", "email", "resident_assigned", resident.email, context))
    return planned
