"""CloudEvents binary mode exactly as ARCHITECTURE.md lists it, and the payload classes themselves."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from contracts import topics
from contracts.codes import LANGUAGES
from contracts.envelope import CloudEvent, InvalidEvent, decode, encode, from_model, header_map, parse
from contracts.events import (
    EVENT_TYPES,
    REGISTRY,
    AdviceAnswered,
    AdviceGiven,
    AssignmentAccepted,
    AssignmentDeclined,
    CandidateVerdict,
    Consent,
    ConsultationAppointmentHeld,
    ConsultationAppointmentPlanned,
    ConsultationRequired,
    Contact,
    CouncilMeetingHeld,
    CouncilMeetingPlanned,
    Event,
    ExperienceShared,
    ExperienceStatements,
    FirstContactMade,
    FirstContactOverdue,
    NotificationFailed,
    NotificationSent,
    PanelMemberInvited,
    Participant,
    QuestionClosed,
    QuestionReceived,
    QuestionSubmission,
    QuestionWaiting,
    QuestionWithdrawn,
    Reason,
    ReferralStatusChanged,
    ReferralSubmitted,
    ResidentErased,
    ResidentErasureRequested,
    SignalAcknowledged,
    SignalAnswered,
    SignalRaised,
    StatisticCell,
    StatisticsPublished,
    StatusLinkRequested,
    SupportEnded,
    SupporterAssigned,
    SupporterRegistered,
    SupporterUpdated,
)

AT = datetime(2025, 3, 14, 9, 26, 53, 589793, tzinfo=UTC)
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
QUESTION_ID = "q-0b7e6c1e"

#: The binding example of ARCHITECTURE.md, "The question, as partners send it".
SUBMISSION: dict[str, Any] = {
    "municipality": "GM0505",
    "life_domains": ["wmo", "youth"],
    "description": "Ik zoek hulp bij de aanvraag voor begeleiding van mijn zoon.",
    "preferred_supporter_kind": "any",
    "languages": ["nl"],
    "postcode": "3311",
    "channel": "web",
    "contact": {"name": "A. de Vries", "email": "a.devries@example.nl", "phone": "0612345678"},
    "consent": {"share_with_supporter": True},
}

REASON = Reason(code="language_match", text="Spreekt Nederlands en Arabisch.")

#: One realistic instance of every event class; a new class needs an example here.
EXAMPLES: dict[type[Event], Event] = {
    ReferralSubmitted: ReferralSubmitted(
        **{**SUBMISSION, "channel": "partner"}, partner_reference="WIJK-2025-0042", referrer="org-wijkteam"
    ),
    QuestionReceived: QuestionReceived(
        question_id=QUESTION_ID,
        resident_ref="r-5f2a9c",
        municipality="GM0505",
        life_domains=["wmo", "youth"],
        preferred_supporter_kind="any",
        languages=["nl", "ar"],
        postcode="3311",
        channel="web",
        referrer=None,
        received_at=AT,
    ),
    SupporterAssigned: SupporterAssigned(
        question_id=QUESTION_ID,
        assignment_id="a-77",
        supporter_id="s-12",
        organisation="org-mee",
        supporter_kind="professional",
        municipality="GM0505",
        score=0.875,
        reasons=[REASON],
        received_at=AT,
        assigned_at=AT + timedelta(milliseconds=40),
    ),
    QuestionWaiting: QuestionWaiting(question_id=QUESTION_ID, municipality="GM0642", eligible_supporters=3, since=AT),
    ConsultationRequired: ConsultationRequired(
        question_id=QUESTION_ID,
        municipality="GM0590",
        reason=Reason(code="no_language", text="Niemand spreekt Tigrinya."),
        candidates=[CandidateVerdict(supporter_id="s-3", organisation="org-mee", failed_rules=[REASON])],
        required_at=AT,
    ),
    NotificationSent: NotificationSent(
        notification_id="n-1",
        cause_event_id=str(uuid.uuid4()),
        question_id=QUESTION_ID,
        recipient_role="resident",
        channel="email",
        template="question_received",
        sent_at=AT,
    ),
    NotificationFailed: NotificationFailed(
        notification_id="n-2",
        cause_event_id=str(uuid.uuid4()),
        recipient_role="partner",
        channel="webhook",
        template="referral_status",
        reason="HTTP 503",
        permanent=False,
        attempts=3,
        failed_at=AT,
    ),
    SignalRaised: SignalRaised(
        signal_id="sig-9",
        theme="waiting_times",
        life_domain="youth",
        municipality="GM1978",
        level="regional",
        raised_by="supporter",
        raised_at=AT,
    ),
    ReferralStatusChanged: ReferralStatusChanged(
        question_id="q-1",
        referrer="huisarts-dordrecht",
        partner_reference="HA-2026-0042",
        municipality="GM0505",
        status="waiting",
        previous_status="received",
        reason=Reason(code="no_capacity", text="Er is nu geen ondersteuner vrij."),
        changed_at=AT,
    ),
    ResidentErasureRequested: ResidentErasureRequested(resident_ref="r-1", question_ids=["q-1"], requested_at=AT),
    ResidentErased: ResidentErased(resident_ref="r-1", service="intake", erased_at=AT),
    SupporterRegistered: SupporterRegistered(
        supporter_id="s-12",
        organisation="mee-plus",
        kind="experience_expert",
        municipalities=["GM0505", "GM0642"],
        life_domains=["youth", "education"],
        languages=["nl", "tr"],
        specialisms=["lvb"],
        experience_themes=["parent_of_child_with_disability"],
        capacity=6,
        postcode="3311",
        registered_at=AT,
    ),
    SupporterUpdated: SupporterUpdated(
        supporter_id="s-12",
        organisation="mee-plus",
        kind="experience_expert",
        municipalities=["GM0505"],
        life_domains=["youth"],
        languages=["nl"],
        capacity=4,
        availability="paused",
        paused_until=date(2025, 4, 1),
        changed=["capacity", "availability", "paused_until"],
        updated_at=AT,
    ),
    AssignmentAccepted: AssignmentAccepted(
        question_id=QUESTION_ID,
        assignment_id="a-77",
        supporter_id="s-12",
        organisation="org-mee",
        municipality="GM0505",
        accepted_at=AT,
    ),
    AssignmentDeclined: AssignmentDeclined(
        question_id=QUESTION_ID,
        assignment_id="a-77",
        supporter_id="s-12",
        organisation="org-mee",
        municipality="GM0505",
        declined_by="resident",
        reason=Reason(code="resident_preference", text="De inwoner wil liever een andere ondersteuner."),
        declined_at=AT,
    ),
    SupportEnded: SupportEnded(
        question_id=QUESTION_ID,
        assignment_id="a-77",
        supporter_id="s-12",
        organisation="org-mee",
        municipality="GM0505",
        reason=Reason(code="completed", text="De ondersteuning is klaar."),
        ended_at=AT,
    ),
    FirstContactMade: FirstContactMade(
        question_id=QUESTION_ID,
        assignment_id="a-77",
        supporter_id="s-12",
        organisation="org-mee",
        municipality="GM0505",
        method="phone",
        reached_on=date(2025, 3, 3),
        recorded_at=AT,
    ),
    FirstContactOverdue: FirstContactOverdue(
        question_id=QUESTION_ID,
        assignment_id="a-77",
        supporter_id="s-12",
        organisation="org-mee",
        municipality="GM0505",
        stage="reminder",
        assigned_at=AT,
        working_days=2,
        noticed_at=AT,
    ),
    QuestionWithdrawn: QuestionWithdrawn(
        question_id=QUESTION_ID,
        municipality="GM0505",
        withdrawn_by="resident",
        reason=Reason(code="no_longer_needed", text="De inwoner heeft geen hulp meer nodig."),
        previous_status="assigned",
        withdrawn_at=AT,
    ),
    QuestionClosed: QuestionClosed(
        question_id=QUESTION_ID,
        municipality="GM0505",
        reason=Reason(code="completed", text="De ondersteuning is klaar."),
        closed_at=AT,
    ),
    StatusLinkRequested: StatusLinkRequested(question_id=QUESTION_ID, municipality="GM0505", requested_at=AT),
    ConsultationAppointmentPlanned: ConsultationAppointmentPlanned(
        question_id=QUESTION_ID, municipality="GM0505", planned_for=AT + timedelta(days=3), planned_at=AT
    ),
    ConsultationAppointmentHeld: ConsultationAppointmentHeld(
        question_id=QUESTION_ID, municipality="GM0505", planned_for=AT, held_at=AT + timedelta(minutes=50)
    ),
    SignalAcknowledged: SignalAcknowledged(
        signal_id="sig-9", municipality="GM1978", by_organisation="gemeente-molenlanden", acknowledged_at=AT
    ),
    SignalAnswered: SignalAnswered(
        signal_id="sig-9", municipality="GM1978", by_organisation="gemeente-molenlanden", answered_at=AT
    ),
    ExperienceShared: ExperienceShared(
        experience_id="e-3",
        municipality="GM0505",
        life_domains=["wmo"],
        age_band="65_74",
        organisation="org-mee",
        supporter_kind="volunteer",
        statements=ExperienceStatements(knew_where_to_go="agree", helped_quickly="neutral"),
        score=8,
        has_text=True,
        shared_at=AT,
    ),
    CouncilMeetingPlanned: CouncilMeetingPlanned(
        meeting_id="m-1",
        council="adviesraad-drechtsteden",
        planned_for=date(2025, 5, 20),
        themes=["waiting_times"],
        invited_organisations=["org-mee", "ouderplatform"],
        planned_at=AT,
    ),
    CouncilMeetingHeld: CouncilMeetingHeld(
        meeting_id="m-1",
        council="adviesraad-drechtsteden",
        municipality="GM0505",
        held_on=date(2025, 5, 20),
        participants=[
            Participant(role="resident", municipality="GM0505", age_band="27_44", life_domains=["youth"]),
            Participant(role="partner", organisation="org-mee"),
        ],
        recorded_at=AT,
    ),
    AdviceGiven: AdviceGiven(
        advice_id="a-1",
        council="adviesraad-drechtsteden",
        municipality="GM0505",
        recipient="college",
        given_on=date(2025, 6, 2),
        response_due=date(2025, 7, 14),
        themes=["waiting_times"],
        life_domains=["wmo"],
        signal_count=3,
        recorded_at=AT,
    ),
    AdviceAnswered: AdviceAnswered(
        advice_id="a-1",
        council="adviesraad-drechtsteden",
        municipality="GM0505",
        decision="partly_adopted",
        decided_on=date(2025, 7, 1),
        responded_on=date(2025, 7, 3),
        answered_at=AT,
    ),
    PanelMemberInvited: PanelMemberInvited(
        invitation_id="pi-1",
        question_id=QUESTION_ID,
        council="adviesraad-drechtsteden",
        municipality="GM0505",
        kind="meeting",
        meeting_on=date(2025, 9, 10),
        life_domains=["wmo"],
        invited_at=AT,
    ),
    StatisticsPublished: StatisticsPublished(
        statistics_id="st-1",
        area="GM0505",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 3, 31),
        threshold=10,
        cells=[
            StatisticCell(
                table="questions_by_life_domain", row="wmo", column="n", value=42, display="42", suppressed=False
            ),
            StatisticCell(
                table="questions_by_life_domain", row="wlz", column="n", value=None, display="<10", suppressed=True
            ),
        ],
        published_at=AT,
    ),
}

CE_TYPE = re.compile(r"^nl\.samenloket\.[a-z][a-z_]*\.[a-z][a-z_]*\.v[1-9][0-9]*$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
W3C_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
BINDING_HEADERS = {
    "ce_specversion",
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_time",
    "ce_subject",
    "content-type",
    "traceparent",
    "ce_municipality",
}


def encoded(model: Event, source: str = "/samenloket/intake") -> tuple[CloudEvent, bytes, bytes, dict[str, bytes]]:
    event = from_model(model, source=source, traceparent=TRACEPARENT)
    key, value, headers = encode(event)
    as_dict = dict(headers)
    assert len(as_dict) == len(headers), f"duplicate headers: {headers}"
    return event, key, value, as_dict


def without(headers: dict[str, bytes], name: str) -> list[tuple[str, bytes]]:
    return [(k, v) for k, v in headers.items() if k != name]


# --- headers -------------------------------------------------------------------------------------


def test_encode_writes_exactly_the_binding_headers() -> None:
    model = EXAMPLES[QuestionReceived]
    _, key, value, headers = encoded(model)

    assert set(headers) == BINDING_HEADERS
    assert headers["ce_specversion"] == b"1.0"
    assert uuid.UUID(headers["ce_id"].decode()).version == 4
    assert headers["ce_source"] == b"/samenloket/intake"
    assert headers["ce_type"] == b"nl.samenloket.question.received.v1"
    assert RFC3339.match(headers["ce_time"].decode()), headers["ce_time"]
    assert headers["ce_subject"] == QUESTION_ID.encode()
    assert headers["content-type"] == b"application/json"
    assert headers["traceparent"] == TRACEPARENT.encode()
    assert W3C_TRACEPARENT.match(headers["traceparent"].decode())
    assert headers["ce_municipality"] == b"GM0505"
    assert key == headers["ce_subject"] == model.subject().encode()
    assert json.loads(value) == model.model_dump(mode="json")


def test_each_event_gets_its_own_id() -> None:
    model = EXAMPLES[QuestionReceived]
    ids = {encoded(model)[3]["ce_id"] for _ in range(20)}
    assert len(ids) == 20


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC), "2025-03-14T09:26:53Z"),
        (AT, "2025-03-14T09:26:53.589793Z"),
        (datetime(2025, 3, 14, 10, 26, 53, tzinfo=timezone(timedelta(hours=1))), "2025-03-14T10:26:53+01:00"),
    ],
)
def test_ce_time_is_rfc3339_and_round_trips(moment: datetime, text: str) -> None:
    event = CloudEvent(type=QuestionWaiting.ce_type, source="/samenloket/matching", subject="q", data={}, time=moment)
    _, _, headers = encode(event)
    assert dict(headers)["ce_time"].decode() == text
    assert RFC3339.match(text)
    assert decode(headers, b"{}").time == moment


def test_encode_refuses_a_naive_time() -> None:
    event = CloudEvent(type=QuestionWaiting.ce_type, source="/s", subject="q", data={}, time=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        encode(event)


def test_decode_keeps_every_attribute() -> None:
    model = EXAMPLES[SupporterAssigned]
    event, _, value, headers = encoded(model, source="/samenloket/matching")
    decoded = decode(list(headers.items()), value)
    assert decoded == event
    assert decoded.key == event.key


@pytest.mark.parametrize("missing", ["ce_specversion", "ce_id", "ce_source", "ce_type"])
def test_decode_names_a_missing_header(missing: str) -> None:
    _, _, value, headers = encoded(EXAMPLES[QuestionReceived])
    with pytest.raises(InvalidEvent, match=missing):
        decode(without(headers, missing), value)


def test_decode_treats_an_empty_header_as_missing() -> None:
    _, _, value, headers = encoded(EXAMPLES[QuestionReceived])
    with pytest.raises(InvalidEvent, match="ce_id"):
        decode([*without(headers, "ce_id"), ("ce_id", b"")], value)


def test_decode_without_any_headers_names_all_of_them() -> None:
    with pytest.raises(InvalidEvent) as info:
        decode(None, b"{}")
    for name in ("ce_specversion", "ce_id", "ce_source", "ce_type"):
        assert name in str(info.value)


def test_only_the_spec_required_attributes_are_needed_subject_and_time_stand_in() -> None:
    """A partner's CloudEvents SDK may send only id, source, specversion and type (issue 14, row 15)."""
    _, _, value, headers = encoded(EXAMPLES[QuestionReceived])
    bare = [(k, v) for k, v in headers.items() if k not in ("ce_subject", "ce_time")]
    before = datetime.now(UTC)
    from_key = decode(bare, value, key=b"partner-ref-7")
    assert from_key.subject == "partner-ref-7" and from_key.time >= before
    assert decode(bare, value).subject == headers["ce_id"].decode()


