"""Pure rules of residents' experiences. No I/O here.

Support and closing, with a duo: matching assigns a duo as two assignments (the professional as
lead, announced first). Intake tracks each assignment and closes the question only when the last
support still active has ended; a declined assignment no longer counts as active (matching looks
for someone else and announces that as a new assignment).

The invitation may be given as soon as *one* support of the question has ended: notifications acts
on the first SupportEnded it sees, and a duo's partner may go on for weeks. The experience then names
the organisation and kind of the first-assigned support that has ended (with a duo: the lead).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from contracts.codes import AgeBand, LifeDomain, SupporterKind
from contracts.events import ExperienceShared, ExperienceStatements, refuse_bsn

#: How long a personal link to the experience form works.
INVITATION_VALID: Final = timedelta(days=60)
#: Random bytes in a link's token (``secrets.token_urlsafe`` makes 43 characters of them).
TOKEN_BYTES: Final = 32
_TOKEN: Final = re.compile(r"^[A-Za-z0-9_-]{43}$")
MAX_TEXT: Final = 2000


# --- the personal link ----------------------------------------------------------------------------


def new_token() -> str:
    """A fresh link token: 32 random bytes, URL-safe. Only its digest is ever stored."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What intake stores of a token: its SHA-256, so a copy of the database opens no form."""
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(value: str) -> bool:
    """Whether ``value`` has the shape of a token at all (anything else is not looked up)."""
    return bool(_TOKEN.match(value))


def invitation_url(intake_url: str, token: str) -> str:
    return f"{intake_url.rstrip('/')}/ervaring/{token}"


@dataclass(frozen=True)
class Invitation:
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


LinkState = Literal["open", "used", "expired"]


def link_state(invitation: Invitation, now: datetime) -> LinkState:
    """A link works once, until it expires."""
    if invitation.used_at is not None:
        return "used"
    if now >= invitation.expires_at:
        return "expired"
    return "open"


def expiry(issued_at: datetime) -> datetime:
    return issued_at + INVITATION_VALID


# --- support ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Support:
    """One assignment of a question, as intake heard of it from matching."""

    assignment_id: str
    organisation: str
    supporter_kind: SupporterKind | None
    assigned_at: datetime | None = None
    accepted_at: datetime | None = None
    declined_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.declined_at is None and self.ended_at is None


def last_support_ended(supports: Sequence[Support]) -> bool:
    """True when some support of the question has ended and none is active any more (close it)."""
    return any(s.ended_at for s in supports) and not any(s.active for s in supports)


def support_has_ended(supports: Sequence[Support]) -> bool:
    """Whether the resident may be invited: at least one support has ended (see the module docstring)."""
    return any(s.ended_at for s in supports)


def support_of_experience(supports: Sequence[Support]) -> Support | None:
    """The support an experience is about: the first-assigned one that has ended (a duo's lead)."""
    ended = [s for s in supports if s.ended_at]
    return min(ended, key=lambda s: (s.assigned_at is None, s.assigned_at or s.ended_at)) if ended else None


# --- may an invitation be given? --------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why no invitation can be given (409): a stable code and an English sentence for the caller."""

    code: Literal["support_not_ended", "resident_erased", "already_shared"]
    message: str


NOT_ENDED: Final = Refusal("support_not_ended", "Support for this question has not ended (yet).")
ERASED: Final = Refusal("resident_erased", "The resident was erased; nobody can be invited.")
ALREADY_SHARED: Final = Refusal("already_shared", "An experience was already shared for this question.")


def invitation_refusal(*, erased: bool, already_shared: bool, supports: Sequence[Support]) -> Refusal | None:
    """None when the resident may get a (new) link; else why not. Erasure is checked first."""
    if erased:
        return ERASED
    if already_shared:
        return ALREADY_SHARED
    if not support_has_ended(supports):
        return NOT_ENDED
    return None


# --- the answers ------------------------------------------------------------------------------------

Agreement = Literal["agree", "neutral", "disagree"]
AGREEMENTS: Final[tuple[Agreement, ...]] = ("agree", "neutral", "disagree")
#: The form's value for "I'd rather not answer this one": the same as leaving it open.
SKIP: Final = "skip"
STATEMENTS: Final[tuple[str, ...]] = ("knew_where_to_go", "helped_quickly", "supporter_on_my_side")


def parse_agreement(value: str) -> Agreement | None:
    """A statement's answer from the form: agree/neutral/disagree, None when left open or skipped.

    Anything else is refused (ValueError): a form never sends it, so it is not guessed at.
    """
    cleaned = value.strip().lower()
    if cleaned in ("", SKIP):
        return None
    for agreement in AGREEMENTS:
        if cleaned == agreement:
            return agreement
    raise ValueError(f"not one of {', '.join(AGREEMENTS)}: {value!r}")


def _empty_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _no_bsn(value: str | None) -> str | None:
    return refuse_bsn(value) if value is not None else None


class ExperienceAnswers(BaseModel):
    """What a resident answered. The text stays in intake (sealed); it never goes on a topic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    statements: ExperienceStatements = Field(default_factory=ExperienceStatements)
    score: int = Field(ge=1, le=10)
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT)] | None = None

    _text_empty = field_validator("text", mode="before")(_empty_to_none)
    _text_bsn = field_validator("text")(_no_bsn)


# --- what is published -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionFacts:
    """The coarse facts of a question an experience carries: never an id, a ref or a text."""

    municipality: str
    life_domains: list[LifeDomain]
    age_band: AgeBand | None


def shared_event(
    experience_id: uuid.UUID,
    facts: QuestionFacts,
    support: Support | None,
    answers: ExperienceAnswers,
    shared_at: datetime,
) -> ExperienceShared:
    """ExperienceShared: no question id, no resident ref, no text; only that there is a text."""
    return ExperienceShared(
        experience_id=str(experience_id),
        municipality=facts.municipality,
        life_domains=list(facts.life_domains),
        age_band=facts.age_band,
        organisation=support.organisation if support else None,
        supporter_kind=support.supporter_kind if support else None,
        statements=answers.statements,
        score=answers.score,
        has_text=bool(answers.text),
        shared_at=shared_at,
    )
