"""A withdrawn question: who withdrew it and why (codes and the standard sentence of the code only).

A question is withdrawn once (intake withdraws an open question only); should two withdrawals ever
reach reporting, the earliest counts (ties by value), so arrival order never matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contracts.events import QuestionWithdrawn


@dataclass(frozen=True)
class WithdrawalFact:
    question_id: str
    municipality: str
    withdrawn_by: str
    reason_code: str
    reason_text: str
    withdrawn_at: datetime

    def derived(self) -> dict[str, str]:
        return {}


def withdrawal_fact(payload: QuestionWithdrawn) -> WithdrawalFact:
    return WithdrawalFact(
        question_id=payload.question_id,
        municipality=payload.municipality,
        withdrawn_by=payload.withdrawn_by,
        reason_code=payload.reason.code,
        reason_text=payload.reason.text,
        withdrawn_at=payload.withdrawn_at,
    )


def merge_withdrawal(current: WithdrawalFact | None, new: WithdrawalFact) -> WithdrawalFact:
    if current is None:
        return new
    return min(
        (current, new), key=lambda f: (f.withdrawn_at, f.withdrawn_by, f.reason_code, f.municipality, f.reason_text)
    )