def test_structured_mode_is_read_like_binary_mode() -> None:
    event, _, value, headers = encoded(EXAMPLES[SupporterAssigned], source="/samenloket/matching")
    envelope = {
        "specversion": "1.0",
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "subject": event.subject,
        "time": headers["ce_time"].decode(),
        "municipality": event.municipality,
        "datacontenttype": "application/json",
        "data": json.loads(value),
    }
    structured = decode(
        [("content-type", b"application/cloudevents+json; charset=utf-8")], json.dumps(envelope).encode()
    )
    assert structured == dataclasses.replace(event, traceparent=None)
    envelope.pop("data")
    envelope["data_base64"] = base64.b64encode(value).decode()
    assert decode([("content-type", b"application/cloudevents+json")], json.dumps(envelope).encode()).data == event.data
    with pytest.raises(InvalidEvent, match="source"):
        decode(
            [("content-type", b"application/cloudevents+json")],
            json.dumps({"specversion": "1.0", "id": "x", "type": "t"}).encode(),
        )


@pytest.mark.parametrize(
    "value",
    [
        b"[" * 200_000 + b"]" * 200_000,  # nested deeper than Python reads: RecursionError inside json
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b"\xff\xfe not utf-8",
        b"x" * (1024 * 1024 + 1),
    ],
    ids=["deep-array", "deep-object", "not-utf8", "too-large"],
)
def test_whatever_cannot_be_read_is_an_invalid_event_never_another_exception(value: bytes) -> None:
    _, _, _, headers = encoded(EXAMPLES[QuestionReceived])
    with pytest.raises(InvalidEvent):
        decode(list(headers.items()), value)


