"""Matching's use cases: one module each, every one in the caller's transaction (the kit's inbox
transaction for events, the request's transaction for HTTP commands).

- :mod:`.questions` — a new question: assign, wait or consult (QuestionReceived);
- :mod:`.lifecycle` — accept, decline (and match again), end; :mod:`.announced` — the same steps
  announced by other systems (AssignmentAccepted, AssignmentDeclined, SupportEnded);
- :mod:`.waiting` — the waiting-list pass, by the batch optimiser;
- :mod:`.consultation` — the joint consultation's queue and assigning by hand (one supporter or a duo);
- :mod:`.meetings` — the consultation's conversation with the resident: planned, held, their own view;
- :mod:`.withdrawal` — a question ended in intake (QuestionWithdrawn, QuestionClosed): let go of it;
- :mod:`.registry` — organisations and supporters;
- :mod:`.first_contact` — the supporter records their first contact with the resident (FirstContactMade);
- :mod:`.booking` — booking places and recording assignments, shared by the above;
  :mod:`.errors` — what the entry points translate.

Event handlers (``on_…``) are built from the service's
:class:`~services.matching.container.Container` and receive the payload as its own type. The names
callers use are importable from here.
"""

from services.matching.handlers.announced import on_assignment_accepted, on_assignment_declined, on_support_ended
from services.matching.handlers.consultation import (
    NOT_OVERRIDABLE,
    CandidateView,
    QueueItem,
    assign_by_hand,
    assign_duo_by_hand,
    consultation_candidates,
    consultation_queue,
    ensure_in_area,
    manual_override_reason,
    open_consultation,
)
from services.matching.handlers.errors import CommandError, Conflict, InvalidField, NotFound
from services.matching.handlers.first_contact import FirstContact, record_first_contact
from services.matching.handlers.lifecycle import Rematched, accept, decline, end
from services.matching.handlers.meetings import appointment_held, plan_appointment, record_resident_view
from services.matching.handlers.questions import decide, match_question, on_question_received
from services.matching.handlers.registry import create_organisation, register_supporter, update_supporter
from services.matching.handlers.waiting import choose_for_waiting, waiting_pass
from services.matching.handlers.withdrawal import let_go, on_question_closed, on_question_withdrawn

__all__ = [
    "NOT_OVERRIDABLE",
    "CandidateView",
    "CommandError",
    "Conflict",
    "FirstContact",
    "InvalidField",
    "NotFound",
    "QueueItem",
    "Rematched",
    "accept",
    "appointment_held",
    "assign_by_hand",
    "assign_duo_by_hand",
    "choose_for_waiting",
    "consultation_candidates",
    "consultation_queue",
    "create_organisation",
    "decide",
    "decline",
    "end",
    "ensure_in_area",
    "let_go",
    "manual_override_reason",
    "match_question",
    "on_assignment_accepted",
    "on_assignment_declined",
    "on_question_closed",
    "on_question_received",
    "on_question_withdrawn",
    "on_support_ended",
    "open_consultation",
    "plan_appointment",
    "record_first_contact",
    "record_resident_view",
    "register_supporter",
    "update_supporter",
    "waiting_pass",
]
