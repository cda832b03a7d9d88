"""What the assignment routes take and give: accept, decline, end, and the assignment as shown."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.events import Reason, refuse_bsn
from contracts.labels import DECLINE_REASON_TEXTS, END_REASON_TEXTS
from contracts.text import CleanText, ShortCode
from services.matching import store
from services.matching.http.common import Identifier, codes


class AcceptIn(CleanText):
    model_config = ConfigDict(extra="forbid")

    supporter_id: Identifier | None = Field(default=None, description="one member of a duo (default: all)")


class DeclineIn(CleanText):
    model_config = ConfigDict(extra="forbid")

    by: Literal["supporter", "resident"]
    supporter_id: Identifier | None = Field(default=None, description="required for a duo: who is declined")
    reason_code: ShortCode
    reason_text: str | None = Field(default=None, max_length=1000, description="in their own words; never published")

    @field_validator("reason_code")
    @classmethod
    def _reason_code(cls, value: str) -> str:
        codes([value], DECLINE_REASON_TEXTS, "decline reason")
        return value

    @field_validator("reason_text")
    @classmethod
    def _reason_text(cls, value: str | None) -> str | None:
        return None if value is None else refuse_bsn(value)


class EndIn(CleanText):
    model_config = ConfigDict(extra="forbid")

    reason_code: ShortCode = "completed"
    supporter_id: Identifier | None = Field(default=None, description="one member of a duo (default: all)")

    @field_validator("reason_code")
    @classmethod
    def _reason_code(cls, value: str) -> str:
        codes([value], END_REASON_TEXTS, "end reason")
        return value


class AssignmentOut(BaseModel):
    assignment_id: str
    question_id: str
    supporter_id: str
    organisation: str
    supporter_kind: str
    municipality: str | None = None
    score: float
    reasons: list[Reason]
    status: str
    assigned_at: datetime
    accepted_at: datetime | None = None
    closed_at: datetime | None = None
    role: Literal["lead", "partner"] = Field(default="lead", description="partner: a duo's volunteer or expert")
    partner_id: str | None = Field(default=None, description="a duo: the other supporter")

    @classmethod
    def of(cls, view: store.AssignmentView) -> AssignmentOut:
        fields = {k: v for k, v in vars(view).items() if k in cls.model_fields}
        return cls(**fields)


class StepOut(BaseModel):
    """The assignments a step changed (a duo has two)."""

    question_id: str
    assignments: list[AssignmentOut]

    @classmethod
    def of(cls, question_id: str, views: list[store.AssignmentView]) -> StepOut:
        return cls(question_id=question_id, assignments=[AssignmentOut.of(v) for v in views])


class DeclineOut(BaseModel):
    """The declined assignment, and what the question got instead."""

    declined: AssignmentOut
    outcome: Literal["assigned", "waiting", "consultation"]
    assignment: AssignmentOut | None
