"""Finding a Dutch citizen service number (BSN) in free text, so it can be refused. Pure, no I/O.

We may not use or store the BSN (Wet algemene bepalingen burgerservicenummer): a resident who
types one into a description is asked to take it out. A BSN is 9 digits passing the "11-proef":
``9*d1 + 8*d2 + 7*d3 + 6*d4 + 5*d5 + 4*d6 + 3*d7 + 2*d8 - 1*d9`` is a multiple of 11 (and not all
digits are zero). People write it in one piece (``111222333``) or in groups separated by dots,
spaces or hyphens (``111.222.333``, ``111 22 2333``).

A number is read as the longest run of digits joined by single separators: a phone number such as
``06-12345678`` or ``010 123 4567`` has 10 digits, so it is never taken for a BSN, and neither is
a 9-digit window inside a longer number. Digits glued to letters (``AB123456782``, a case or
reference code) are not a BSN either: they are someone's code, and 1 in 11 would pass the check.
Old 8-digit numbers (a BSN with its leading zero left off) are not checked: 8 digits are far more
often a date or an amount, and 1 in 11 of them would pass.
"""

from __future__ import annotations

import re
from typing import Final

#: Dutch message shown next to a field that contains a BSN (B1 level).
BSN_MESSAGE: Final = "Uw tekst bevat een burgerservicenummer (BSN). Haal het nummer weg: wij mogen het niet bewaren."

_SEP: Final = r"[ .\-\u00a0]"
#: Nine digits with at most one separator between two digits, not glued to more digits or to letters.
_CANDIDATE: Final = re.compile(rf"(?<!\w)(?<!\d{_SEP})\d(?:{_SEP}?\d){{8}}(?!{_SEP}?\d)(?!\w)")
_WEIGHTS: Final = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def is_valid_bsn(digits: str) -> bool:
    """True when ``digits`` is exactly 9 digits passing the 11-proef (all zeros is not a BSN)."""
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit() or digits == "000000000":
        return False
    return sum(w * int(d) for w, d in zip(_WEIGHTS, digits, strict=True)) % 11 == 0


def find_bsns(text: str) -> list[str]:
    """The BSNs written in ``text`` (as 9 plain digits), in order; empty when there are none."""
    found = []
    for match in _CANDIDATE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if is_valid_bsn(digits):
            found.append(digits)
    return found


def contains_bsn(text: str) -> bool:
    return bool(find_bsns(text))
