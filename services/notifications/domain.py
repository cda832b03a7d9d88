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
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Final, Literal
from urllib.parse import quote

from contracts.events import (
    CandidateVerdict,
    ConsultationRequired,
    NotificationChannel,
    PreferredChannel,
    QuestionWaiting,
    RecipientRole,
    SupportEnded,
    SupporterAssigned,
)
from contracts.labels import (
    LANGUAGE_LABELS,
    LIFE_DOMAIN_LABELS,
    MEETING_PREFERENCE_LABELS,
    NEED_LABELS,
    SUPPORTER_KIND_WORDS,
)
from contracts.references import reference_of
from services.kit.dutch import DUTCH_TIME, dutch_date
from services.kit.region import current_region
from services.kit.workdays import CONSULTATION_WITHIN_WORKING_DAYS, CONTACT_WITHIN_WORKING_DAYS

#: Namespace of the UUIDv5 notification ids (a fixed random UUID; never change it).
NOTIFICATION_NAMESPACE: Final = uuid.UUID("6f1d3c2e-8a4b-5c7d-9e0f-1a2b3c4d5e6f")
MESSAGE_ID_DOMAIN: Final = "samenloket.local"

#: Working days within which a supporter contacts the resident (promised in the resident's mail).
#: Working days within which the resident hears the outcome of a joint consultation.
CONSULTATION_ANSWER_WORKING_DAYS: Final = CONSULTATION_WITHIN_WORKING_DAYS

LOCAL_TZ: Final = DUTCH_TIME
#: When the daily digest of signals goes out (local time).
DIGEST_AT: Final = time(8, 0)

DeliveryStatus = Literal["sending", "sent", "failed", "skipped", "queued"]
DELIVERY_STATUSES: Final = ("sending", "sent", "failed", "skipped", "queued")


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
    #: The organisation's id (its display name, when matching gave one, is ``organisation_name``).
    organisation: str
    organisation_name: str = ""

    @property
    def organisation_label(self) -> str:
        """The organisation as people read it: matching's display name, else the region file's."""
        return self.organisation_name or current_region().organisation_name(self.organisation)


@dataclass(frozen=True)
class ResidentContact:
    question_id: str
    resident_ref: str
    name: str
    email: str | None
    phone: str | None
    share_with_supporter: bool
    #: The resident's own choice from intake: "email", "sms", "none"; None = we choose.
    chosen_channel: PreferredChannel | None = None
    #: Where the question stands in intake: nothing more goes to a resident whose question was withdrawn.
    status: str | None = None
    #: The short reference the resident reads out on the phone (``K7QM-3XPA``).
    reference: str | None = None


@dataclass(frozen=True)
class QuestionFacts:
    """What notifications learnt from QuestionReceived (codes only, no personal data): what the
    supporter's mail says about the question."""

    question_id: str
    municipality: str
    life_domains: tuple[str, ...]
    languages: tuple[str, ...] = ()
    meeting_preference: str | None = None
    needs: tuple[str, ...] = ()
    #: The short reference the resident reads out (``QuestionReceived.reference``), when it travelled.
    reference: str | None = None


@dataclass(frozen=True)
class Loket:
    """The loket people can reach with a question about a message (settings ``loket_*``; empty: not shown).

    Every message names it: it is added to each template's context as ``loket`` when the message is
    rendered (:func:`with_loket`), so no context builder has to pass it along.
    """

    name: str = "Samenloket"
    phone: str = ""
    email: str = ""


def with_loket(context: dict[str, Any], loket: Loket) -> dict[str, Any]:
    """``context`` with the loket's name, phone and e-mail as ``loket`` (what the templates show)."""
    return {**context, "loket": {"name": loket.name, "phone": loket.phone, "email": loket.email}}


@dataclass(frozen=True)
class PlannedDelivery:
    """One message to send: recipient, channel, template and the template's context."""

    role: RecipientRole
    channel: NotificationChannel
    template: str
    address: str
    context: dict[str, Any] = field(default_factory=dict)
    #: Set for messages to a resident: their opt-out is checked, and the mail gets an opt-out link.
    resident_ref: str | None = None


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
    return [LIFE_DOMAIN_LABELS.get(code, code) for code in codes]


def municipality_name(code: str) -> str:
    return current_region().municipality_name(code)


def case_url(matching_url: str, question_id: str) -> str:
    """The supporter's page of one case in matching (it asks them to sign in first when needed)."""
    return f"{matching_url.rstrip('/')}/mijn-vragen/{quote(question_id, safe='')}"


def consultation_url(matching_url: str, question_id: str) -> str:
    """The coordinators' consultation page, at the question's own block."""
    return f"{matching_url.rstrip('/')}/overleg#vraag-{quote(question_id, safe='')}"


def language_words(codes: list[str] | tuple[str, ...]) -> list[str]:
    return [LANGUAGE_LABELS.get(code, code) for code in codes]


def need_words(codes: list[str] | tuple[str, ...]) -> list[str]:
    return [NEED_LABELS.get(code, code) for code in codes]