def test_decode_refuses_another_specversion() -> None:
    _, _, value, headers = encoded(EXAMPLES[QuestionReceived])
    with pytest.raises(InvalidEvent, match="ce_specversion"):
        decode([*without(headers, "ce_specversion"), ("ce_specversion", b"0.3")], value)


@pytest.mark.parametrize("bad", [b"yesterday", b"2025-03-14T09:26:53", b"2025-03-14"])
def test_decode_refuses_a_time_that_is_not_rfc3339(bad: bytes) -> None:
    _, _, value, headers = encoded(EXAMPLES[QuestionReceived])
    with pytest.raises(InvalidEvent, match="ce_time"):
        decode([*without(headers, "ce_time"), ("ce_time", bad)], value)


@pytest.mark.parametrize("value", [b"{not json", b"", None, b"\xff\xfe"])
def test_decode_refuses_a_payload_that_is_not_json(value: bytes | None) -> None:
    _, _, _, headers = encoded(EXAMPLES[QuestionReceived])
    with pytest.raises(InvalidEvent, match="not JSON"):
        decode(list(headers.items()), value)


def test_decode_refuses_a_payload_that_is_not_an_object() -> None:
    _, _, _, headers = encoded(EXAMPLES[QuestionReceived])
    with pytest.raises(InvalidEvent, match="JSON object"):
        decode(list(headers.items()), b"[1, 2]")


