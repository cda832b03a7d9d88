"""Councils' advices in a report: each with its addressee and outcome, in words (no counts, so nothing
to suppress: an advice is a council's public act, never a resident's)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import asyncpg
from pydantic import BaseModel, Field

from contracts.labels import ADVICE_DECISION_LABELS, SIGNAL_THEME_LABELS


class AdviceLine(BaseModel):
    """One advice as the report lists it."""

    advice_id: str
    council: str = Field(description="the council's display name (its id when unknown)")
    municipality: str | None
    addressee: str = Field(description="the College, or the board of the named organisation (in Dutch)")
    given_on: date
    themes: list[str]
    signal_count: int
    response_due: date | None
    decision: str | None = Field(description="adopted, partly_adopted, not_adopted; null: no response yet")
    outcome: str = Field(description="the outcome in Dutch, 'te laat' when the response is late")
    responded_on: date | None
    late: bool


def addressee_name(addressee: str | None, organisation: str | None, names: Mapping[str, str]) -> str:
    if addressee == "board" and organisation:
        return f"Bestuur van {names.get(organisation, organisation)}"
    return "College van B&W"


def advice_lines(rows: list[asyncpg.Record], names: Mapping[str, str], today: date) -> list[AdviceLine]:
    lines = []
    for r in rows:
        late = r["responded_on"] is None and r["response_due"] is not None and today > r["response_due"]
        if r["decision"]:
            outcome = ADVICE_DECISION_LABELS.get(r["decision"], r["decision"])
        else:
            outcome = "Nog geen reactie (te laat)" if late else "Nog geen reactie"
        lines.append(
            AdviceLine(
                advice_id=r["advice_id"],
                council=names.get(r["council"], r["council"] or ""),
                municipality=r["municipality"],
                addressee=addressee_name(r["addressee"], r["addressee_organisation"], names),
                given_on=r["given_on"],
                themes=[SIGNAL_THEME_LABELS.get(t, t) for t in r["themes"]],
                signal_count=r["signal_count"],
                response_due=r["response_due"],
                decision=r["decision"],
                outcome=outcome,
                responded_on=r["responded_on"],
                late=late,
            )
        )
    return lines
