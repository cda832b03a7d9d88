"""The signal lifecycle's pure rules: who raises as what, who sees which signal, the steps a signal
takes, how signals group into patterns, and the resident's status link. No I/O here.

Lifecycle: ``raised`` → ``acknowledged`` (the municipality's desk has read it) → ``answered``.
Answering an unacknowledged signal acknowledges it in the same step. An answer is final: answering
again is refused (409), so what the raiser read is never silently replaced; a desk that must add
something raises it through its own channels. Acknowledging again changes nothing (idempotent).

Routing (who sees a signal, with its text):
- the municipality's signal desk (scope ``municipality``): the signals of the key's municipality;
  a desk key without a municipality is the region's desk and sees every signal;
- a council (scope ``council``): with a municipality, that municipality's signals plus every
  regional-level signal; without one, every signal;
- every key: the signals its own organisation raised (within the key's municipality, if it has one).
A signal outside this reach is answered exactly like an unknown one (404).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Final

from pydantic import ConfigDict, StringConstraints, field_validator

from contracts.codes import SIGNAL_STATUSES, LifeDomain, SignalStatus
from contracts.events import SignalLevel, SignalSource, SignalTheme, refuse_bsn
from contracts.labels import SIGNAL_STATUS_LABELS
from contracts.text import CleanText
from services.kit.access import Principal

STATUSES: Final[tuple[SignalStatus, ...]] = SIGNAL_STATUSES

DESK: Final = "municipality"
COUNCIL: Final = "council"
#: Scopes that may raise a signal through the API.
RAISERS: Final[tuple[str, ...]] = ("staff", "submit", "coordinator", "council")
#: Scopes that may read signals through the API (the desk, councils, and raisers reading their own).
READERS: Final[tuple[str, ...]] = (DESK, COUNCIL, "staff", "submit", "read-own", "coordinator")

#: As what a key with a scope may raise a signal; the first is the default when the body says nothing.
#: Staff may pass on what a resident or supporter told them by phone or at the desk.
SOURCES_BY_SCOPE: Final[dict[str, tuple[SignalSource, ...]]] = {
    "council": ("council",),
    "staff": ("staff", "supporter", "resident"),
    "coordinator": ("supporter", "staff"),
    "submit": ("partner", "supporter"),
}

#: At most this many signals in one listing.
LIST_LIMIT: Final = 200
#: Bytes of randomness of a resident's status link (shown once; only its SHA-256 is stored).
TOKEN_BYTES: Final = 32
TOKEN_PATTERN: Final = re.compile(r"^[A-Za-z0-9_-]{43}$")

NOT_FOUND: Final = "Dit signaal is niet bekend. / This signal is not known."
DESK_ONLY: Final = (
    "Alleen het signalenloket van deze gemeente mag dit doen. / Only this municipality's signal desk may do this."
)
ALREADY_ANSWERED: Final = (
    "Dit signaal is al beantwoord; een antwoord wordt niet vervangen. "
    "/ This signal has been answered already; an answer is not replaced."
)
SOURCE_REFUSED: Final = (
    "Deze sleutel mag alleen signalen doorgeven als: {allowed}. / With this key, raised_by must be one of: {allowed}."
)


class SignalRefused(Exception):
    """A step the caller may not take; ``field`` names what to change (None: the key itself)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class AlreadyAnswered(Exception):
    """The signal has its answer; it is not replaced."""


# --- raising --------------------------------------------------------------------------------------


def sources_for(principal: Principal) -> tuple[SignalSource, ...]:
    """Every ``raised_by`` the key's scopes allow, the default first."""
    allowed: list[SignalSource] = []
    for scope, sources in SOURCES_BY_SCOPE.items():
        if principal.has(scope):
            allowed += [s for s in sources if s not in allowed]
    return tuple(allowed)


def source_for(principal: Principal, claimed: SignalSource | None) -> SignalSource:
    """The ``raised_by`` of an API signal: follows from the key's scopes, never from the body alone.

    Without a claim the key's own kind is used (a council key raises as ``council``); a claim the
    key's scopes do not allow is refused (422 on ``raised_by``).
    """
    allowed = sources_for(principal)
    if not allowed:
        raise SignalRefused(SOURCE_REFUSED.format(allowed="-"), field="raised_by")
    if claimed is None:
        return allowed[0]
    if claimed not in allowed:
        raise SignalRefused(SOURCE_REFUSED.format(allowed=", ".join(allowed)), field="raised_by")
    return claimed


# --- routing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """The signals one key may see (see the module's docstring). The store turns it into SQL."""

    everything: bool = False
    municipalities: frozenset[str] = frozenset()
    regional: bool = False
    organisation: str | None = None
    #: The municipality the key is tied to, limiting the organisation's own signals (None: any).
    organisation_municipality: str | None = None

    def covers(self, municipality: str, level: SignalLevel, raised_by_organisation: str | None) -> bool:
        if self.everything or municipality in self.municipalities or (self.regional and level == "regional"):
            return True
        own = raised_by_organisation is not None and raised_by_organisation == self.organisation
        return own and self.organisation_municipality in (None, municipality)