def test_parse_refuses_an_unknown_ce_type() -> None:
    _, _, value, headers = encoded(EXAMPLES[QuestionReceived])
    forged = [*without(headers, "ce_type"), ("ce_type", b"nl.samenloket.question.teleported.v1")]
    with pytest.raises(InvalidEvent, match=r"unknown ce_type 'nl\.samenloket\.question\.teleported\.v1'"):
        parse(decode(forged, value))


def test_parse_names_the_field_that_fails_validation() -> None:
    _, _, value, headers = encoded(EXAMPLES[QuestionReceived])
    data = json.loads(value)
    data["postcode"] = "33111"
    del data["received_at"]
    with pytest.raises(InvalidEvent) as info:
        parse(decode(list(headers.items()), json.dumps(data).encode()))
    message = str(info.value)
    assert "nl.samenloket.question.received.v1" in message
    assert "postcode" in message
    assert "received_at" in message
    assert "life_domains" not in message


def test_parse_names_a_nested_field_by_its_path() -> None:
    _, _, value, headers = encoded(EXAMPLES[SupporterAssigned], source="/samenloket/matching")
    data = json.loads(value)
    data["reasons"][0]["code"] = 7
    with pytest.raises(InvalidEvent, match=r"reasons\.0\.code"):
        parse(decode(list(headers.items()), json.dumps(data).encode()))


