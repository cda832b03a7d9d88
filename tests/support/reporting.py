"""Events as the other services publish them, for reporting's integration tests.

Every builder makes a valid payload with unique ids; ``send`` publishes payloads on their own topics
and ``stored`` waits until reporting has them in its event store.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from contracts.envelope import CloudEvent, encode, from_model
from contracts.events import (
    AssignmentAccepted,
    AssignmentDeclined,
    ConsultationRequired,
    CouncilMeetingHeld,
    CouncilMeetingPlanned,
    Event,
    ExperienceShared,
    ExperienceStatements,
    FirstContactMade,
    Participant,
    QuestionReceived,
    QuestionWaiting,
    QuestionWithdrawn,
    Reason,
    SignalAcknowledged,
    SignalAnswered,
    SignalRaised,
    SupportEnded,
    SupporterAssigned,
    SupporterRegistered,
    SupporterUpdated,
)
from contracts.labels import WITHDRAWAL_REASON_TEXTS
from contracts.topics import ASSIGNMENTS, QUESTIONS, SIGNALS, SUPPORTERS
from services.kit import broker
from services.kit.settings import Settings
from tests.support.harness import RunningService, eventually

SOURCES = {
    QUESTIONS: "/samenloket/intake",
    SIGNALS: "/samenloket/intake",
    ASSIGNMENTS: "/samenloket/matching",
    SUPPORTERS: "/samenloket/matching",
}


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def question(
    qid: str,
    municipality: str,
    at: datetime,
    domains: tuple[str, ...] = ("wmo",),
    found_via: str | None = "huisarts",
    age_band: str | None = "27_44",
    referrer: str | None = None,
    channel: str = "web",
) -> QuestionReceived:
    return QuestionReceived(
        question_id=qid,
        resident_ref=new_id("r"),
        municipality=municipality,
        life_domains=list(domains),  # type: ignore[arg-type]
        preferred_supporter_kind="any",
        languages=["nl"],
        postcode="3311",
        channel=channel,  # type: ignore[arg-type]
        referrer=referrer,
        received_at=at,
        found_via=found_via,  # type: ignore[arg-type]
        age_band=age_band,  # type: ignore[arg-type]
    )


def assigned(
    qid: str,
    municipality: str,
    received_at: datetime,
    hours: float,
    aid: str | None = None,
    organisation: str = "mee-plus",
    kind: str = "professional",
) -> SupporterAssigned:
    return SupporterAssigned(
        question_id=qid,
        assignment_id=aid or new_id("a"),
        supporter_id="s-1",
        organisation=organisation,
        supporter_kind=kind,  # type: ignore[arg-type]
        municipality=municipality,
        score=0.8,
        received_at=received_at,
        assigned_at=received_at + timedelta(hours=hours),
    )


def _step(a: SupporterAssigned) -> dict[str, Any]:
    return {
        "question_id": a.question_id,
        "assignment_id": a.assignment_id,
        "supporter_id": a.supporter_id,
        "organisation": a.organisation,
        "municipality": a.municipality,
    }


def accepted(a: SupporterAssigned, hours: float) -> AssignmentAccepted:
    return AssignmentAccepted(**_step(a), accepted_at=a.received_at + timedelta(hours=hours))


def declined(a: SupporterAssigned, hours: float, code: str = "no_capacity") -> AssignmentDeclined:
    reason = Reason(code=code, text="De ondersteuner heeft nu geen plek.")
    return AssignmentDeclined(
        **_step(a), declined_by="supporter", reason=reason, declined_at=a.assigned_at + timedelta(hours=hours)
    )


def ended(a: SupporterAssigned, days: float) -> SupportEnded:
    return SupportEnded(**_step(a), ended_at=a.assigned_at + timedelta(days=days))


def first_contact(a: SupporterAssigned, on: date, method: str = "phone") -> FirstContactMade:
    return FirstContactMade(
        **_step(a),
        method=method,  # type: ignore[arg-type]
        reached_on=on,
        recorded_at=datetime.combine(on, datetime.min.time(), UTC) + timedelta(hours=17),
    )


def waiting(qid: str, municipality: str, since: datetime) -> QuestionWaiting:
    return QuestionWaiting(question_id=qid, municipality=municipality, eligible_supporters=2, since=since)


def withdrawn(qid: str, municipality: str, at: datetime, code: str = "no_longer_needed") -> QuestionWithdrawn:
    reason = Reason(code=code, text=WITHDRAWAL_REASON_TEXTS[code])
    return QuestionWithdrawn(
        question_id=qid, municipality=municipality, withdrawn_by="resident", reason=reason, withdrawn_at=at
    )


def consultation(qid: str, municipality: str, at: datetime) -> ConsultationRequired:
    reason = Reason(code="no_match", text="Geen ondersteuner past.")
    return ConsultationRequired(question_id=qid, municipality=municipality, reason=reason, required_at=at)


def supporter(
    sid: str,
    municipalities: list[str],
    capacity: int,
    at: datetime,
    organisation: str = "mee-plus",
    kind: str = "professional",
    availability: str = "active",
    update: bool = False,
) -> SupporterRegistered | SupporterUpdated:
    profile: dict[str, Any] = {
        "supporter_id": sid,
        "organisation": organisation,
        "kind": kind,
        "municipalities": municipalities,
        "life_domains": ["wmo"],
        "languages": ["nl"],
        "capacity": capacity,
        "availability": availability,
    }
    if update:
        return SupporterUpdated(**profile, changed=["capacity"], updated_at=at)
    return SupporterRegistered(**profile, registered_at=at)


def signal(sid: str, municipality: str, at: datetime, theme: str = "waiting_times") -> SignalRaised:
    return SignalRaised(
        signal_id=sid,
        theme=theme,  # type: ignore[arg-type]
        life_domain="youth",
        municipality=municipality,
        level="local",
        raised_by="supporter",
        raised_at=at,
    )


def signal_acknowledged(sid: str, municipality: str, at: datetime) -> SignalAcknowledged:
    return SignalAcknowledged(signal_id=sid, municipality=municipality, by_organisation="gemeente", acknowledged_at=at)


def signal_answered(sid: str, municipality: str, at: datetime) -> SignalAnswered:
    return SignalAnswered(signal_id=sid, municipality=municipality, by_organisation="gemeente", answered_at=at)


def experience(
    municipality: str, at: datetime, knew: str = "agree", score: int = 8, age_band: str | None = "65_74"
) -> ExperienceShared:
    return ExperienceShared(
        experience_id=new_id("e"),
        municipality=municipality,
        life_domains=["wmo"],
        age_band=age_band,  # type: ignore[arg-type]
        organisation="mee-plus",
        supporter_kind="professional",
        statements=ExperienceStatements(knew_where_to_go=knew, helped_quickly="neutral"),  # type: ignore[arg-type]
        score=score,
        shared_at=at,
    )


def meeting_planned(mid: str, municipality: str | None, on: date, at: datetime) -> CouncilMeetingPlanned:
    return CouncilMeetingPlanned(
        meeting_id=mid, council="adviesraad", municipality=municipality, planned_for=on, planned_at=at
    )


def meeting_held(mid: str, municipality: str | None, on: date, residents: int, at: datetime) -> CouncilMeetingHeld:
    people = [Participant(role="resident", age_band="18_26", life_domains=["youth"]) for _ in range(residents)]
    return CouncilMeetingHeld(
        meeting_id=mid,
        council="adviesraad",
        municipality=municipality,
        held_on=on,
        participants=[*people, Participant(role="partner", organisation="mee-plus")],
        recorded_at=at,
    )


async def send(settings: Settings, *models: Event) -> list[CloudEvent]:
    """Publish each payload in its own envelope on its own topic, in the given order."""
    events = []
    producer = broker.make_producer(settings)
    await producer.start()
    try:
        for model in models:
            event = from_model(model, source=SOURCES.get(model.topic, "/samenloket/intake"))
            key, value, headers = encode(event)
            await producer.send_and_wait(model.topic, value=value, key=key, headers=headers)
            events.append(event)
    finally:
        await producer.stop()
    return events


async def stored(service: RunningService, events: list[CloudEvent], timeout: float = 60) -> None:
    """Wait until reporting has stored (and so projected) every one of ``events``."""
    ids = [e.id for e in events]

    async def all_there() -> bool:
        found = await service.runtime.db.fetchval("SELECT count(*) FROM events WHERE event_id = ANY($1::text[])", ids)
        return bool(found == len(set(ids)))

    await eventually(all_there, timeout=timeout)
