"""Screening a resident's experience text before anyone reads it. Pure, no I/O.

A council reads experience texts (grouped, see :mod:`.reading`), so what a resident writes must not
name or reach anyone. At submission a BSN is refused (the form asks to take it out, as everywhere);
e-mail addresses, phone numbers and names are masked, and the resident is told what was masked.
Names are found the way people write them in a short text: after a form of address ("mevrouw
Jansen", "dhr. P. de Vries") or an introduction ("ze heet Fatima", "mijn naam is Kees"). That does
not catch every name; the council's pages say so, and a text is never shown next to facts about
its writer.

At reading, :func:`still_reaches_someone` checks again with a wider net (any run of 9 or more
digits, anything shaped like an address with ``@``): a text that still holds contact data is never
shown, whatever screening it had (older texts were stored before screening existed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from contracts.bsn import contains_bsn

Masked = Literal["name", "phone", "email"]
MASKS: Final[dict[Masked, str]] = {"name": "[naam]", "phone": "[telefoonnummer]", "email": "[e-mailadres]"}

_EMAIL: Final = re.compile(r"[\w.+%-]+\s?(?:@|\(at\)|\[at\])\s?[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
#: Dutch numbers (06-12345678, 078 770 80 90, +31 6 1234 5678, 0031...) and any other run of 10+ digits.
_PHONE: Final = re.compile(r"(?<!\w)(?:\+|00)?\d(?:[ .\-/()]{0,2}\d){8,}(?!\w)")
_PARTICLES: Final = r"(?:(?:van|de|der|den|ter|ten|te|het|'t|la|le|el|al|bin|ben)\s+){0,3}"
_NAME_WORD: Final = r"[A-ZÀ-Þ][\w'’-]+"
_INITIALS: Final = r"(?:[A-Z]\.\s?){0,4}"
_ADDRESS: Final = r"(?:mevrouw|mevr\.?|mw\.?|meneer|mijnheer|mnr\.?|dhr\.?|de\s+heer|juf|juffrouw|meester|dokter|dr\.?)"
_INTRO: Final = r"(?:heet|heette|heten|genaamd|mijn\s+naam\s+is|haar\s+naam\s+is|zijn\s+naam\s+is|naam:)"
#: The lead word in any case; the name itself must start with a capital (after initials and particles).
_NAME: Final = re.compile(
    rf"(?<!\w)(?P<lead>(?i:{_ADDRESS}|{_INTRO}))\s+(?P<name>{_INITIALS}{_PARTICLES}{_NAME_WORD}(?:\s+{_PARTICLES}{_NAME_WORD}){{0,2}})"
)
_NINE_DIGITS: Final = re.compile(r"\d(?:\D{0,2}\d){8,}")


@dataclass(frozen=True)
class Screened:
    """The text as it may be stored, and what was masked in it (in the order of :data:`MASKS`)."""

    text: str
    masked: tuple[Masked, ...]


def _mask_names(text: str) -> tuple[str, int]:
    return _NAME.subn(lambda m: f"{m.group('lead')} {MASKS['name']}", text)


def screen(text: str) -> Screened:
    """Mask e-mail addresses, then phone numbers, then names. A BSN is the caller's to refuse first."""
    masked: list[Masked] = []
    text, emails = _EMAIL.subn(MASKS["email"], text)
    if emails:
        masked.append("email")
    text, phones = _PHONE.subn(MASKS["phone"], text)
    if phones:
        masked.append("phone")
    text, names = _mask_names(text)
    if names:
        masked.append("name")
    return Screened(text, tuple(k for k in MASKS if k in masked))


def still_reaches_someone(text: str) -> bool:
    """Whether a text may hold contact data or a BSN after all: such a text is never shown."""
    return bool(_EMAIL.search(text) or "@" in text or _NINE_DIGITS.search(text) or contains_bsn(text))
