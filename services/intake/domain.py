"""Intake's pure rules: identifiers, resident matching and question status. No I/O here."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Annotated, Final, Literal

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from contracts.codes import LifeDomain
from contracts.events import (
    SignalLevel,
    SignalSource,
    SignalTheme,
    check_municipality,
    refuse_bsn,
)
from contracts.text import CleanText, MunicipalityCode

QuestionStatus = Literal["received", "waiting", "consultation", "assigned", "accepted", "closed", "withdrawn"]
STATUSES: Final[tuple[QuestionStatus, ...]] = (
    "received",
    "waiting",
    "consultation",
    "assigned",
    "accepted",
    "closed",
    "withdrawn",
)
TERMINAL: Final[frozenset[QuestionStatus]] = frozenset({"closed", "withdrawn"})

#: Dutch (B1) history reasons shown to residents and referrers.
REASON_RECEIVED: Final = "Uw vraag is ontvangen."
REASON_WAITING: Final = "Er is nu geen cliëntondersteuner vrij. Uw vraag staat op de wachtlijst."
REASON_ASSIGNED: Final = "Er is een cliëntondersteuner voor u gevonden."
REASON_CONSULTATION: Final = "Uw vraag wordt besproken in het gezamenlijk overleg."

_INDEX_CONTEXT: Final = b"samenloket/intake/resident-index/v1"
_NON_DIGITS: Final = re.compile(r"\D")


# --- identifiers ----------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    """The form under which two spellings of one address compare equal: trimmed, lower-case."""
    return email.strip().lower()


def normalise_phone(phone: str) -> str:
    """Digits only, Dutch international forms turned national: ``+31 6…``/``0031 6…`` → ``06…``.

    A ``(0)`` written after the country code (``+31 (0)6 …``) is dropped. Other international
    numbers keep their ``00`` + country code form, so ``+32…`` and ``0032…`` compare equal too.
    """
    text = phone.strip()
    digits = _NON_DIGITS.sub("", text)
    if text.startswith("+"):
        digits = "00" + digits
    if digits.startswith("0031"):
        return "0" + digits[4:].removeprefix("0")
    return digits


def index_key(secret: str) -> bytes:
    """The HMAC key of the resident blind indexes, derived from ``secret``.

    The secret is ``SAMENLOKET_INDEX_KEY`` (or the ``index_key`` of ``<data dir>/secrets.json``),
    kept apart from the encryption key ring so that rotating encryption keys changes nothing here.
    Changing the secret makes existing residents unfindable by their identifiers (they then get a
    new ``resident_ref``), never merges anyone.
    """
    return hmac.new(secret.encode(), _INDEX_CONTEXT, hashlib.sha256).digest()


def blind_index(key: bytes, kind: str, normalised: str) -> str:
    """HMAC-SHA256 of one normalised identifier: equal inputs give equal indexes, nothing else leaks."""
    return hmac.new(key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Identifiers:
    """The blind indexes a submission carries (each may be missing)."""

    email: str | None
    phone: str | None

    @classmethod
    def of(cls, key: bytes, email: str | None, phone: str | None) -> Identifiers:
        email_n = normalise_email(email) if email else ""
        phone_n = normalise_phone(phone) if phone else ""
        return cls(
            email=blind_index(key, "email", email_n) if email_n else None,
            phone=blind_index(key, "phone", phone_n) if phone_n else None,
        )

    def values(self) -> list[str]:
        return [v for v in (self.email, self.phone) if v]


# --- resident matching ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A stored resident sharing at least one identifier with the submission."""

    resident_ref: str
    email: str | None
    phone: str | None
    #: The resident's wrapped data key, read with the candidate so reusing it needs no second read
    #: (None for a resident stored before encryption at rest).
    data_key: str | None = None


def _conflicts(mine: str | None, theirs: str | None) -> bool:
    return mine is not None and theirs is not None and mine != theirs


def _matches(mine: str | None, theirs: str | None) -> bool:
    return mine is not None and mine == theirs


def compatible(ids: Identifiers, candidate: Candidate) -> bool:
    """True when no identifier both sides have differs (missing ones never conflict)."""
    return not (_conflicts(ids.email, candidate.email) or _conflicts(ids.phone, candidate.phone))


def choose_resident(ids: Identifiers, candidates: list[Candidate]) -> str | None:
    """The ``resident_ref`` to reuse for a submission, or None for a new resident.

    Rules, so that two people are never merged:
    - a candidate one of whose identifiers differs from the submission's is never chosen (same
      e-mail but another phone number: a new resident);
    - among the rest, the one matching the most identifiers wins, then the one whose identifiers
      are exactly the submission's;
    - a tie that remains is ambiguous (e.g. e-mail of one resident, phone of another): new resident.
    """
    if not ids.values():
        return None

    def rank(c: Candidate) -> tuple[int, bool]:
        matched = _matches(ids.email, c.email) + _matches(ids.phone, c.phone)
        return matched, (c.email, c.phone) == (ids.email, ids.phone)

    ranked = sorted(
        ((rank(c), c) for c in candidates if compatible(ids, c) and rank(c)[0] > 0),
        key=lambda pair: pair[0],
        reverse=True,
    )
    if not ranked or (len(ranked) > 1 and ranked[0][0] == ranked[1][0]):
        return None
    return ranked[0][1].resident_ref


# --- question status ------------------------------------------------------------------------------


def status_change_applies(current: QuestionStatus, new: QuestionStatus) -> bool:
    """Whether an incoming status event changes a question's status.

    A closed or withdrawn question stays so; nothing goes back to ``received``; a repeated
    ``waiting`` or ``consultation`` adds nothing. ``assigned`` again (another supporter) does apply.
    """
    if current in TERMINAL or new == "received":
        return False
    return new != current or new == "assigned"


# --- signals --------------------------------------------------------------------------------------


class SignalSubmission(CleanText):
    """``POST /api/v1/signals``: a systemic problem, with a free text that never leaves intake."""

    model_config = ConfigDict(extra="forbid")

    theme: SignalTheme
    life_domain: LifeDomain | None = None
    municipality: MunicipalityCode
    level: SignalLevel
    raised_by: SignalSource | None = Field(
        default=None, description="who raises it; through the API it follows from the key (signals/domain.py)"
    )
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

    _municipality = field_validator("municipality")(check_municipality)
    _text = field_validator("text")(refuse_bsn)
