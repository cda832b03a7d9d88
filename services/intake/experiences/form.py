"""The resident's experience form: Dutch choices, form fields → answers, errors in plain Dutch. No I/O.

Like the question form (:mod:`services.intake.webforms`) it validates with the model the use case
takes (:class:`ExperienceAnswers`), and pydantic's English never reaches a resident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from pydantic import ValidationError

from contracts.labels import AGREEMENT_LABELS
from services.intake.experiences.domain import SKIP, STATEMENTS, ExperienceAnswers, parse_agreement
from services.intake.webforms import Choice, FieldError, choices, ordered, translate

AGREEMENT_CHOICES: Final[tuple[Choice, ...]] = (*choices(AGREEMENT_LABELS), (SKIP, "Sla ik over", ""))
SCORE_CHOICES: Final[tuple[Choice, ...]] = tuple((str(n), str(n), "") for n in range(1, 11))

MESSAGES: Final[dict[str, str]] = {
    **{name: "Kies Eens, Neutraal of Oneens. U mag deze vraag ook overslaan." for name in STATEMENTS},
    "score": "Kies een rapportcijfer van 1 tot en met 10.",
    "text": "Dit klopt nog niet. Kijk uw tekst na en probeer het opnieuw.",
}
TOO_LONG: Final[dict[str, str]] = {"text": "Uw tekst is te lang. Gebruik niet meer dan 2000 tekens."}
ANCHORS: Final[dict[str, str]] = {
    **{name: f"{name}-{AGREEMENT_CHOICES[0][0]}" for name in STATEMENTS},
    "score": f"score-{SCORE_CHOICES[0][0]}",
}
#: Model locations → form field names.
_FIELDS: Final[dict[str, str]] = {f"statements.{name}": name for name in STATEMENTS}


def _first(values: Mapping[str, Sequence[str]], name: str) -> str:
    found = values.get(name) or [""]
    return found[0].strip()


@dataclass
class ExperienceForm:
    """What the resident chose and typed, kept as given so the form can be shown again."""

    knew_where_to_go: str = ""
    helped_quickly: str = ""
    supporter_on_my_side: str = ""
    score: str = ""
    text: str = ""
    #: "yes": the resident ticked "Ik wil meedenken" (the panel's consent, in the box's own words).
    meedenken: str = ""

    ORDER: ClassVar[tuple[str, ...]] = (*STATEMENTS, "score", "text")

    @classmethod
    def parse(cls, values: Mapping[str, Sequence[str]]) -> ExperienceForm:
        return cls(**{name: _first(values, name) for name in (*cls.ORDER, "meedenken")})

    @property
    def joins_panel(self) -> bool:
        return self.meedenken == "yes"

    def statements(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The statements' answers by name, and the Dutch error of each one that is not a choice."""
        answers: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name in STATEMENTS:
            try:
                answers[name] = parse_agreement(getattr(self, name))
            except ValueError:
                errors[name] = MESSAGES[name]
        return answers, errors

    def payload(self, statements: Mapping[str, Any]) -> dict[str, Any]:
        score: Any = int(self.score) if self.score.isdigit() else None
        return {"statements": dict(statements), "score": score, "text": self.text or None}

    def validate(self) -> tuple[ExperienceAnswers | None, list[FieldError]]:
        """The answers, or the errors to show (in page order)."""
        statements, errors = self.statements()
        answers: ExperienceAnswers | None = None
        try:
            answers = ExperienceAnswers.model_validate(self.payload(statements))
        except ValidationError as exc:
            errors = translate(exc, _FIELDS, MESSAGES, TOO_LONG) | errors
        if errors:
            return None, ordered(errors, self.ORDER, ANCHORS)
        return answers, []
