"""Example data for every template: the preview endpoint renders these (pure, no I/O).

The examples go through the same context builders as real deliveries, so a preview shows exactly
what a recipient would read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from contracts.events import (
    CandidateVerdict,
    ConsultationRequired,
    FirstContactOverdue,
    QuestionReceived,
    QuestionWaiting,
    Reason,
    StatusLinkRequested,
    SupportEnded,
    SupporterAssigned,
)
from services.notifications.domain import (
    ExperienceLink,
    Loket,
    QuestionFacts,
    ResidentContact,
    SupporterContact,
    coordinator_consultation_context,
    experience_invitation_context,
    resident_assigned_context,
    resident_consultation_context,
    resident_waiting_context,
    supporter_new_case_context,
    with_loket,
)
from services.notifications.first_contact import OrganisationContact, escalation_context, reminder_context
from services.notifications.question_mail import ended_context, received_context, status_link_context
from services.notifications.sign_in_mail import sign_in_context
from services.notifications.signal_digest import SignalFact, digest_context

EXAMPLE_TIME: Final = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
EXAMPLE_INTAKE_URL: Final = "https://samenloket.example.nl"
EXAMPLE_MATCHING_URL: Final = "https://ondersteuners.samenloket.example.nl"
#: The loket of the examples; the preview endpoint shows the configured one instead.
EXAMPLE_LOKET: Final = Loket("Samenloket Drechtsteden", "078 000 00 00", "loket@samenloket.example.nl")
EXAMPLE_OPT_OUT_URL: Final = "https://samenloket.example.nl/api/v1/opt-out?token=voorbeeld"
EXAMPLE_STATUS_URL: Final = "https://samenloket.example.nl/mijn-vraag/Vb3kQ9xZ-voorbeeld-Hq2LmN8pR4tW6yA1cE5gJ7iK0oU"
EXAMPLE_REFERENCE: Final = "K7QM-3XPA"

_ASSIGNMENT = SupporterAssigned(
    question_id="q-voorbeeld",
    assignment_id="a-voorbeeld",
    supporter_id="s-voorbeeld",
    organisation="org-mee",
    supporter_kind="professional",
    municipality="GM0505",
    score=0.9,
    received_at=EXAMPLE_TIME,
    assigned_at=EXAMPLE_TIME,
    partner_supporter_id="s-partner",
)
_SUPPORTER = SupporterContact("s-voorbeeld", "Fatima el Amrani", "fatima@example.nl", "org-mee", "MEE Plus")
_PARTNER = SupporterContact(
    "s-partner", "Kees Jansen", "kees@example.nl", "org-vrijwilligers", "Vrijwilligers Drechtsteden"
)
_CANDIDATE = SupporterContact("s-1", "Bram Visser", "bram@example.nl", "org-mee", "MEE Plus")
_RESIDENT = ResidentContact(
    "q-voorbeeld", "r-voorbeeld", "Anna de Vries", "anna@example.nl", None, True, reference=EXAMPLE_REFERENCE
)
_FACTS = QuestionFacts(
    "q-voorbeeld", "GM0505", ("debts", "housing"), ("nl", "ar"), "home", ("interpreter",), EXAMPLE_REFERENCE
)
_RECEIVED = QuestionReceived(
    question_id="q-voorbeeld",
    resident_ref="r-voorbeeld",
    municipality="GM0505",
    life_domains=["debts", "housing"],
    preferred_supporter_kind="any",
    languages=["nl"],
    postcode="3311",
    channel="web",
    received_at=EXAMPLE_TIME,
)
_LINK_REQUESTED = StatusLinkRequested(question_id="q-voorbeeld", municipality="GM0505", requested_at=EXAMPLE_TIME)
_WITHDRAWN_REASON = Reason(code="no_longer_needed", text="De inwoner heeft geen hulp meer nodig.")
_WAITING = QuestionWaiting(question_id="q-voorbeeld", municipality="GM0505", eligible_supporters=3, since=EXAMPLE_TIME)
_CONSULTATION = ConsultationRequired(
    question_id="q-voorbeeld",
    municipality="GM0505",
    reason=Reason(code="no_candidate", text="Geen ondersteuner spreekt de taal van de inwoner."),
    candidates=[
        CandidateVerdict(
            supporter_id="s-1",
            organisation="org-mee",
            failed_rules=[Reason(code="language", text="Spreekt geen Arabisch.")],
        )
    ],
    required_at=EXAMPLE_TIME,
)
_ENDED = SupportEnded(
    question_id="q-voorbeeld",
    assignment_id="a-voorbeeld",
    supporter_id="s-voorbeeld",
    organisation="org-mee",
    municipality="GM0505",
    reason=Reason(code="completed", text="De ondersteuning is klaar."),
    ended_at=EXAMPLE_TIME,
)
_LINK = ExperienceLink("https://samenloket.example.nl/ervaring/voorbeeld", datetime(2025, 5, 2, 9, 30, tzinfo=UTC))
_SIGNALS = [
    SignalFact("sig-1", "waiting_times", "GM0505", "local", EXAMPLE_TIME),
    SignalFact("sig-2", "reachability", "GM0505", "regional", EXAMPLE_TIME),
    SignalFact("sig-3", "waiting_times", "GM0505", "regional", EXAMPLE_TIME),
]


_OVERDUE = FirstContactOverdue(
    question_id="q-voorbeeld",
    assignment_id="a-voorbeeld",
    supporter_id="s-voorbeeld",
    organisation="org-mee",
    municipality="GM0505",
    stage="reminder",
    assigned_at=EXAMPLE_TIME,
    working_days=2,
    noticed_at=datetime(2025, 3, 5, 9, 30, tzinfo=UTC),
)
_ESCALATION = _OVERDUE.model_copy(update={"stage": "escalation", "working_days": 3})
_ORGANISATION = OrganisationContact("org-mee", "MEE Plus", "coordinatie@mee.example.nl")
EXAMPLE_PAGES_URL: Final = "https://matching.samenloket.example.nl"


def _resident(context: dict[str, Any]) -> dict[str, Any]:
    return {
        **context,
        "opt_out_url": EXAMPLE_OPT_OUT_URL,
        "status_url": EXAMPLE_STATUS_URL,
        "reference": EXAMPLE_REFERENCE,
        "loket_name": "Samenloket Drechtsteden",
        "loket_phone": "078 770 80 90",
        "loket_email": "info@samenloket.example.nl",
    }


EXAMPLES: Final[dict[str, Callable[[], dict[str, Any]]]] = {
    "supporter_new_case": lambda: supporter_new_case_context(
        _ASSIGNMENT, _SUPPORTER, _FACTS, EXAMPLE_MATCHING_URL, _PARTNER
    ),
    "resident_assigned": lambda: _resident(resident_assigned_context(_ASSIGNMENT, _SUPPORTER, _RESIDENT, _PARTNER)),
    "resident_waiting": lambda: _resident(resident_waiting_context(_WAITING, _RESIDENT)),
    "resident_consultation": lambda: _resident(resident_consultation_context(_CONSULTATION, _RESIDENT)),
    "coordinator_consultation": lambda: coordinator_consultation_context(
        _CONSULTATION, EXAMPLE_MATCHING_URL, {"s-1": _CANDIDATE}, EXAMPLE_REFERENCE
    ),
    "signal_digest": lambda: digest_context(_SIGNALS, date(2025, 3, 3)),
    "resident_experience_invitation": lambda: _resident(experience_invitation_context(_ENDED, _RESIDENT, _LINK)),
    "supporter_first_contact_reminder": lambda: reminder_context(
        _OVERDUE, _SUPPORTER, _FACTS, EXAMPLE_PAGES_URL, "Samenloket"
    ),
    "coordinator_first_contact_overdue": lambda: escalation_context(
        _ESCALATION, _SUPPORTER, _ORGANISATION, _FACTS, EXAMPLE_PAGES_URL, "Samenloket"
    ),
    "supporter_sign_in": lambda: sign_in_context(
        "Fatima el Amrani",
        f"{EXAMPLE_MATCHING_URL}/mijn-vragen/inloggen/voorbeeld-van-een-link-om-in-te-loggen",
        EXAMPLE_TIME + timedelta(minutes=15),
        EXAMPLE_TIME,
        "Samenloket",
    ),
    "resident_received": lambda: _resident(received_context(_RECEIVED, _RESIDENT)),
    "resident_status_link": lambda: _resident(status_link_context(_LINK_REQUESTED, _RESIDENT)),
    "supporter_question_withdrawn": lambda: {
        **ended_context("q-voorbeeld", "GM0505", _WITHDRAWN_REASON, _FACTS),
        "ended": "withdrawn",
        "withdrawn_by": "De inwoner",
        "supporter_name": _SUPPORTER.name,
    },
    "resident_panel_invitation": lambda: _resident(
        {
            "resident_name": _RESIDENT.name,
            "question_id": "q-voorbeeld",
            "meeting_on": "10 september 2025",
            "themes": ["Hulp en zorg thuis (Wmo)"],
            "kind": "meeting",
        }
    ),
}


def example_context(template: str, loket: Loket = EXAMPLE_LOKET) -> dict[str, Any]:
    """Example data for ``template`` with ``loket`` (the preview passes the configured one); KeyError for an
    unknown one."""
    return with_loket(EXAMPLES[template](), loket)
