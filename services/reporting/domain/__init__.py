"""What an event changes in the read models: pure rules, no I/O.

Events reach reporting over several topics, so their order is only guaranteed per topic and key.
A ``SupporterAssigned`` on ``samenloket.assignments`` may well be handled before the
``QuestionReceived`` of the same question on ``samenloket.questions``. Every rule here is therefore
written as a merge that is commutative, associative and idempotent: whatever the arrival order, and
however often an event is applied, the facts converge to the same state. That same property lets
``samenloket reporting rebuild`` replay the stored events and arrive at the same tables.

Rules for a question fact:
- ``QuestionReceived`` (intake) is authoritative for what intake knows: municipality, life domains,
  channel, referrer, how the resident found us, age band and the moment of receipt. Once it has been
  seen the fact is ``complete``.
- Before that, other events may create a *partial* fact; their copies of municipality and
  ``received_at`` fill the gap (the earliest one wins, so the result does not depend on order).
- Milestones (assigned, accepted, waiting, consultation) keep the earliest moment reported; the end
  of support keeps the latest (a duo ends when the last of the two ends).
- The first assignment (earliest ``assigned_at``, ties by assignment id) names the organisation and
  supporter kind of the question.
- The status follows from the milestones, not from the order of arrival: closed beats accepted beats
  assigned, which beats waiting and consultation; between waiting and consultation the later
  milestone wins (a tie goes to consultation, the more advanced step); otherwise the question is
  received.

Other facts follow the same idea: an assignment, a signal and a council meeting are filled in by
each event that speaks of them (earliest moment wins); a supporter's profile and a meeting's plan and
attendance are "last written wins" by the moment the event says it was made (ties broken by value,
never by arrival). Nothing here holds a resident reference: projections count, they do not identify.
"""

from services.reporting.domain.advice import AdviceFact, merge_advice
from services.reporting.domain.assignments import AssignmentFact, AssignmentState, merge_assignment
from services.reporting.domain.changes import PERSONAL_DATA_TYPES, Change, changes_of, storable
from services.reporting.domain.participation import (
    ExperienceFact,
    MeetingFact,
    ParticipantFact,
    merge_experience,
    merge_meeting,
)
from services.reporting.domain.questions import (
    STATUSES,
    QuestionChange,
    QuestionFact,
    Status,
    merge_question,
    received_fact,
    status_of,
)
from services.reporting.domain.signals import SignalFact, merge_signal
from services.reporting.domain.supporters import SupporterFact, merge_supporter
from services.reporting.domain.withdrawals import WithdrawalFact, merge_withdrawal

__all__ = [
    "PERSONAL_DATA_TYPES",
    "STATUSES",
    "AdviceFact",
    "AssignmentFact",
    "AssignmentState",
    "Change",
    "ExperienceFact",
    "MeetingFact",
    "ParticipantFact",
    "QuestionChange",
    "QuestionFact",
    "SignalFact",
    "Status",
    "SupporterFact",
    "WithdrawalFact",
    "changes_of",
    "merge_advice",
    "merge_assignment",
    "merge_experience",
    "merge_meeting",
    "merge_question",
    "merge_signal",
    "merge_supporter",
    "merge_withdrawal",
    "received_fact",
    "status_of",
    "storable",
]
