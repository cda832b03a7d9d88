"""Projection rules for assignments, supporters, signals, experiences and council meetings.

Every rule is a merge: whatever the order events arrive in, and however often, the facts converge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from contracts.events import (
    AssignmentAccepted,
    AssignmentDeclined,
    CouncilMeetingHeld,
    CouncilMeetingPlanned,
    Event,
    ExperienceShared,
    ExperienceStatements,
    FirstContactMade,
    Participant,
    QuestionReceived,
    QuestionWaiting,
    Reason,
    SignalAcknowledged,
    SignalAnswered,
    SignalRaised,
    SupportEnded,
    SupporterAssigned,
    SupporterRegistered,
    SupporterUpdated,
)
from services.reporting import domain
from services.reporting.domain import (
    AssignmentFact,
    ExperienceFact,
    MeetingFact,
    QuestionChange,
    QuestionFact,
    SignalFact,
    SupporterFact,
    changes_of,
)

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
QID = "q-1"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def received() -> QuestionReceived:
    return QuestionReceived(
        question_id=QID,
        resident_ref="r-secret",
        municipality="GM0505",
        life_domains=["youth"],
        preferred_supporter_kind="any",
        languages=["nl"],
        postcode="3311",
        channel="web",
        received_at=T0,
        found_via="huisarts",
        age_band="27_44",
    )


def assigned(aid: str, minutes: float, organisation: str = "mee-plus", kind: str = "professional") -> SupporterAssigned:
    return SupporterAssigned(
        question_id=QID,
        assignment_id=aid,
        supporter_id=f"s-{aid}",
        organisation=organisation,
        supporter_kind=kind,  # type: ignore[arg-type]
        municipality="GM0505",
        score=0.9,
        received_at=T0,
        assigned_at=at(minutes),
    )


def step(aid: str, organisation: str = "mee-plus") -> dict[str, Any]:
    return {
        "question_id": QID,
        "assignment_id": aid,
        "supporter_id": f"s-{aid}",
        "organisation": organisation,
        "municipality": "GM0505",
    }


def accepted(aid: str, minutes: float) -> AssignmentAccepted:
    return AssignmentAccepted(**step(aid), accepted_at=at(minutes))


def declined(aid: str, minutes: float) -> AssignmentDeclined:
    return AssignmentDeclined(
        **step(aid),
        declined_by="supporter",
        reason=Reason(code="no_capacity", text="De ondersteuner heeft geen plek."),
        declined_at=at(minutes),
    )


def ended(aid: str, minutes: float, code: str | None = None) -> SupportEnded:
    reason = Reason(code=code, text="De ondersteuning is klaar.") if code else None
    return SupportEnded(**step(aid), ended_at=at(minutes), reason=reason)


def contacted(aid: str, day: date, method: str = "phone", recorded_minutes: float = 6000) -> FirstContactMade:
    return FirstContactMade(
        **step(aid),
        method=method,  # type: ignore[arg-type]
        reached_on=day,
        recorded_at=at(recorded_minutes),
    )


def supporter(kind: type[SupporterRegistered] | type[SupporterUpdated], minutes: float, capacity: int) -> Event:
    profile: dict[str, Any] = {
        "supporter_id": "s-9",
        "organisation": "ouderplatform",
        "kind": "volunteer",
        "municipalities": ["GM0642", "GM0505"],
        "life_domains": ["youth"],
        "languages": ["nl"],
        "capacity": capacity,
    }
    if kind is SupporterRegistered:
        return SupporterRegistered(**profile, registered_at=at(minutes))
    return SupporterUpdated(**profile, changed=["capacity"], updated_at=at(minutes))


def raised() -> SignalRaised:
    return SignalRaised(
        signal_id="sig-1",
        theme="reachability",
        life_domain="wmo",
        municipality="GM0590",
        level="local",
        raised_by="resident",
        raised_at=T0,
    )


def acknowledged(minutes: float) -> SignalAcknowledged:
    return SignalAcknowledged(
        signal_id="sig-1", municipality="GM0590", by_organisation="gemeente", acknowledged_at=at(minutes)
    )


def answered(minutes: float) -> SignalAnswered:
    return SignalAnswered(signal_id="sig-1", municipality="GM0590", by_organisation="gemeente", answered_at=at(minutes))


def planned(minutes: float, day: int) -> CouncilMeetingPlanned:
    return CouncilMeetingPlanned(
        meeting_id="m-1",
        council="adviesraad",
        municipality="GM0505",
        planned_for=date(2025, 4, day),
        planned_at=at(minutes),
    )


def held(minutes: float, residents: int) -> CouncilMeetingHeld:
    people = [Participant(role="resident", age_band="65_74", life_domains=["wmo"]) for _ in range(residents)]
    return CouncilMeetingHeld(
        meeting_id="m-1",
        council="adviesraad",
        municipality="GM0505",
        held_on=date(2025, 4, 10),
        participants=[*people, Participant(role="partner", organisation="mee-plus")],
        recorded_at=at(minutes),
    )


MERGES: dict[type, tuple[Callable[[Any, Any], Any], Callable[[Any], str]]] = {
    QuestionChange: (domain.merge_question, lambda c: c.fact.question_id),
    AssignmentFact: (domain.merge_assignment, lambda c: c.assignment_id),
    SupporterFact: (domain.merge_supporter, lambda c: c.supporter_id),
    SignalFact: (domain.merge_signal, lambda c: c.signal_id),
    ExperienceFact: (domain.merge_experience, lambda c: c.experience_id),
    MeetingFact: (domain.merge_meeting, lambda c: c.meeting_id),
}


def fold(events: list[Event]) -> dict[tuple[str, str], Any]:
    """Every fact the events make, by (fact type, key), applying changes in the given order."""
    facts: dict[tuple[str, str], Any] = {}
    for event in events:
        for change in changes_of(event):
            merge, key_of = MERGES[type(change)]
            key = (type(change).__name__, key_of(change))
            facts[key] = merge(facts.get(key), change)
    return facts


def one(facts: dict[tuple[str, str], Any], kind: type, key: str) -> Any:
    name = "QuestionChange" if kind is QuestionFact else kind.__name__
    return facts[(name, key)]


# --- assignments and the question's later milestones ----------------------------------------------


def test_an_assignment_goes_from_assigned_to_accepted_to_ended() -> None:
    facts = fold([received(), assigned("a-1", 30)])
    assert one(facts, AssignmentFact, "a-1").state == "assigned"
    assert one(facts, QuestionFact, QID).status == "assigned"

    facts = fold([received(), assigned("a-1", 30), accepted("a-1", 90)])
    assignment = one(facts, AssignmentFact, "a-1")
    assert (assignment.state, assignment.accepted_at, assignment.supporter_kind) == ("accepted", at(90), "professional")
    question = one(facts, QuestionFact, QID)
    assert (question.status, question.accepted_at) == ("accepted", at(90))

    facts = fold([received(), assigned("a-1", 30), accepted("a-1", 90), ended("a-1", 5000)])
    assert one(facts, AssignmentFact, "a-1").state == "ended"
    assert one(facts, QuestionFact, QID).status == "closed"
    assert one(facts, QuestionFact, QID).ended_at == at(5000)


def test_a_decline_keeps_its_reason_code_and_dutch_text() -> None:
    fact = one(fold([assigned("a-1", 30), declined("a-1", 40)]), AssignmentFact, "a-1")
    assert fact.state == "declined"
    assert (fact.decline_code, fact.decline_text, fact.declined_by) == (
        "no_capacity",
        "De ondersteuner heeft geen plek.",
        "supporter",
    )


def test_the_first_assignment_names_organisation_and_kind_whatever_the_order() -> None:
    first = assigned("a-2", 20, "ouderplatform", "volunteer")
    later = assigned("a-1", 60, "mee-plus", "professional")
    for events in ([first, later], [later, first], [later, first, later]):
        question = one(fold([received(), *events]), QuestionFact, QID)
        assert (question.organisation, question.supporter_kind, question.assigned_at) == (
            "ouderplatform",
            "volunteer",
            at(20),
        )


def test_first_contact_keeps_the_earliest_day_with_its_method_and_counts_working_days() -> None:
    # Assigned Monday 3 March 2025 (10:00 Dutch time); reached on Thursday: 3 working days, the last one due.
    early, late = contacted("a-1", date(2025, 3, 6), "visit"), contacted("a-1", date(2025, 3, 10), "email")
    for events in ([assigned("a-1", 60), early, late], [late, early, assigned("a-1", 60)], [early, late, early]):
        fact = one(fold(events), AssignmentFact, "a-1")
        assert (fact.first_contact_on, fact.first_contact_method) == (date(2025, 3, 6), "visit")
    fact = one(fold([late, early, assigned("a-1", 60)]), AssignmentFact, "a-1")
    assert fact.derived() == {
        "state": "assigned",
        "first_contact_working_days": 3,
        "first_contact_due_on": date(2025, 3, 6),
    }


def test_first_contact_on_the_same_day_is_zero_working_days_and_unknown_without_the_assignment() -> None:
    same_day = one(fold([assigned("a-1", 60), contacted("a-1", date(2025, 3, 3))]), AssignmentFact, "a-1")
    assert same_day.first_contact_working_days == 0
    alone = one(fold([contacted("a-1", date(2025, 3, 3))]), AssignmentFact, "a-1")
    assert (alone.first_contact_working_days, alone.first_contact_due_on, alone.organisation) == (
        None,
        None,
        "mee-plus",
    )


def test_two_contacts_on_the_same_day_are_decided_by_value_not_by_arrival() -> None:
    a, b = contacted("a-1", date(2025, 3, 4), "visit"), contacted("a-1", date(2025, 3, 4), "phone")
    assert one(fold([a, b]), AssignmentFact, "a-1") == one(fold([b, a]), AssignmentFact, "a-1")
    assert one(fold([a, b]), AssignmentFact, "a-1").first_contact_method == "phone"


def test_the_end_keeps_its_outcome_whatever_the_order() -> None:
    for events in (
        [ended("a-1", 900, "completed"), ended("a-1", 950, "moved")],
        [ended("a-1", 950, "moved"), ended("a-1", 900, "completed")],
    ):
        fact = one(fold([assigned("a-1", 30), *events]), AssignmentFact, "a-1")
        assert (fact.ended_at, fact.end_code, fact.state) == (at(900), "completed", "ended")
    assert one(fold([ended("a-1", 900)]), AssignmentFact, "a-1").end_code is None


def test_a_duo_is_closed_when_the_last_support_ends() -> None:
    events = [assigned("a-1", 10), assigned("a-2", 10, "ouderplatform", "volunteer"), ended("a-2", 900)]
    assert one(fold([*events, ended("a-1", 500)]), QuestionFact, QID).ended_at == at(900)


def test_the_question_keeps_found_via_and_age_band_but_no_resident_ref() -> None:
    question = one(fold([assigned("a-1", 30), received()]), QuestionFact, QID)
    assert (question.found_via, question.age_band, question.complete) == ("huisarts", "27_44", True)
    every_field = {
        f.name
        for cls in (QuestionFact, AssignmentFact, SupporterFact, SignalFact, ExperienceFact, MeetingFact)
        for f in fields(cls)
    }
    assert "resident_ref" not in every_field
    assert "r-secret" not in repr(fold([received()]))


# --- supporters -----------------------------------------------------------------------------------


def test_the_latest_supporter_profile_wins_in_any_order() -> None:
    registered, update = supporter(SupporterRegistered, 0, 3), supporter(SupporterUpdated, 60, 5)
    for events in ([registered, update], [update, registered], [update, registered, update]):
        fact = one(fold(events), SupporterFact, "s-9")
        assert (fact.capacity, fact.as_of, fact.municipalities) == (5, at(60), ("GM0505", "GM0642"))


def test_two_profiles_at_the_same_moment_are_decided_by_value_not_by_arrival() -> None:
    a, b = supporter(SupporterUpdated, 60, 4), supporter(SupporterUpdated, 60, 7)
    assert one(fold([a, b]), SupporterFact, "s-9") == one(fold([b, a]), SupporterFact, "s-9")


# --- signals --------------------------------------------------------------------------------------


def test_signal_steps_set_the_status_even_before_the_raise_is_seen() -> None:
    early = one(fold([acknowledged(60)]), SignalFact, "sig-1")
    assert (early.status, early.raised_at, early.theme, early.municipality) == ("acknowledged", None, None, "GM0590")
    full = one(fold([answered(600), acknowledged(60), raised()]), SignalFact, "sig-1")
    assert (full.status, full.theme, full.raised_at, full.acknowledged_at, full.answered_at) == (
        "answered",
        "reachability",
        T0,
        at(60),
        at(600),
    )


# --- experiences and meetings ---------------------------------------------------------------------


def test_an_experience_keeps_answers_and_mark_but_no_text() -> None:
    shared = ExperienceShared(
        experience_id="e-1",
        municipality="GM0505",
        life_domains=["wmo", "debts"],
        age_band="75_plus",
        organisation="mee-plus",
        supporter_kind="professional",
        statements=ExperienceStatements(knew_where_to_go="disagree", helped_quickly="agree"),
        score=8,
        has_text=True,
        shared_at=T0,
    )
    fact = one(fold([shared, shared]), ExperienceFact, "e-1")
    assert (fact.knew_where_to_go, fact.helped_quickly, fact.supporter_on_my_side) == ("disagree", "agree", None)
    assert (fact.score, fact.has_text, fact.life_domains) == (8, True, ("wmo", "debts"))


def test_attendance_recorded_before_the_plan_still_converges() -> None:
    before = one(fold([held(900, 3), planned(0, 10)]), MeetingFact, "m-1")
    after = one(fold([planned(0, 10), held(900, 3)]), MeetingFact, "m-1")
    assert before == after
    assert (before.planned_for, before.held_on, len(before.participants)) == (date(2025, 4, 10), date(2025, 4, 10), 4)
    assert [p.role for p in before.participants].count("resident") == 3


def test_a_later_record_of_attendance_and_a_later_plan_replace_earlier_ones() -> None:
    fact = one(fold([held(2000, 5), planned(10, 12), held(900, 3), planned(0, 10)]), MeetingFact, "m-1")
    assert (fact.planned_for, fact.recorded_at, len(fact.participants)) == (date(2025, 4, 12), at(2000), 6)
    plan_only = one(fold([planned(10, 12), planned(0, 10)]), MeetingFact, "m-1")
    assert (plan_only.planned_for, plan_only.held_on, plan_only.participants) == (date(2025, 4, 12), None, ())


# --- convergence over everything ------------------------------------------------------------------

EVERYTHING: list[Event] = [
    received(),
    QuestionWaiting(question_id=QID, municipality="GM0505", eligible_supporters=2, since=at(5)),
    assigned("a-1", 30),
    assigned("a-2", 30, "ouderplatform", "volunteer"),
    declined("a-1", 45),
    accepted("a-2", 50),
    contacted("a-2", date(2025, 3, 5), "visit"),
    contacted("a-2", date(2025, 3, 7), "phone"),
    ended("a-2", 4000, "completed"),
    supporter(SupporterRegistered, 0, 3),
    supporter(SupporterUpdated, 60, 5),
    supporter(SupporterUpdated, 120, 2),
    raised(),
    acknowledged(60),
    answered(600),
    planned(0, 10),
    held(900, 3),
    held(950, 4),
]


@st.composite
def orders_with_repeats(draw: st.DrawFn) -> list[Event]:
    repeats = draw(st.lists(st.sampled_from(EVERYTHING), max_size=8))
    return draw(st.permutations([*EVERYTHING, *repeats]))


@given(orders_with_repeats())
def test_every_fact_converges_whatever_the_order_and_repetition(events: list[Event]) -> None:
    assert fold(events) == fold(EVERYTHING)


def test_the_converged_facts_are_the_expected_ones() -> None:
    facts = fold(EVERYTHING)
    question = one(facts, QuestionFact, QID)
    assert (question.status, question.organisation, question.supporter_kind) == ("closed", "mee-plus", "professional")
    assert [one(facts, AssignmentFact, a).state for a in ("a-1", "a-2")] == ["declined", "ended"]
    a2 = one(facts, AssignmentFact, "a-2")
    assert (a2.first_contact_on, a2.first_contact_method, a2.first_contact_working_days) == (
        date(2025, 3, 5),
        "visit",
        2,
    )
    assert (a2.end_code, a2.supporter_kind) == ("completed", "volunteer")
    assert one(facts, SupporterFact, "s-9").capacity == 2
    assert one(facts, SignalFact, "sig-1").status == "answered"
    assert len(one(facts, MeetingFact, "m-1").participants) == 5