def test_readers_ignore_fields_they_do_not_know() -> None:
    _, _, value, headers = encoded(EXAMPLES[QuestionWaiting], source="/samenloket/matching")
    data = {**json.loads(value), "added_in_a_later_minor_version": 1}
    parsed = parse(decode(list(headers.items()), json.dumps(data).encode()))
    assert parsed == EXAMPLES[QuestionWaiting]


def test_header_map_survives_undecodable_and_empty_values() -> None:
    assert header_map([("a", b"\xff"), ("b", None)]) == {"a": "\ufffd", "b": ""}  # type: ignore[list-item]


# --- every event class ---------------------------------------------------------------------------


def test_every_event_class_has_an_example() -> None:
    assert set(EXAMPLES) == set(EVENT_TYPES), "add an example instance for each new event class"


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda cls: cls.ce_type)
def test_every_event_round_trips_through_the_envelope(cls: type[Event]) -> None:
    model = EXAMPLES[cls]
    assert type(model) is cls
    event, key, value, headers = encoded(model)
    assert key == model.subject().encode()
    assert headers["ce_type"] == cls.ce_type.encode()
    municipality = getattr(model, "municipality", None)
    assert headers.get("ce_municipality") == (municipality.encode() if municipality else None)

    decoded = decode(list(headers.items()), value)
    assert decoded == event
    parsed = parse(decoded)
    assert type(parsed) is cls
    assert parsed == model
    assert parsed.model_dump(mode="json") == model.model_dump(mode="json")


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda cls: cls.__name__)
def test_ce_type_follows_the_binding_pattern(cls: type[Event]) -> None:
    assert CE_TYPE.match(cls.ce_type), (
        f"{cls.__name__}.ce_type {cls.ce_type!r} is not nl.samenloket.<entity>.<verb>.v<major>"
    )
    assert cls.topic in topics.ALL_TOPICS
    assert REGISTRY[cls.ce_type] is cls


