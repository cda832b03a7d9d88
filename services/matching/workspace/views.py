"""What the supporters' pages show of a case, in Dutch: names and labels, never ids or codes (pure).

A case is in one of five stages: new (offered, not yet accepted), accepted, in contact (first contact
recorded), ended, declined. The resident's own data (question text, contact) come from intake and are
shown only while the case is open: once a supporter no longer supports the resident, they do not need it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final, Literal

from contracts.labels import (
    CONTACT_METHOD_WORDS,
    DECLINE_REASON_TEXTS,
    END_REASON_TEXTS,
    KIND_PREFERENCE_LABELS,
    LANGUAGE_LABELS,
    LIFE_DOMAIN_LABELS,
    MEETING_PREFERENCE_RESIDENT_LABELS,
    NEED_LABELS,
    SPECIALISM_LABELS,
    SUPPORTER_KIND_WORDS,
    WITHDRAWAL_REASON_TEXTS,
)
from contracts.references import reference_of
from services.kit.region import current_region
from services.matching.store.workspace import CaseRow
from services.matching.workspace.clients import CaseData, Missing, Unavailable

Stage = Literal["new", "accepted", "in_contact", "ended", "declined"]
STAGE_LABELS: Final[dict[str, str]] = {
    "new": "Nieuw",
    "accepted": "Aangenomen",
    "in_contact": "In contact",
    "ended": "Gestopt",
    "declined": "Afgewezen",
}
#: The groups of the list page, in order: (id, heading, what to do, stages).
GROUPS: Final[tuple[tuple[str, str, str, tuple[str, ...]], ...]] = (
    ("nieuw", "Nieuw voor u", "Lees de vraag. Neem de vraag aan, of wijs hem af.", ("new",)),
    (
        "aangenomen",
        "Aangenomen",
        "Neem binnen 3 werkdagen contact op met de inwoner. Zet daarna het eerste contact in het systeem.",
        ("accepted",),
    ),
    ("in-contact", "In contact", "U ondersteunt deze inwoners nu.", ("in_contact",)),
    ("gestopt", "Gestopt of afgewezen", "Deze vragen ondersteunt u niet meer.", ("ended", "declined")),
)
DUO_DISSOLVED: Final = "duo_dissolved"
#: Why intake showed no personal data, as the supporter reads it.
MISSING_TEXTS: Final[dict[Missing, str]] = {
    "erased": "De gegevens van de inwoner zijn op zijn of haar verzoek gewist.",
    "withdrawn": "De inwoner heeft de vraag ingetrokken.",
    "not_supporting": "De gegevens van de inwoner zijn nog niet klaar. Probeer het over een minuut opnieuw.",
    "unavailable": "De gegevens van de inwoner zijn nu niet te laden. Probeer het over een paar minuten opnieuw.",
}


def stage_of(case: CaseRow) -> Stage:
    if case.status == "assigned":
        return "new"
    if case.status == "accepted":
        return "in_contact" if case.first_contact_recorded_at else "accepted"
    return "declined" if case.status == "declined" else "ended"


def closed_text(case: CaseRow) -> str:
    """Why a closed case closed, as one Dutch sentence."""
    code = case.close_reason or ""
    if case.status == "declined":
        if case.declined_by == "resident":
            return "De inwoner wil liever een andere ondersteuner. " + DECLINE_REASON_TEXTS.get(code, "")
        return "Deze vraag is afgewezen. " + DECLINE_REASON_TEXTS.get(code, "")
    if code == DUO_DISSOLVED:
        return "De andere ondersteuner van het duo is gestopt. De vraag is opnieuw gekoppeld."
    return END_REASON_TEXTS.get(code) or WITHDRAWAL_REASON_TEXTS.get(code) or "De ondersteuning is gestopt."


def conflict_text(case: CaseRow | None, fallback: str) -> str:
    """Why a step could not be taken on a case that moved on (409), in Dutch."""
    if case is None or case.open:
        return fallback
    return closed_text(case).strip()


def _labels(codes: list[str] | None, labels: dict[str, str]) -> list[str]:
    return [labels.get(code, code) for code in codes or []]


@dataclass(frozen=True)
class CaseView:
    """One case as the pages show it."""

    question_id: str
    reference: str
    stage: Stage
    stage_label: str
    municipality: str
    life_domains: list[str]
    assigned_at: datetime
    accepted_at: datetime | None
    closed_at: datetime | None
    first_contact_on: date | None
    first_contact_method: str
    closed_text: str
    partner: str
    needs: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    meeting: str = ""
    kind_preference: str = ""
    postcode: str = ""
    wants_duo: bool = False

    @property
    def open(self) -> bool:
        return self.stage in ("new", "accepted", "in_contact")


def case_view(case: CaseRow, organisation_names: dict[str, str], partner: tuple[str, str] | None) -> CaseView:
    """The case's facts (from matching: no personal data)."""
    q = case.question or {}
    municipality = case.municipality or q.get("municipality") or ""
    stage = stage_of(case)
    partner_text = ""
    if partner is not None:
        name, organisation = partner
        named = organisation_names.get(organisation) or current_region().organisation_name(organisation)
        partner_text = f"{name} ({named})"
    meeting = q.get("meeting_preference")
    return CaseView(
        question_id=case.question_id,
        reference=reference_of(case.question_id, q.get("reference")),
        stage=stage,
        stage_label=STAGE_LABELS[stage],
        municipality=current_region().municipality_name(municipality),
        life_domains=_labels(q.get("life_domains"), LIFE_DOMAIN_LABELS),
        assigned_at=case.assigned_at,
        accepted_at=case.accepted_at,
        closed_at=case.closed_at,
        first_contact_on=case.first_contact_on,
        first_contact_method=CONTACT_METHOD_WORDS.get(case.first_contact_method or "", ""),
        closed_text=closed_text(case) if stage in ("ended", "declined") else "",
        partner=partner_text,
        needs=_labels(q.get("needs"), {**SPECIALISM_LABELS, **NEED_LABELS}),
        languages=_labels(q.get("languages"), LANGUAGE_LABELS),
        meeting=MEETING_PREFERENCE_RESIDENT_LABELS.get(meeting, "") if meeting else "",
        kind_preference=KIND_PREFERENCE_LABELS.get(q.get("preferred_supporter_kind") or "", ""),
        postcode=q.get("postcode") or "",
        wants_duo=bool(q.get("wants_duo")),
    )


@dataclass(frozen=True)
class ResidentView:
    """What the page shows of the resident: their question and, with consent, how to reach them."""

    description: str = ""
    consented: bool = False
    name: str = ""
    phone: str = ""
    email: str = ""
    missing: str = ""

    @property
    def phone_href(self) -> str:
        return "tel:" + "".join(c for c in self.phone if c.isdigit() or c == "+")


def resident_view(found: CaseData | Unavailable | None) -> ResidentView:
    if found is None:
        return ResidentView()
    if isinstance(found, Unavailable):
        return ResidentView(missing=MISSING_TEXTS[found.why])
    contact = found.contact if found.share_with_supporter else None
    return ResidentView(
        description=found.description,
        consented=contact is not None,
        name=contact.name if contact else "",
        phone=(contact.phone or "") if contact else "",
        email=(contact.email or "") if contact else "",
    )


def grouped(cases: list[CaseView]) -> list[tuple[str, str, str, list[CaseView]]]:
    """The list page's groups with their cases (newest first within a group)."""
    return [(gid, heading, todo, [c for c in cases if c.stage in stages]) for gid, heading, todo, stages in GROUPS]


def kind_words(kind: str) -> str:
    return SUPPORTER_KIND_WORDS.get(kind, kind)
