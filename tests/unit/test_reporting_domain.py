"""Projection rules of reporting: what an event changes, and convergence whatever the order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from contracts.events import (
    ConsultationRequired,
    Event,
    NotificationSent,
    QuestionReceived,
    QuestionWaiting,
    Reason,
    SignalRaised,
    SupporterAssigned,
)
from services.reporting.domain import (
    QuestionChange,
    QuestionFact,
    SignalFact,
    changes_of,
    merge_question,
    status_of,
    storable,
)

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
QID = "q-1"


def received(at: datetime = T0, municipality: str = "GM0505") -> QuestionReceived:
    return QuestionReceived(
        question_id=QID,
        resident_ref="r-1",
        municipality=municipality,
        life_domains=["wmo", "youth"],
        preferred_supporter_kind="any",
        languages=["nl"],
        postcode="3311",
        channel="partner",
        referrer="wijkteam-noord",
        received_at=at,
    )


def assigned(minutes: int, received_at: datetime = T0) -> SupporterAssigned:
    return SupporterAssigned(
        question_id=QID,
        assignment_id=f"a-{minutes}",
        supporter_id="s-1",
        organisation="mee-plus",
        supporter_kind="professional",
        municipality="GM0505",
        score=0.9,
        received_at=received_at,
        assigned_at=T0 + timedelta(minutes=minutes),
    )


def waiting(minutes: int) -> QuestionWaiting:
    return QuestionWaiting(
        question_id=QID, municipality="GM0505", eligible_supporters=3, since=T0 + timedelta(minutes=minutes)
    )


def consultation(minutes: int) -> ConsultationRequired:
    return ConsultationRequired(
        question_id=QID,
        municipality="GM0505",
        reason=Reason(code="no_match", text="Geen ondersteuner past."),
        required_at=T0 + timedelta(minutes=minutes),
    )


def fold(events: list[Event]) -> QuestionFact:
    """Apply the events' question changes in the given order, starting from nothing."""
    fact: QuestionFact | None = None
    for event in events:
        for change in changes_of(event):
            if isinstance(change, QuestionChange):
                fact = merge_question(fact, change)
    assert fact is not None
    return fact


def test_question_received_makes_a_complete_fact() -> None:
    fact = fold([received()])
    assert fact == QuestionFact(
        QID,
        municipality="GM0505",
        life_domains=("wmo", "youth"),
        channel="partner",
        referrer="wijkteam-noord",
        received_at=T0,
        complete=True,
    )
    assert fact.status == "received"


def test_assignment_for_an_unknown_question_creates_a_partial_fact() -> None:
    fact = fold([assigned(30)])
    assert not fact.complete
    assert fact.life_domains is None and fact.channel is None
    assert (fact.municipality, fact.received_at, fact.assigned_at) == ("GM0505", T0, T0 + timedelta(minutes=30))
    assert fact.status == "assigned"


def test_question_received_completes_the_partial_fact() -> None:
    fact = fold([assigned(30), received()])
    assert fact.complete
    assert fact.life_domains == ("wmo", "youth")
    assert fact.channel == "partner" and fact.referrer == "wijkteam-noord"
    assert fact.assigned_at == T0 + timedelta(minutes=30)
    assert fact.status == "assigned"


def test_question_received_is_authoritative_over_copies_in_other_events() -> None:
    for copy in (T0 - timedelta(minutes=5), T0 + timedelta(minutes=5)):
        before = fold([assigned(30, received_at=copy), received(at=T0)])
        after = fold([received(at=T0), assigned(30, received_at=copy)])
        assert before.received_at == T0
        assert before == after


def test_assigned_beats_waiting_and_consultation_in_any_order() -> None:
    for events in ([waiting(5), assigned(60)], [assigned(60), waiting(5)], [consultation(5), assigned(60)]):
        assert status_of(fold(events)) == "assigned"
    assert status_of(fold([assigned(60), consultation(5), waiting(6), received()])) == "assigned"


def test_the_later_of_waiting_and_consultation_wins() -> None:
    assert fold([consultation(10), waiting(5)]).status == "consultation"
    assert fold([waiting(10), consultation(5)]).status == "waiting"
    assert fold([waiting(5), consultation(5)]).status == "consultation"


def test_milestones_keep_the_earliest_moment() -> None:
    fact = fold([assigned(40), assigned(20), waiting(9), waiting(3)])
    assert fact.assigned_at == T0 + timedelta(minutes=20)
    assert fact.waiting_since == T0 + timedelta(minutes=3)


def test_applying_the_same_event_twice_changes_nothing() -> None:
    for event in (received(), assigned(30), waiting(5), consultation(5)):
        once = fold([event])
        assert fold([event, event]) == once


def test_signal_raised_gives_a_signal_fact() -> None:
    signal = SignalRaised(
        signal_id="sig-1",
        theme="waiting_times",
        life_domain="youth",
        municipality="GM0642",
        level="regional",
        raised_by="council",
        raised_at=T0,
    )
    assert changes_of(signal) == [SignalFact("sig-1", "GM0642", "waiting_times", "youth", "regional", "council", T0)]
    [fact] = changes_of(signal)
    assert isinstance(fact, SignalFact) and fact.status == "raised"


def test_events_no_projection_uses_change_nothing_but_are_storable() -> None:
    sent = NotificationSent(
        notification_id="n-1",
        cause_event_id="e-1",
        recipient_role="resident",
        channel="email",
        template="question_received",
        sent_at=T0,
    )
    assert changes_of(sent) == []
    assert storable(sent.ce_type)
    assert not storable("nl.samenloket.referral.submitted.v1")


# --- convergence: any order, any repetition --------------------------------------------------------

ALL_EVENTS: list[Event] = [
    received(),
    assigned(45, received_at=T0 + timedelta(minutes=1)),
    assigned(50, received_at=T0 - timedelta(minutes=1)),
    assigned(30),
    waiting(10),
    waiting(12),
    consultation(11),
]


@st.composite
def orders_with_repeats(draw: st.DrawFn) -> list[Event]:
    """Every event at least once, some more than once, in any order."""
    repeats = draw(st.lists(st.sampled_from(ALL_EVENTS), max_size=6))
    return draw(st.permutations([*ALL_EVENTS, *repeats]))


@given(orders_with_repeats())
def test_facts_converge_whatever_the_order_and_repetition(events: list[Event]) -> None:
    fact = fold(events)
    assert fact == fold(ALL_EVENTS)
    assert fact.complete and fact.received_at == T0
    assert fact.assigned_at == T0 + timedelta(minutes=30)


@given(st.permutations(ALL_EVENTS[1:]))
def test_partial_facts_converge_without_question_received(events: list[Event]) -> None:
    fact = fold(events)
    assert fact == fold(ALL_EVENTS[1:])
    assert not fact.complete
    assert fact.received_at == T0 - timedelta(minutes=1)  # the earliest copy, whatever came first
    assert fact.status == "assigned"
