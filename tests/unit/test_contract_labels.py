"""Every code people may read has one Dutch label, in ``contracts/labels.py``: a new code without one fails here."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Literal, get_args, get_origin

import pytest

from contracts import codes, events
from contracts.labels import (
    ADVICE_ADDRESSEE_LABELS,
    ADVICE_DECISION_LABELS,
    AGE_BAND_LABELS,
    AGREEMENT_LABELS,
    CHANNEL_LABELS,
    CONTACT_METHOD_LABELS,
    CONTACT_METHOD_WORDS,
    DECLINE_REASON_LABELS,
    DECLINE_REASON_TEXTS,
    END_REASON_LABELS,
    END_REASON_TEXTS,
    EXPERIENCE_THEME_LABELS,
    EXPERIENCE_THEME_WORDS,
    FOUND_VIA_LABELS,
    KIND_PREFERENCE_LABELS,
    KIND_PREFERENCE_WORDS,
    LANGUAGE_LABELS,
    LIFE_DOMAIN_LABELS,
    MEETING_PREFERENCE_LABELS,
    MEETING_PREFERENCE_RESIDENT_LABELS,
    NEED_LABELS,
    NEED_RESIDENT_LABELS,
    NEED_WORDS,
    OVERDUE_STAGE_LABELS,
    PANEL_INVITATION_KIND_LABELS,
    PREFERRED_CHANNEL_RESIDENT_LABELS,
    QUESTION_STATUS_LABELS,
    SIGNAL_LEVEL_LABELS,
    SIGNAL_LEVEL_RESIDENT_LABELS,
    SIGNAL_LEVEL_WORDS,
    SIGNAL_SOURCE_LABELS,
    SIGNAL_STATUS_LABELS,
    SIGNAL_THEME_LABELS,
    SIGNAL_THEME_RESIDENT_LABELS,
    SPECIALISM_LABELS,
    SPECIALISM_WORDS,
    STATEMENT_LABELS,
    SUPPORTER_KIND_LABELS,
    SUPPORTER_KIND_WORDS,
    WITHDRAWAL_REASON_TEXTS,
    WITHDRAWN_BY_LABELS,
    in_sentence,
)

#: Every code list of the contracts, and each form of its labels.
LABELLED: dict[str, tuple[Collection[str], tuple[Mapping[str, str], ...]]] = {
    "LifeDomain": (get_args(codes.LifeDomain), (LIFE_DOMAIN_LABELS,)),
    "AgeBand": (get_args(codes.AgeBand), (AGE_BAND_LABELS,)),
    "SupporterKind": (get_args(codes.SupporterKind), (SUPPORTER_KIND_LABELS, SUPPORTER_KIND_WORDS)),
    "KindPreference": (get_args(codes.KindPreference), (KIND_PREFERENCE_LABELS, KIND_PREFERENCE_WORDS)),
    "Channel": (get_args(codes.Channel), (CHANNEL_LABELS,)),
    "SignalStatus": (get_args(codes.SignalStatus), (SIGNAL_STATUS_LABELS,)),
    "LANGUAGES": (codes.LANGUAGES, (LANGUAGE_LABELS,)),
    "FoundVia": (get_args(events.FoundVia), (FOUND_VIA_LABELS,)),
    "MeetingPreference": (
        get_args(events.MeetingPreference),
        (MEETING_PREFERENCE_LABELS, MEETING_PREFERENCE_RESIDENT_LABELS),
    ),
    "PreferredChannel": (get_args(events.PreferredChannel), (PREFERRED_CHANNEL_RESIDENT_LABELS,)),
    "QuestionStatus": (get_args(events.QuestionStatus), (QUESTION_STATUS_LABELS,)),
    "SignalTheme": (get_args(events.SignalTheme), (SIGNAL_THEME_LABELS, SIGNAL_THEME_RESIDENT_LABELS)),
    "SignalLevel": (
        get_args(events.SignalLevel),
        (SIGNAL_LEVEL_LABELS, SIGNAL_LEVEL_WORDS, SIGNAL_LEVEL_RESIDENT_LABELS),
    ),
    "SignalSource": (get_args(events.SignalSource), (SIGNAL_SOURCE_LABELS,)),
    "Agreement": (get_args(events.Agreement), (AGREEMENT_LABELS,)),
    "ExperienceStatements": (tuple(events.ExperienceStatements.model_fields), (STATEMENT_LABELS,)),
    "specialisms": (tuple(SPECIALISM_LABELS), (SPECIALISM_LABELS, SPECIALISM_WORDS)),
    "experience themes": (tuple(EXPERIENCE_THEME_LABELS), (EXPERIENCE_THEME_LABELS, EXPERIENCE_THEME_WORDS)),
    "decline reasons": (tuple(DECLINE_REASON_TEXTS), (DECLINE_REASON_TEXTS, DECLINE_REASON_LABELS)),
    "end reasons": (tuple(END_REASON_TEXTS), (END_REASON_TEXTS, END_REASON_LABELS)),
    "Need": (get_args(codes.Need), (NEED_LABELS, NEED_WORDS, NEED_RESIDENT_LABELS)),
    "ContactMethod": (get_args(codes.ContactMethod), (CONTACT_METHOD_LABELS, CONTACT_METHOD_WORDS)),
    "WithdrawnBy": (get_args(codes.WithdrawnBy), (WITHDRAWN_BY_LABELS,)),
    "OverdueStage": (get_args(codes.OverdueStage), (OVERDUE_STAGE_LABELS,)),
    "withdrawal reasons": (tuple(WITHDRAWAL_REASON_TEXTS), (WITHDRAWAL_REASON_TEXTS,)),
    "AdviceAddressee": (get_args(events.AdviceAddressee), (ADVICE_ADDRESSEE_LABELS,)),
    "AdviceDecision": (get_args(events.AdviceDecision), (ADVICE_DECISION_LABELS,)),
    "PanelInvitationKind": (get_args(events.PanelInvitationKind), (PANEL_INVITATION_KIND_LABELS,)),
}

#: Code lists of the contracts that people never read: machines route and filter on them.
UNLABELLED = frozenset(
    {
        "RecipientRole",  # who a notification went to: the delivery log, never a page
        "NotificationChannel",
        "DeclinedBy",
        "SupporterAvailability",
        "ParticipantRole",  # council attendance, counted by reporting, never shown by role
    }
)


def code_lists(module: Any) -> set[str]:
    """The names of the ``Literal`` code lists a module defines."""
    return {name for name, value in vars(module).items() if get_origin(value) is Literal and not name.startswith("_")}


def test_every_code_list_of_the_contracts_is_labelled_or_known_to_be_read_by_machines_only() -> None:
    found = code_lists(codes) | code_lists(events)
    assert found - UNLABELLED - set(LABELLED) == set(), "give the new code list its Dutch labels in contracts/labels.py"
    assert found >= UNLABELLED


@pytest.mark.parametrize("name", sorted(LABELLED))
def test_every_code_has_a_label_in_every_form_and_no_label_names_an_unknown_code(name: str) -> None:
    code_list, forms = LABELLED[name]
    for form in forms:
        assert set(form) == set(code_list), name
        assert all(label.strip() == label and label for label in form.values()), name


def test_the_services_code_tuples_hold_the_same_codes_as_their_types() -> None:
    assert set(codes.LIFE_DOMAINS) == set(get_args(codes.LifeDomain))
    assert set(codes.AGE_BANDS) == set(get_args(codes.AgeBand))
    assert set(codes.SUPPORTER_KINDS) == set(get_args(codes.SupporterKind))
    assert set(codes.KIND_PREFERENCES) == set(get_args(codes.KindPreference))
    assert set(codes.CHANNELS) == set(get_args(codes.Channel))
    assert set(codes.SIGNAL_STATUSES) == set(get_args(codes.SignalStatus))
    assert set(codes.NEEDS) == set(get_args(codes.Need))
    assert set(codes.CONTACT_METHODS) == set(get_args(codes.ContactMethod))
    assert set(codes.WITHDRAWN_BY) == set(get_args(codes.WithdrawnBy))
    assert set(codes.OVERDUE_STAGES) == set(get_args(codes.OverdueStage))


def test_words_are_the_labels_as_they_read_in_a_sentence() -> None:
    assert SUPPORTER_KIND_WORDS["volunteer"] == "vrijwilliger"
    assert KIND_PREFERENCE_WORDS["any"] == "geen voorkeur"
    assert SPECIALISM_WORDS["lvb"] == "licht verstandelijke beperking (LVB)"
    assert in_sentence(LIFE_DOMAIN_LABELS["wmo"]) == "hulp en zorg thuis (Wmo)"


def test_a_code_in_two_lists_reads_the_same_in_both() -> None:
    for code in SPECIALISM_LABELS.keys() & LIFE_DOMAIN_LABELS.keys():
        assert SPECIALISM_LABELS[code] == LIFE_DOMAIN_LABELS[code]
    for code in SPECIALISM_LABELS.keys() & EXPERIENCE_THEME_LABELS.keys():
        assert SPECIALISM_LABELS[code] == EXPERIENCE_THEME_LABELS[code], code
    for code in SUPPORTER_KIND_LABELS:
        assert KIND_PREFERENCE_LABELS[code] == SUPPORTER_KIND_LABELS[code]


def test_reasons_are_whole_sentences() -> None:
    for text in (*DECLINE_REASON_TEXTS.values(), *END_REASON_TEXTS.values()):
        assert text[0].isupper() and text.endswith("."), text


def test_the_schema_describes_each_statement_by_its_label() -> None:
    for name, field in events.ExperienceStatements.model_fields.items():
        assert field.description == STATEMENT_LABELS[name]


def test_the_supporters_own_reason_labels_name_known_reasons_only() -> None:
    from contracts.labels import DECLINE_REASON_SUPPORTER_LABELS, END_REASON_SUPPORTER_LABELS

    assert set(DECLINE_REASON_SUPPORTER_LABELS) == {"no_time", "expertise", "conflict_of_interest", "other"}
    assert set(DECLINE_REASON_SUPPORTER_LABELS) <= set(DECLINE_REASON_TEXTS)
    assert set(END_REASON_SUPPORTER_LABELS) <= set(END_REASON_TEXTS)
    assert "transferred" not in END_REASON_SUPPORTER_LABELS


def test_a_reference_reads_in_two_groups_of_four_and_an_old_question_by_its_id() -> None:
    from contracts.references import format_reference, reference_of

    assert format_reference("K7QM3XPA") == "K7QM-3XPA"
    assert reference_of("3f2a9c1b-0000-4000-8000-000000000001", "K7QM3XPA") == "K7QM-3XPA"
    assert reference_of("3f2a9c1b-0000-4000-8000-000000000001", None) == "3F2A9C1B"


def test_question_received_carries_only_a_well_formed_reference() -> None:
    import pydantic
    import pytest

    from contracts.events import QuestionReceived

    payload = {
        "question_id": "3f2a9c1b-0000-4000-8000-000000000001",
        "resident_ref": "6f1f3c5e-0000-4000-8000-000000000000",
        "municipality": "GM0505",
        "life_domains": ["wmo"],
        "preferred_supporter_kind": "any",
        "languages": ["nl"],
        "postcode": "3311",
        "channel": "web",
        "received_at": "2026-12-01T10:00:00+00:00",
    }
    assert QuestionReceived.model_validate(payload | {"reference": "K7QM3XPA"}).reference == "K7QM3XPA"
    with pytest.raises(pydantic.ValidationError, match="reference"):
        QuestionReceived.model_validate(payload | {"reference": "Anna de Vries"})
