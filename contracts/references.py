"""The short reference of a question: the one number residents, supporters and staff all use.

Intake draws it at random when a question arrives (8 characters without look-alikes, ``K7QM3XPA``),
shows it on the confirmation, the resident's own page and every mail, and carries it on
``QuestionReceived`` so matching and notifications show the same number. It is no personal data:
random, and meaningless without intake's store.
"""

from __future__ import annotations

from typing import Final

#: Characters of a reference: capitals and digits without look-alikes (no 0/O, 1/I/L, U/V).
REFERENCE_ALPHABET: Final = "ABCDEFGHJKMNPQRSTWXYZ23456789"
REFERENCE_LENGTH: Final = 8
#: The wire format on ``QuestionReceived`` (stored form, without the dash).
REFERENCE_PATTERN: Final = rf"^[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}$"


def format_reference(reference: str) -> str:
    """How people read a reference: in two groups of four (``K7QM-3XPA``); older ones as they are."""
    if len(reference) == REFERENCE_LENGTH and all(c in REFERENCE_ALPHABET for c in reference):
        return f"{reference[:4]}-{reference[4:]}"
    return reference


def reference_of(question_id: str, reference: str | None) -> str:
    """The number people read for a question: its reference, or for a question from before references
    travelled on events, the first eight characters of its id in capitals."""
    return format_reference(reference) if reference else str(question_id)[:8].upper()
