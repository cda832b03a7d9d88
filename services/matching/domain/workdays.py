"""When first contact is late: the stages of the working-day promise (the calendar is the kit's,
:mod:`services.kit.workdays`)."""

from __future__ import annotations

from typing import Final

from contracts.codes import OverdueStage
from services.kit.workdays import CONTACT_WITHIN_WORKING_DAYS

#: After this many working days without first contact the supporter gets a reminder.
REMINDER_AFTER: Final = CONTACT_WITHIN_WORKING_DAYS - 1
#: After this many the coordinator of the supporter's organisation hears of it (the promise is broken).
ESCALATION_AFTER: Final = CONTACT_WITHIN_WORKING_DAYS
#: Each stage with the working days after which it is due, in order.
STAGES: Final[tuple[tuple[OverdueStage, int], ...]] = (("reminder", REMINDER_AFTER), ("escalation", ESCALATION_AFTER))


def due_stages(working_days: int) -> list[OverdueStage]:
    """The stages due after ``working_days`` working days without first contact (none, reminder, or both)."""
    return [stage for stage, after in STAGES if working_days >= after]
