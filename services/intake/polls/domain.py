"""Polls' pure rules. No I/O here.

A poll has one theme (a life domain), a title and one to five questions of two to five choices.
A panel poll is answered through personal links (one per invitation: answering twice through one
link counts once, the second answer is refused kindly); a public poll through its open page (one
answer per browser, as far as a browser can tell). Answers are anonymous. A council reads the
results per choice only once at least ``threshold`` answers came in; before that only "minder dan N".
Within a question a choice chosen by fewer than ``threshold`` (but someone) shows as "minder dan N",
and then every other choice of that question as "×", so the small one cannot be worked out from the
total: the same primary and secondary suppression as every figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from contracts.codes import LifeDomain
from contracts.events import refuse_bsn
from contracts.text import CleanText, SingleLine

LINK_PURPOSE: Final = "poll-invitation"
Audience = Literal["panel", "public"]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), SingleLine]


class PollQuestion(CleanText):
    model_config = ConfigDict(extra="forbid")

    text: Line
    choices: list[Line] = Field(min_length=2, max_length=5)

    _text = field_validator("text")(refuse_bsn)


class PollBody(CleanText):
    """``POST /api/v1/council/polls``."""

    model_config = ConfigDict(extra="forbid")

    title: Line
    life_domain: LifeDomain
    audience: Audience
    questions: list[PollQuestion] = Field(min_length=1, max_length=5)


class Results(BaseModel):
    answers: str
    questions: list[dict[str, object]]


def parse_answer(questions: Sequence[dict[str, object]], values: Sequence[str]) -> list[int] | None:
    """The chosen choice per question from the form, or None when one is missing or not a choice."""
    chosen: list[int] = []
    for question, value in zip(questions, values, strict=True):
        choices = question["choices"]
        assert isinstance(choices, list)
        if not value.isdigit() or int(value) >= len(choices):
            return None
        chosen.append(int(value))
    return chosen


def results(questions: Sequence[dict[str, object]], answers: Sequence[Sequence[int]], threshold: int) -> Results:
    """Counts per choice, shown only from ``threshold`` answers on (the same rule as every figure)."""
    total = len(answers)
    shown = total >= threshold
    out: list[dict[str, object]] = []
    for index, question in enumerate(questions):
        choices = question["choices"]
        assert isinstance(choices, list)
        counts = [sum(1 for a in answers if a[index] == c) for c in range(len(choices))]
        small = {c for c, n in enumerate(counts) if 0 < n < threshold}
        out.append(
            {
                "text": question["text"],
                "choices": [
                    {"text": choice, "count": _shown(counts[c], c in small, bool(small), shown, threshold)}
                    for c, choice in enumerate(choices)
                ],
            }
        )
    return Results(answers=str(total) if shown else f"minder dan {threshold}", questions=out)


def _shown(count: int, small: bool, any_small: bool, any_shown: bool, threshold: int) -> str:
    if not any_shown:
        return "verborgen"
    if small:
        return f"minder dan {threshold}"
    return "×" if any_small else str(count)
