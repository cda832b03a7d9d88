"""PostgreSQL access of matching (all its SQL), one module per aggregate.

Every function takes a connection (plain or from a pool) so callers choose the transaction. The
capacity guards live in :mod:`.capacity`. The modules: :mod:`.organisations`, :mod:`.supporters`
(the pool), :mod:`.capacity`, :mod:`.locks`, :mod:`.questions`, :mod:`.assignments`, :mod:`.declines`,
:mod:`.waiting`, :mod:`.consultations`, :mod:`.meetings`, :mod:`.ends`; their names are importable from here.
"""

from services.matching.store.assignments import (
    AssignmentView,
    accept_assignment,
    close_assignment,
    get_assignment,
    insert_assignment,
    open_assignments,
    open_cases,
    open_supporters,
)
from services.matching.store.capacity import (
    book_capacity,
    book_place,
    free_capacity,
)
from services.matching.store.consultations import (
    ConsultationRow,
    delete_consultation,
    get_consultation,
    insert_consultation,
    list_consultations,
)
from services.matching.store.declines import (
    declined_supporters,
    insert_decline,
)
from services.matching.store.ends import has_ended, record_end
from services.matching.store.locks import (
    lock_question,
    lock_waiting_pass,
)
from services.matching.store.meetings import (
    Meeting,
    forget_views,
    get_meeting,
    mark_held,
    meetings_of,
    plan_meeting,
    save_view,
)
from services.matching.store.organisations import (
    insert_organisation,
    load_organisations,
    upsert_organisation,
)
from services.matching.store.questions import (
    forget_resident,
    get_question,
    insert_question,
    previous_supporters,
    previous_supporters_of,
    question_municipality,
    question_outcome,
    references_of,
)
from services.matching.store.supporters import (
    AVAILABLE,
    EDITABLE,
    CapacityBelowCases,
    SupporterRow,
    get_supporter_row,
    insert_supporter,
    list_supporter_rows,
    list_supporters,
    load_candidates,
    load_supporters_with_room,
    pool_version,
    update_supporter,
    upsert_supporter,
)
from services.matching.store.waiting import (
    WaitingQuestion,
    delete_waiting,
    insert_waiting,
    load_waiting,
)

__all__ = [
    "AVAILABLE",
    "EDITABLE",
    "AssignmentView",
    "CapacityBelowCases",
    "ConsultationRow",
    "Meeting",
    "SupporterRow",
    "WaitingQuestion",
    "accept_assignment",
    "book_capacity",
    "book_place",
    "close_assignment",
    "declined_supporters",
    "delete_consultation",
    "delete_waiting",
    "forget_resident",
    "forget_views",
    "free_capacity",
    "get_assignment",
    "get_consultation",
    "get_meeting",
    "get_question",
    "get_supporter_row",
    "has_ended",
    "insert_assignment",
    "insert_consultation",
    "insert_decline",
    "insert_organisation",
    "insert_question",
    "insert_supporter",
    "insert_waiting",
    "list_consultations",
    "list_supporter_rows",
    "list_supporters",
    "load_candidates",
    "load_organisations",
    "load_supporters_with_room",
    "load_waiting",
    "lock_question",
    "lock_waiting_pass",
    "mark_held",
    "meetings_of",
    "open_assignments",
    "open_cases",
    "open_supporters",
    "plan_meeting",
    "pool_version",
    "previous_supporters",
    "previous_supporters_of",
    "question_municipality",
    "question_outcome",
    "record_end",
    "references_of",
    "save_view",
    "update_supporter",
    "upsert_organisation",
    "upsert_supporter",
]