def reach_of(principal: Principal) -> Reach:
    everything = False
    municipalities: set[str] = set()
    regional = False
    for scope in (DESK, COUNCIL):
        if not principal.has(scope):
            continue
        if principal.municipality is None:
            everything = True
        else:
            municipalities.add(principal.municipality)
            regional = regional or scope == COUNCIL
    return Reach(everything, frozenset(municipalities), regional, principal.organisation, principal.municipality)


def may_respond(principal: Principal, municipality: str) -> bool:
    """Acknowledging and answering: the desk of the signal's municipality (or the region's desk)."""
    return principal.has(DESK) and principal.may_see_municipality(municipality)


# --- steps ----------------------------------------------------------------------------------------


def acknowledge_changes(status: SignalStatus) -> bool:
    """Whether acknowledging changes the signal: only a freshly raised one (a repeat is a no-op)."""
    return status == "raised"


def answer_acknowledges(status: SignalStatus) -> bool:
    """Whether answering also acknowledges (answering implies having read it).

    Raises AlreadyAnswered for a signal that has its answer.
    """
    if status == "answered":
        raise AlreadyAnswered(ALREADY_ANSWERED)
    return status == "raised"


class AnswerBody(CleanText):
    """``POST /api/v1/signals/{id}/answer``: the municipality's answer, shown to whoever raised it."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]

    _text = field_validator("text")(refuse_bsn)


# --- grouping -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignalFacts:
    """What grouping needs of a signal (no text)."""

    signal_id: str
    theme: SignalTheme
    life_domain: LifeDomain | None
    municipality: str
    level: SignalLevel
    status: SignalStatus
    raised_at: datetime


@dataclass(frozen=True)
class Group:
    """Signals sharing theme, life domain and level: a pattern a council can act on."""

    theme: SignalTheme
    life_domain: LifeDomain | None
    level: SignalLevel
    count: int
    municipalities: tuple[str, ...]
    first_raised_at: datetime
    last_raised_at: datetime
    answered: int
    signal_ids: tuple[str, ...]


def group_signals(signals: Iterable[SignalFacts]) -> list[Group]:
    """Group by (theme, life domain, level); the largest group first, then the most recent one.

    Ties end in the key's own order, so the same signals always give the same list.
    """
    buckets: defaultdict[tuple[SignalTheme, LifeDomain | None, SignalLevel], list[SignalFacts]] = defaultdict(list)
    for s in signals:
        buckets[(s.theme, s.life_domain, s.level)].append(s)
    groups = [_group(key, members) for key, members in buckets.items()]
    groups.sort(key=lambda g: (g.theme, g.life_domain or "", g.level))
    groups.sort(key=lambda g: (g.count, g.last_raised_at), reverse=True)
    return groups


def _group(key: tuple[SignalTheme, LifeDomain | None, SignalLevel], members: list[SignalFacts]) -> Group:
    ordered = sorted(members, key=lambda s: (s.raised_at, s.signal_id))
    return Group(
        theme=key[0],
        life_domain=key[1],
        level=key[2],
        count=len(ordered),
        municipalities=tuple(sorted({s.municipality for s in ordered})),
        first_raised_at=ordered[0].raised_at,
        last_raised_at=ordered[-1].raised_at,
        answered=sum(s.status == "answered" for s in ordered),
        signal_ids=tuple(s.signal_id for s in ordered),
    )


# --- the resident's status link -------------------------------------------------------------------


def new_status_token() -> tuple[str, str]:
    """``(token, digest)``: the token goes into the resident's link once; only the digest is stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(value: str) -> bool:
    return bool(TOKEN_PATTERN.fullmatch(value))


@dataclass(frozen=True)
class ResidentStatus:
    """What the status page tells the resident, in plain Dutch (B1)."""

    label: str
    explanation: str


RESIDENT_STATUS: Final[dict[SignalStatus, ResidentStatus]] = {
    "raised": ResidentStatus(
        SIGNAL_STATUS_LABELS["raised"],
        "Wij hebben uw signaal doorgestuurd naar de gemeente. De gemeente heeft het nog niet gelezen.",
    ),
    "acknowledged": ResidentStatus(
        SIGNAL_STATUS_LABELS["acknowledged"],
        "De gemeente heeft uw signaal gelezen. U krijgt hier een antwoord. Kijk later nog eens op deze pagina.",
    ),
    "answered": ResidentStatus(
        SIGNAL_STATUS_LABELS["answered"], "De gemeente heeft uw signaal gelezen en gaf dit antwoord:"
    ),
}