def test_ce_types_are_unique() -> None:
    assert len(REGISTRY) == len(EVENT_TYPES)


@pytest.mark.parametrize(
    ("cls", "ce_type", "topic"),
    [
        (ReferralSubmitted, "nl.samenloket.referral.submitted.v1", "samenloket.referrals.inbound"),
        (QuestionReceived, "nl.samenloket.question.received.v1", "samenloket.questions"),
        (SupporterAssigned, "nl.samenloket.supporter.assigned.v1", "samenloket.assignments"),
        (SignalRaised, "nl.samenloket.signal.raised.v1", "samenloket.signals"),
        (ConsultationRequired, "nl.samenloket.consultation.required.v1", "samenloket.assignments"),
        (NotificationSent, "nl.samenloket.notification.sent.v1", "samenloket.notifications"),
        (NotificationFailed, "nl.samenloket.notification.failed.v1", "samenloket.notifications"),
        (ReferralStatusChanged, "nl.samenloket.referral.status_changed.v1", "samenloket.referrals.status"),
        (ResidentErasureRequested, "nl.samenloket.resident.erasure_requested.v1", "samenloket.privacy"),
    ],
)
def test_binding_types_and_topics_from_the_architecture(cls: type[Event], ce_type: str, topic: str) -> None:
    assert (cls.ce_type, cls.topic) == (ce_type, topic)


PERSONAL_FIELDS = re.compile(r"name|email|phone|address|birth|bsn|description|contact|text_free", re.I)


@pytest.mark.parametrize("cls", [c for c in EVENT_TYPES if c is not ReferralSubmitted], ids=lambda c: c.__name__)
def test_shared_topics_carry_no_personal_data_fields(cls: type[Event]) -> None:
    assert not [f for f in cls.model_fields if PERSONAL_FIELDS.search(f)]


# --- the question as partners send it ------------------------------------------------------------