def meeting_words(code: str | None) -> str:
    """The resident's meeting preference as a supporter reads it; empty when not asked."""
    return MEETING_PREFERENCE_LABELS.get(code, code) if code else ""


def resident_may_be_mailed(resident: ResidentContact | None, sms: bool = False) -> bool:
    """The resident hears from us only if they agreed to be contacted and gave an address (or, when
    ``sms`` is on, a phone number), and never again once they (or anyone) withdrew the question."""
    if resident is None or not resident.share_with_supporter or resident.status == "withdrawn":
        return False
    channel = preferred_channel(resident)
    return channel == "email" or (channel == "sms" and sms)


def resident_delivery(resident: ResidentContact, template: str, context: dict[str, Any]) -> PlannedDelivery:
    """A message to the resident on their channel (see :func:`preferred_channel`), naming the question
    by its short reference (the id when intake gave none)."""
    context = {**context, "reference": resident.reference or context.get("question_id", "")}
    if preferred_channel(resident) == "email":
        assert resident.email
        return PlannedDelivery("resident", "email", template, resident.email, context, resident.resident_ref)
    assert resident.phone
    return PlannedDelivery("resident", "sms", template, resident.phone, context, resident.resident_ref)


def supporter_new_case_context(
    assignment: SupporterAssigned,
    supporter: SupporterContact,
    facts: QuestionFacts | None,
    matching_url: str,
    partner: SupporterContact | None = None,
) -> dict[str, Any]:
    """What the supporter needs to act: what the question is about (codes as words, never the resident's
    name or contact: those are on the case page, behind sign-in) and the link to that page."""
    return {
        "supporter_name": supporter.name,
        "question_id": assignment.question_id,
        "question_ref": reference_of(
            assignment.question_id, (facts.reference if facts else None) or assignment.reference
        ),
        "municipality_name": municipality_name(assignment.municipality),
        "life_domains": life_domain_words(facts.life_domains) if facts else [],
        "languages": language_words(facts.languages) if facts else [],
        "meeting_preference": meeting_words(facts.meeting_preference) if facts else "",
        "needs": need_words(facts.needs) if facts else [],
        "case_url": case_url(matching_url, assignment.question_id),
        "contact_days": CONTACT_WITHIN_WORKING_DAYS,
        "duo": assignment.partner_supporter_id is not None,
        "partner_name": partner.name if partner else "",
        "partner_organisation": partner.organisation_label if partner else "",
    }


def resident_assigned_context(
    assignment: SupporterAssigned,
    supporter: SupporterContact,
    resident: ResidentContact,
    partner: SupporterContact | None = None,
) -> dict[str, Any]:
    """``duo`` when the assignment names a partner supporter; ``partner_name`` is empty if matching knows none."""
    return {
        "resident_name": resident.name,
        "supporter_name": supporter.name,
        "organisation": supporter.organisation_label,
        "supporter_kind": SUPPORTER_KIND_WORDS.get(assignment.supporter_kind, ""),
        "question_id": assignment.question_id,
        "municipality_name": municipality_name(assignment.municipality),
        "contact_days": CONTACT_WITHIN_WORKING_DAYS,
        "duo": assignment.partner_supporter_id is not None,
        "partner_name": partner.name if partner else "",
        "partner_organisation": partner.organisation_label if partner else "",
    }


def plan_supporter_assigned(
    assignment: SupporterAssigned,
    supporter: SupporterContact,
    resident: ResidentContact | None,
    facts: QuestionFacts | None,
    matching_url: str,
    partner: SupporterContact | None = None,
    sms: bool = False,
) -> list[PlannedDelivery]:
    """The supporter always hears of the new case; the resident when they gave an address and consent.

    ``matching_url`` is the public base URL of matching's pages: the supporter's mail links to the case there.
    """
    planned = []
    if supporter.email:
        context = supporter_new_case_context(assignment, supporter, facts, matching_url, partner)
        planned.append(PlannedDelivery("supporter", "email", "supporter_new_case", supporter.email, context))
    if resident is not None and resident_may_be_mailed(resident, sms):
        context = resident_assigned_context(assignment, supporter, resident, partner)
        planned.append(resident_delivery(resident, "resident_assigned", context))
    return planned


def resident_waiting_context(waiting: QuestionWaiting, resident: ResidentContact) -> dict[str, Any]:
    return {
        "resident_name": resident.name,
        "question_id": waiting.question_id,
        "municipality_name": municipality_name(waiting.municipality),
    }


def plan_question_waiting(
    waiting: QuestionWaiting, resident: ResidentContact | None, sms: bool = False
) -> list[PlannedDelivery]:
    """The resident hears they are on the waiting list (when they gave an address and consent)."""
    if resident is None or not resident_may_be_mailed(resident, sms):
        return []
    return [resident_delivery(resident, "resident_waiting", resident_waiting_context(waiting, resident))]


def resident_consultation_context(consultation: ConsultationRequired, resident: ResidentContact) -> dict[str, Any]:
    return {
        "resident_name": resident.name,
        "question_id": consultation.question_id,
        "municipality_name": municipality_name(consultation.municipality),
        "answer_days": CONSULTATION_ANSWER_WORKING_DAYS,
        # The resident asked to meet first and choose together: an appointment, not "nothing to do".
        "choose_together": consultation.reason.code == "choose_together",
    }


