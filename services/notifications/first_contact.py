"""Late first contact (FirstContactOverdue): a reminder to the supporter, an escalation to the coordinator.

Matching publishes FirstContactOverdue once per assignment and stage: ``reminder`` after 2 working
days without first contact, ``escalation`` after 3. The reminder goes to the supporter (their
address from matching's internal contact route); the escalation to the coordinator of the supporter's
*organisation*: the address the organisation's coordinators set in matching
(``PUT /api/v1/organisations/{id}/coordinator``), fetched over matching's internal route, or this
service's ``coordinator_email`` when the organisation set none. Each event gives one delivery, kept
exactly once by the delivery log (key: event id, role, channel), as every other mail.

The mails say which question (municipality, life domains, number), how long ago it was assigned, and
link to the supporter's page of the question in matching (``/mijn-vragen/{question_id}``), or, for the
coordinator, to the joint consultation's page, where late first contacts are flagged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, ValidationError

from contracts.envelope import CloudEvent
from contracts.events import FirstContactOverdue
from contracts.references import reference_of
from services.kit.dutch import dutch_date
from services.kit.messaging import PermanentError
from services.kit.region import current_region
from services.kit.settings import Settings
from services.kit.workdays import CONTACT_WITHIN_WORKING_DAYS
from services.notifications import store
from services.notifications.contacts import HttpContactDirectory
from services.notifications.domain import (
    PlannedDelivery,
    QuestionFacts,
    SupporterContact,
    life_domain_words,
    municipality_name,
)
from services.notifications.handlers import Notifier

log = logging.getLogger(__name__)

REMINDER_TEMPLATE = "supporter_first_contact_reminder"
ESCALATION_TEMPLATE = "coordinator_first_contact_overdue"


@dataclass(frozen=True)
class OrganisationContact:
    """An organisation as matching knows it: display name and its coordinators' address (None: none set)."""

    organisation: str
    name: str
    coordinator_email: str | None


# --- what the mails say (pure) ---------------------------------------------------------------------


def pages_base(settings: Settings) -> str:
    """Where matching's pages are for people: its public URL, else its internal one."""
    return (settings.matching_public_url or settings.matching_url).rstrip("/")


def case_url(base: str, question_id: str) -> str:
    """The supporter's page of one question."""
    return f"{base}/mijn-vragen/{quote(question_id, safe='')}"


def _common(overdue: FirstContactOverdue, facts: QuestionFacts | None, base: str, loket_name: str) -> dict[str, Any]:
    return {
        "question_id": overdue.question_id,
        "question_ref": reference_of(overdue.question_id, facts.reference if facts else None),
        "municipality_name": municipality_name(overdue.municipality),
        "life_domains": life_domain_words(facts.life_domains) if facts else [],
        "assigned_on": dutch_date(overdue.assigned_at),
        "working_days": overdue.working_days,
        "contact_days": CONTACT_WITHIN_WORKING_DAYS,
        "case_url": case_url(base, overdue.question_id),
        "loket_name": loket_name,
    }


def reminder_context(
    overdue: FirstContactOverdue, supporter: SupporterContact, facts: QuestionFacts | None, base: str, loket_name: str
) -> dict[str, Any]:
    return {**_common(overdue, facts, base, loket_name), "supporter_name": supporter.name}


def escalation_context(
    overdue: FirstContactOverdue,
    supporter: SupporterContact | None,
    organisation: OrganisationContact | None,
    facts: QuestionFacts | None,
    base: str,
    loket_name: str,
) -> dict[str, Any]:
    return {
        **_common(overdue, facts, base, loket_name),
        "supporter_name": supporter.name if supporter else "een cliëntondersteuner (naam nu niet bekend)",
        "organisation_name": organisation.name
        if organisation
        else current_region().organisation_name(overdue.organisation),
        "overleg_url": f"{base}/overleg#te-laat",
    }


def plan_first_contact_overdue(
    overdue: FirstContactOverdue,
    supporter: SupporterContact | None,
    organisation: OrganisationContact | None,
    facts: QuestionFacts | None,
    base: str,
    loket_name: str,
    fallback_coordinator: str | None,
) -> list[PlannedDelivery]:
    """The reminder to the supporter (when they have an address), or the escalation to the coordinator
    of their organisation (matching's address, else the region file's, else the general coordinator address;
    none: nobody)."""
    if overdue.stage == "reminder":
        if supporter is None or not supporter.email:
            return []
        context = reminder_context(overdue, supporter, facts, base, loket_name)
        return [PlannedDelivery("supporter", "email", REMINDER_TEMPLATE, supporter.email, context)]
    listed = current_region().organisation(overdue.organisation)
    address = (
        (organisation.coordinator_email if organisation else None)
        or (listed.coordinator_email if listed else None)
        or fallback_coordinator
    )
    if not address:
        return []
    context = escalation_context(overdue, supporter, organisation, facts, base, loket_name)
    return [PlannedDelivery("coordinator", "email", ESCALATION_TEMPLATE, address, context)]


# --- where the coordinators' address comes from -----------------------------------------------------


class OrganisationDirectory(Protocol):
    async def organisation(self, organisation: str) -> OrganisationContact | None: ...

    async def aclose(self) -> None: ...


class _OrganisationBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    organisation: str
    name: str
    coordinator_email: str | None = None


class HttpOrganisationDirectory(HttpContactDirectory):
    """Also calls matching's ``GET /internal/v1/organisations/{id}/coordinator`` (404: unknown, None)."""

    async def organisation(self, organisation: str) -> OrganisationContact | None:
        url = f"{self.matching_url}/internal/v1/organisations/{quote(organisation, safe='')}/coordinator"
        body = await self._get(url)
        if body is None:
            return None
        try:
            found = _OrganisationBody.model_validate_json(body)
        except ValidationError as exc:
            raise PermanentError(f"invalid organisation from matching: {exc.error_count()} error(s)") from exc
        return OrganisationContact(found.organisation, found.name, found.coordinator_email)


# --- the handler --------------------------------------------------------------------------------------


@dataclass
class FirstContactMails:
    """Handles FirstContactOverdue (side effect: mail, exactly once per event through the notifier)."""

    notifier: Notifier
    directory: HttpOrganisationDirectory | OrganisationDirectory
    pages_url: str
    loket_name: str
    fallback_coordinator: str | None

    async def on_first_contact_overdue(self, event: CloudEvent, payload: FirstContactOverdue) -> None:
        supporter = await self.notifier.contacts.supporter(payload.supporter_id)
        if supporter is None and payload.stage == "reminder":
            raise PermanentError(f"matching knows no supporter {payload.supporter_id!r}")
        organisation = None
        if payload.stage == "escalation":
            organisation = await self.directory.organisation(payload.organisation)
        async with self.notifier.pool.acquire() as conn:
            facts = await store.question_facts(conn, payload.question_id)
        planned = plan_first_contact_overdue(
            payload, supporter, organisation, facts, self.pages_url, self.loket_name, self.fallback_coordinator
        )
        if not planned:
            log.warning(
                "late first contact: nobody to tell",
                extra={"stage": payload.stage, "organisation": payload.organisation, "event": event.id},
            )
        await self.notifier.deliver_all(event, payload.question_id, planned)

    async def aclose(self) -> None:
        await self.directory.aclose()