def errors_of(data: dict[str, Any]) -> list[Any]:
    with pytest.raises(ValidationError) as info:
        QuestionSubmission.model_validate(data)
    return info.value.errors()


def test_the_binding_example_is_accepted() -> None:
    question = QuestionSubmission.model_validate(SUBMISSION)
    assert question.municipality == "GM0505"
    assert question.contact == Contact(name="A. de Vries", email="a.devries@example.nl", phone="0612345678")
    assert question.consent == Consent(share_with_supporter=True)


def test_defaults_of_the_minimal_question() -> None:
    minimal = {k: v for k, v in SUBMISSION.items() if k not in ("preferred_supporter_kind", "languages", "channel")}
    question = QuestionSubmission.model_validate(minimal)
    assert (question.preferred_supporter_kind, question.languages, question.channel) == ("any", ["nl"], "web")


@pytest.mark.parametrize("code", ["GM999", "gm0505", "0505", "GM05050", "XX0505", ""])
def test_what_is_no_municipality_code_is_refused(code: str) -> None:
    (error,) = errors_of({**SUBMISSION, "municipality": code})
    assert error["loc"] == ("municipality",)
    assert "GM and 4 digits" in error["msg"]


def test_any_municipality_code_is_valid_for_the_contract_which_ones_are_served_is_the_regions_business() -> None:
    for code in ("GM0505", "GM0375", "GM0363", "GM9999"):
        assert QuestionSubmission.model_validate({**SUBMISSION, "municipality": code}).municipality == code


def test_unknown_life_domain_is_refused() -> None:
    (error,) = errors_of({**SUBMISSION, "life_domains": ["wmo", "astrology"]})
    assert error["loc"] == ("life_domains", 1)


def test_empty_life_domains_are_refused() -> None:
    (error,) = errors_of({**SUBMISSION, "life_domains": []})
    assert error["loc"] == ("life_domains",)


def test_unknown_language_is_refused() -> None:
    (error,) = errors_of({**SUBMISSION, "languages": ["nl", "klingon"]})
    assert error["loc"] == ("languages",)
    assert "klingon" in error["msg"]
    assert all(code in error["msg"] for code in LANGUAGES)


@pytest.mark.parametrize("postcode", ["33111", "331", "0311", "33AB", "3311 AB"])
def test_postcode_must_be_four_digits(postcode: str) -> None:
    (error,) = errors_of({**SUBMISSION, "postcode": postcode})
    assert error["loc"] == ("postcode",)


def test_unknown_field_is_refused() -> None:
    (error,) = errors_of({**SUBMISSION, "bsn": "123456782"})
    assert error["loc"] == ("bsn",)
    assert error["type"] == "extra_forbidden"


def test_unknown_field_inside_contact_is_refused() -> None:
    (error,) = errors_of({**SUBMISSION, "contact": {**SUBMISSION["contact"], "birth_date": "1980-01-01"}})
    assert error["loc"] == ("contact", "birth_date")


@pytest.mark.parametrize(
    ("field", "value"),
    [("preferred_supporter_kind", "wizard"), ("channel", "pigeon"), ("description", "")],
)
def test_other_bad_values_name_their_field(field: str, value: Any) -> None:
    (error,) = errors_of({**SUBMISSION, field: value})
    assert error["loc"] == (field,)


@pytest.mark.parametrize("missing", ["municipality", "life_domains", "description", "postcode", "contact", "consent"])
def test_required_fields(missing: str) -> None:
    (error,) = errors_of({k: v for k, v in SUBMISSION.items() if k != missing})
    assert error["loc"] == (missing,)
    assert error["type"] == "missing"


def test_referral_carries_the_question_plus_partner_fields() -> None:
    referral = EXAMPLES[ReferralSubmitted]
    assert isinstance(referral, ReferralSubmitted)
    assert referral.subject() == "WIJK-2025-0042"
    assert set(ReferralSubmitted.model_fields) == set(QuestionSubmission.model_fields) | {
        "partner_reference",
        "referrer",
    }
    data = {k: v for k, v in SUBMISSION.items() if k != "channel"}
    assert ReferralSubmitted(**data, partner_reference="p-1", referrer="org").channel == "partner"
