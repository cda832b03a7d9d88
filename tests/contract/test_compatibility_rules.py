"""Unit tests of ``contracts.schemas.breaking_changes`` on schemas of real pydantic models.

Each pair of classes stands for one event before (V1) and after (V2) a change to its class.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from contracts.schemas import breaking_changes, generate, render


def schema(model: type[BaseModel], **extensions: Any) -> dict[str, Any]:
    return {**model.model_json_schema(mode="validation"), **extensions}


def problems(old: type[BaseModel], new: type[BaseModel]) -> list[str]:
    return breaking_changes(schema(old), schema(new))


def only_problem(old: type[BaseModel], new: type[BaseModel]) -> str:
    found = problems(old, new)
    assert len(found) == 1, found
    return found[0]


# --- removed and renamed fields ------------------------------------------------------------------


class RemovedV1(BaseModel):
    question_id: str
    organisation: str


class RemovedV2(BaseModel):
    question_id: str


def test_removed_field_is_breaking_and_named() -> None:
    message = only_problem(RemovedV1, RemovedV2)
    assert "`organisation`" in message
    assert "removed" in message


class OptionalRemovedV1(BaseModel):
    question_id: str
    referrer: str | None = None


def test_removing_an_optional_field_is_breaking_too() -> None:
    message = only_problem(OptionalRemovedV1, RemovedV2)
    assert "`referrer`" in message
    assert "removed" in message


class RenamedV1(BaseModel):
    question_id: str
    municipality: str


class RenamedV2(BaseModel):
    question_id: str
    gemeente: str


def test_renamed_field_is_breaking_and_names_the_old_name() -> None:
    found = problems(RenamedV1, RenamedV2)
    assert any("`municipality`" in p and "removed" in p for p in found), found
    assert any("`gemeente`" in p and "new required" in p for p in found), found
    assert len(found) == 2, found


class RenamedOptionalV2(BaseModel):
    question_id: str
    gemeente: str | None = None


def test_rename_to_an_optional_field_is_still_breaking() -> None:
    message = only_problem(RenamedV1, RenamedOptionalV2)
    assert "`municipality`" in message
    assert "rename" in message


# --- type changes --------------------------------------------------------------------------------


class StrV1(BaseModel):
    score: str


class IntV2(BaseModel):
    score: int


def test_str_to_int_is_breaking_and_named() -> None:
    message = only_problem(StrV1, IntV2)
    assert "`score`" in message
    assert "string" in message
    assert "integer" in message


class IntV1(BaseModel):
    score: int


class FloatV2(BaseModel):
    score: float


def test_int_to_float_is_breaking() -> None:
    message = only_problem(IntV1, FloatV2)
    assert "`score`" in message
    assert "integer" in message
    assert "number" in message


class ListV1(BaseModel):
    languages: list[str]


class ScalarV2(BaseModel):
    languages: str


def test_list_of_str_to_str_is_breaking_and_named() -> None:
    message = only_problem(ListV1, ScalarV2)
    assert "`languages`" in message
    assert "array" in message
    assert "string" in message


class ListOfIntV2(BaseModel):
    languages: list[int]


def test_array_item_type_change_is_breaking_and_named() -> None:
    message = only_problem(ListV1, ListOfIntV2)
    assert "`languages[]`" in message
    assert "integer" in message


class InnerV1(BaseModel):
    count: int
    label: str


class InnerV2(BaseModel):
    count: str
    label: str


class OuterV1(BaseModel):
    question_id: str
    inner: InnerV1


class OuterV2(BaseModel):
    question_id: str
    inner: InnerV2


def test_nested_model_field_type_change_is_breaking_and_names_the_path() -> None:
    message = only_problem(OuterV1, OuterV2)
    assert "`inner.count`" in message
    assert "integer" in message
    assert "string" in message


class ListOfInnerV1(BaseModel):
    reasons: list[InnerV1] = Field(default_factory=list)


class ListOfInnerV2(BaseModel):
    reasons: list[InnerV2] = Field(default_factory=list)


def test_field_of_models_in_a_list_is_compared() -> None:
    message = only_problem(ListOfInnerV1, ListOfInnerV2)
    assert "`reasons[].count`" in message


class OptionalInnerV1(BaseModel):
    inner: InnerV1 | None = None


class OptionalInnerV2(BaseModel):
    inner: InnerV2 | None = None


def test_field_of_an_optional_nested_model_is_compared() -> None:
    message = only_problem(OptionalInnerV1, OptionalInnerV2)
    assert "`inner.count`" in message


class RenamedInner(BaseModel):  # same shape as InnerV1 under another class name
    count: int
    label: str


class OuterRenamedClass(BaseModel):
    question_id: str
    inner: RenamedInner


def test_renaming_only_the_nested_class_is_compatible() -> None:
    # The wire format is identical; only the $defs key differs.
    assert problems(OuterV1, OuterRenamedClass) == []


class NestedRemovedInner(BaseModel):
    count: int


class NestedRemovedOuter(BaseModel):
    question_id: str
    inner: NestedRemovedInner


def test_field_removed_from_a_nested_model_is_breaking() -> None:
    message = only_problem(OuterV1, NestedRemovedOuter)
    assert "`inner.label`" in message
    assert "removed" in message


class NullableV2(BaseModel):
    score: str | None


def test_making_a_field_nullable_is_breaking() -> None:
    # An old reader declared ``score: str`` and rejects null.
    message = only_problem(StrV1, NullableV2)
    assert "`score`" in message
    assert "null" in message


class UnionV1(BaseModel):
    value: int | str


class UnionV2(BaseModel):
    value: int


def test_anyof_member_removed_is_breaking() -> None:
    message = only_problem(UnionV1, UnionV2)
    assert "`value`" in message
    assert "string" in message


# --- code lists ----------------------------------------------------------------------------------


class EnumV1(BaseModel):
    channel: Literal["web", "phone"]


class EnumAddedV2(BaseModel):
    channel: Literal["web", "phone", "walk_in"]


class EnumRemovedV2(BaseModel):
    channel: Literal["web"]


class PlainStrV(BaseModel):
    channel: str


def test_adding_enum_values_is_compatible_by_convention() -> None:
    assert problems(EnumV1, EnumAddedV2) == []


def test_removing_enum_values_is_breaking_and_names_field_and_value() -> None:
    message = only_problem(EnumV1, EnumRemovedV2)
    assert "`channel`" in message
    assert '"phone"' in message


def test_const_changed_is_breaking() -> None:
    class ConstV1(BaseModel):
        kind: Literal["a"]

    class ConstV2(BaseModel):
        kind: Literal["b"]

    message = only_problem(ConstV1, ConstV2)
    assert "`kind`" in message
    assert '"a"' in message


def test_restricting_free_text_to_an_enum_is_breaking_and_lifting_it_is_not() -> None:
    message = only_problem(PlainStrV, EnumV1)
    assert "`channel`" in message
    assert problems(EnumV1, PlainStrV) == []


def test_format_change_is_breaking() -> None:
    class DateTimeV1(BaseModel):
        at: str = Field(json_schema_extra={"format": "date-time"})

    class DateV2(BaseModel):
        at: str = Field(json_schema_extra={"format": "date"})

    message = only_problem(DateTimeV1, DateV2)
    assert "`at`" in message
    assert "date-time" in message


# --- required / optional -------------------------------------------------------------------------


class DefaultedV1(BaseModel):
    question_id: str
    referrer: str | None = None


class RequiredNullableV2(BaseModel):
    question_id: str
    referrer: str | None


def test_optional_made_required_is_breaking_and_named() -> None:
    message = only_problem(DefaultedV1, RequiredNullableV2)
    assert "`referrer`" in message
    assert "optional property made required" in message


def test_optional_with_plain_default_made_required_is_breaking() -> None:
    class WithDefault(BaseModel):
        channel: str = "web"

    class Without(BaseModel):
        channel: str

    message = only_problem(WithDefault, Without)
    assert "`channel`" in message
    assert "required" in message


class NewRequiredV2(BaseModel):
    question_id: str
    organisation: str
    supporter_id: str


def test_new_required_field_is_breaking_and_named() -> None:
    message = only_problem(RemovedV1, NewRequiredV2)
    assert "`supporter_id`" in message
    assert "new required property" in message


class NewOptionalV2(BaseModel):
    question_id: str
    organisation: str
    supporter_id: str | None = None
    reasons: list[str] = Field(default_factory=list)


def test_new_optional_field_is_compatible() -> None:
    assert problems(RemovedV1, NewOptionalV2) == []


class InnerWithExtra(BaseModel):
    count: int
    label: str
    unit: str


class NewRequiredNestedOuter(BaseModel):
    question_id: str
    inner: InnerWithExtra


def test_new_required_field_in_a_nested_model_is_breaking() -> None:
    message = only_problem(OuterV1, NewRequiredNestedOuter)
    assert "`inner.unit`" in message
    assert "new required property" in message


# --- constraints ---------------------------------------------------------------------------------


class Short(BaseModel):
    code: str = Field(max_length=10)


class Shorter(BaseModel):
    code: str = Field(max_length=5)


class Patterned(BaseModel):
    code: str = Field(max_length=10, pattern=r"^[A-Z]+$")


def test_tightened_constraint_is_breaking_and_loosened_is_not() -> None:
    message = only_problem(Short, Shorter)
    assert "`code`" in message
    assert "maxLength" in message
    assert problems(Shorter, Short) == []


def test_added_pattern_is_breaking() -> None:
    message = only_problem(Short, Patterned)
    assert "`code`" in message
    assert "pattern" in message


# --- identical, topic, purity --------------------------------------------------------------------


def test_identical_schema_is_compatible() -> None:
    assert problems(OuterV1, OuterV1) == []


def test_identical_shape_under_other_names_and_docs_is_compatible() -> None:
    class Twin(BaseModel):
        """Only the documentation differs."""

        question_id: str = Field(description="the question")
        inner: RenamedInner

    assert problems(OuterV1, Twin) == []


def test_every_real_schema_is_compatible_with_itself_after_a_json_round_trip() -> None:
    for name, generated in generate().items():
        assert breaking_changes(json.loads(render(generated)), generated) == [], name


def test_moving_an_event_to_another_topic_is_breaking() -> None:
    old = schema(RemovedV1, **{"x-topic": "samenloket.questions"})
    new = schema(RemovedV1, **{"x-topic": "samenloket.assignments"})
    (message,) = breaking_changes(old, new)
    assert "samenloket.questions" in message
    assert "samenloket.assignments" in message


def test_breaking_changes_does_not_modify_its_arguments() -> None:
    old, new = schema(OptionalInnerV1), schema(OptionalInnerV2)
    old_copy, new_copy = copy.deepcopy(old), copy.deepcopy(new)
    assert breaking_changes(old, new)
    assert (old, new) == (old_copy, new_copy)


class TreeV1(BaseModel):
    value: int
    children: list[TreeV1] = Field(default_factory=list)
    parent: TreeV1 | None = None


class TreeV2(BaseModel):
    value: str
    children: list[TreeV2] = Field(default_factory=list)
    parent: TreeV2 | None = None


@pytest.mark.timeout(10)
def test_recursive_models_terminate_and_are_compared() -> None:
    found = problems(TreeV1, TreeV2)
    assert found, "a changed field of a recursive model must be found"
    assert all("`value`" in p or ".value`" in p for p in found), found
    assert problems(TreeV1, TreeV1) == []