def coordinator_consultation_context(
    consultation: ConsultationRequired,
    matching_url: str,
    names: Mapping[str, SupporterContact] | None = None,
    reference: str | None = None,
) -> dict[str, Any]:
    """What coordinators need to prepare the consultation: the reason, which rules ruled out whom (supporters
    and organisations by name, from ``names`` by supporter id; the id only when matching knows none), and the
    link to the consultation page."""
    names = names or {}

    def candidate(c: CandidateVerdict) -> dict[str, Any]:
        known = names.get(c.supporter_id)
        return {
            "name": known.name if known else "Een ondersteuner (naam nu niet bekend)",
            "organisation": known.organisation_label if known else current_region().organisation_name(c.organisation),
            "failed_rules": [r.text for r in c.failed_rules],
        }

    return {
        "question_id": consultation.question_id,
        "question_ref": reference_of(consultation.question_id, reference),
        "municipality_name": municipality_name(consultation.municipality),
        "reason": consultation.reason.text,
        "candidates": [candidate(c) for c in consultation.candidates],
        "consultation_url": consultation_url(matching_url, consultation.question_id),
        "required_at": consultation.required_at,
    }


def plan_consultation_required(
    consultation: ConsultationRequired,
    resident: ResidentContact | None,
    coordinator_email: str | None,
    matching_url: str,
    sms: bool = False,
    names: Mapping[str, SupporterContact] | None = None,
) -> list[PlannedDelivery]:
    """Coordinators (when an address is configured) and the resident (address and consent) hear of it."""
    planned = []
    if coordinator_email:
        reference = resident.reference if resident else None
        context = coordinator_consultation_context(consultation, matching_url, names, reference)
        planned.append(PlannedDelivery("coordinator", "email", "coordinator_consultation", coordinator_email, context))
    if resident is not None and resident_may_be_mailed(resident, sms):
        context = resident_consultation_context(consultation, resident)
        planned.append(resident_delivery(resident, "resident_consultation", context))
    return planned


# --- the invitation to share an experience (after SupportEnded) -----------------------------------

EXPERIENCE_INVITATION_TEMPLATE: Final = "resident_experience_invitation"
#: Minutes the experience form takes (promised in the invitation).
EXPERIENCE_MINUTES: Final = 2
#: Ends of support after which nobody is invited: the support goes on at another organisation.
NO_INVITATION_REASONS: Final = frozenset({"transferred"})
#: ``pending`` while under way; ``sent``/``queued`` (SMS in quiet hours)/``failed`` settle the question;
#: ``skipped`` may be taken up again by a later SupportEnded of the question (a duo's last one).
InvitationStatus = Literal["pending", "sent", "queued", "skipped", "failed"]


@dataclass(frozen=True)
class ExperienceLink:
    """The resident's personal link to the experience form, issued by intake (a capability: never logged)."""

    url: str
    expires_at: datetime


def invitation_skip_reason(ended: SupportEnded, resident: ResidentContact | None, sms: bool = False) -> str | None:
    """Why this end of support invites nobody, or None: invite the resident.

    The same rules as every other resident message (consent to be contacted, the chosen channel;
    SMS only with a gateway); opt-outs are checked against the store by the caller.
    """
    if ended.reason is not None and ended.reason.code in NO_INVITATION_REASONS:
        return "support continues at another organisation"
    if resident is None:
        return "intake has no contact details (unknown or erased)"
    if not resident.share_with_supporter:
        return "no consent to be contacted"
    if not resident_may_be_mailed(resident, sms):
        return "the resident chose no messages, or has no address for the channel"
    return None


def experience_invitation_context(
    ended: SupportEnded, resident: ResidentContact, link: ExperienceLink
) -> dict[str, Any]:
    return {
        "resident_name": resident.name,
        "question_id": ended.question_id,
        "municipality_name": municipality_name(ended.municipality),
        "invitation_url": link.url,
        "expires_on": dutch_date(link.expires_at),
        "minutes": EXPERIENCE_MINUTES,
    }


def plan_experience_invitation(ended: SupportEnded, resident: ResidentContact, link: ExperienceLink) -> PlannedDelivery:
    """The invitation, on the resident's channel (call only when :func:`invitation_skip_reason` is None)."""
    return resident_delivery(
        resident, EXPERIENCE_INVITATION_TEMPLATE, experience_invitation_context(ended, resident, link)
    )


# --- preferences and opt-out ----------------------------------------------------------------------


def preferred_channel(resident: ResidentContact) -> NotificationChannel | None:
    """The channel the resident chose, else e-mail when they gave an address, else SMS, else none.

    ``none`` means no message to the resident at all. A chosen channel whose address is missing
    (intake refuses that, so only for old data) falls back to the rule for no choice.
    """
    if resident.chosen_channel == "none":
        return None
    if resident.chosen_channel == "sms" and resident.phone:
        return "sms"
    if resident.chosen_channel == "email" and resident.email:
        return "email"
    if resident.email:
        return "email"
    if resident.phone:
        return "sms"
    return None
