"""The fault suite's checks find what they must: a suite whose checks pass on a broken system proves nothing.

States are built by hand (rows as the SQL of :func:`tests.support.faults.checks.read_state` returns
them); each broken one must be named, as lost or doubled where it is either.
"""

from __future__ import annotations

import collections
from typing import Any, cast

from tests.support.faults.checks import (
    DeadLetter,
    State,
    dead_letter_problems,
    describe,
    examine,
    tally,
)
from tests.support.faults.feeding import PARTNER, Feeder, Submission
from tests.support.faults.platform import COORDINATOR_EMAIL, Mail, Platform
from tests.support.faults.poison import Poison

SUPPORTER = {"id": "s-1", "email": "ondersteuner@mee.example.nl", "capacity": 2, "active_cases": 1, "open": 1}


def feeder(*submissions: Submission) -> Feeder:
    fed = Feeder(cast(Platform, None), "GM0505", "t", "key")
    fed.submissions.extend(submissions)
    return fed


def submission(n: int, via: str, question_id: str | None = None) -> Submission:
    reference = f"{via}-t-{n}"
    email = f"bewoner-t-{n}@example.nl"
    return Submission(n, via, reference, email, False, 0.0, accepted=True, question_id=question_id)  # type: ignore[arg-type]


def healthy() -> tuple[State, Feeder]:
    """q-a assigned (through the API), q-w waiting and q-c in consultation (both referrals)."""
    api, waits, consults = submission(1, "api", "q-a"), submission(2, "partner"), submission(3, "partner")
    intake = {
        "q-a": {"status": "assigned", "referrer": None, "partner_reference": None},
        "q-w": {"status": "waiting", "referrer": PARTNER, "partner_reference": waits.reference},
        "q-c": {"status": "consultation", "referrer": PARTNER, "partner_reference": consults.reference},
    }
    deliveries = {
        "q-a": [delivery("<a-s>", "supporter"), delivery("<a-r>", "resident")],
        "q-w": [delivery("<w-r>", "resident")],
        "q-c": [delivery("<c-c>", "coordinator"), delivery("<c-r>", "resident")],
    }
    mails = [
        Mail("<a-s>", (SUPPORTER["email"],), ""),
        Mail("<a-r>", (api.email,), ""),
        Mail("<a-r>", (api.email,), ""),  # sent again after a crash: the same Message-ID
        Mail("<w-r>", (waits.email,), ""),
        Mail("<c-c>", (COORDINATOR_EMAIL,), ""),
        Mail("<c-r>", (consults.email,), ""),
    ]
    state = State(
        intake=cast(dict[str, Any], intake),
        history={q: collections.Counter({"received": 1, row["status"]: 1}) for q, row in intake.items()},
        assignments={"q-a": [{"assignment_id": "a-1", "supporter_id": "s-1", "status": "assigned", "role": "lead"}]},
        waiting={"q-w"},
        consultations={"q-c"},
        deliveries=cast(dict[str, Any], deliveries),
        known_message_ids={m.message_id for m in mails},
        reporting={q: {"status": row["status"], "complete": True} for q, row in intake.items()},
        reporting_assigned=collections.Counter({"q-a": 1}),
        supporters=[dict(SUPPORTER)],
        outboxes={"intake": 0, "matching": 0},
        mails=mails,
    )  # type: ignore[arg-type]
    return state, feeder(api, waits, consults)


def delivery(message_id: str, role: str) -> dict[str, str]:
    return {"message_id": message_id, "status": "sent", "recipient_role": role, "template": "t"}


def test_a_healthy_state_passes_with_its_figures() -> None:
    state, fed = healthy()
    state.supporters[0]["capacity"] = 1  # full, and q-w waits: capacity ran out exactly
    verdict = examine(state, fed, ["s-1"])
    assert verdict.problems == [], describe(verdict.problems)
    assert verdict.outcomes == {"assigned": 1, "waiting": 1, "consultation": 1}
    assert (verdict.mails, verdict.mails_resent) == (5, 1)


def test_a_second_booking_a_wrong_counter_and_a_misdirected_mail_are_named() -> None:
    state, fed = healthy()
    state.assignments["q-a"].append({"assignment_id": "a-2", "supporter_id": "s-1", "status": "assigned"})
    state.supporters[0]["open"] = 2
    state.mails[3] = Mail("<w-r>", ("iemand-anders@example.nl",), "")
    state.mails.append(Mail("<onbekend>", (COORDINATOR_EMAIL,), ""))
    problems = examine(state, fed, ["s-1"]).problems
    text = describe(problems)
    assert "q-a: outcomes ['assigned', 'assigned']" in text
    assert "supporter s-1: counter 1, open assignments 2" in text
    assert "1 questions wait while places are free: {'s-1': '1/2'}" in text
    assert "q-w: mail to the resident went to [('iemand-anders@example.nl',)]" in text
    assert "mail <onbekend>" in text
    assert tally(problems, "doubled") == 3  # q-a, s-1's counter, the unknown mail


def test_a_question_without_outcome_and_an_accepted_referral_intake_lacks_are_lost() -> None:
    state, fed = healthy()
    state.intake["q-w"] = {"status": "received", "referrer": PARTNER, "partner_reference": "partner-t-2"}
    state.waiting.clear()
    fed.submissions.append(submission(4, "partner"))
    verdict = examine(state, fed, ["s-1"])
    assert verdict.pending
    assert tally(verdict.problems, "lost") == 2
    assert "accepted partner partner-t-4 is not in intake" in describe(verdict.problems)
    assert verdict.unfinished() == 2


def test_missing_mails_and_projections_keep_the_state_pending() -> None:
    state, fed = healthy()
    state.deliveries["q-c"] = state.deliveries["q-c"][:1]
    state.reporting.pop("q-w")
    state.outboxes["matching"] = 3
    verdict = examine(state, fed, ["s-1"])
    assert verdict.pending and tally(verdict.problems, "lost") == 0
    text = describe(verdict.problems)
    assert "q-c (consultation): no delivery to ['resident'] yet" in text
    assert "q-w: reporting has None" in text
    assert "outboxes not empty yet: {'matching': 3}" in text


def test_the_dlqs_hold_each_poison_once_per_group_and_nothing_else() -> None:
    poisons = [Poison("p-1", "samenloket.questions", "huge")]
    groups = {"samenloket.questions": {"matching.questions", "reporting.projections"}}
    complete = [letter("p-1", "matching.questions"), letter("p-1", "reporting.projections")]
    assert dead_letter_problems(complete, poisons, groups) == []
    missing = dead_letter_problems(complete[:1], poisons, groups)
    assert [p.pending for p in missing] == [True]
    good = DeadLetter("samenloket.questions.dlq", None, "matching.questions", "gave up", "q.v1", "e-1")
    wrong = dead_letter_problems([*complete, complete[0], good], poisons, groups)
    assert tally(wrong, "doubled") == 1 and tally(wrong, "lost") == 1
    assert "a good message in samenloket.questions.dlq: q.v1 e-1" in describe(wrong)


def letter(poison: str, consumer: str) -> DeadLetter:
    return DeadLetter("samenloket.questions.dlq", poison, consumer, "too large", "t", poison)
