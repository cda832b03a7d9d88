"""What matching matches: organisations, supporters and questions (plain values, no behaviour beyond
checking a record)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from contracts.codes import LIFE_DOMAINS, SUPPORTER_KINDS
from contracts.events import QuestionReceived
from services.kit.region import current_region


@dataclass(frozen=True, slots=True)
class Organisation:
    """A supporting or referring organisation. One that decides on provisions is not independent."""

    id: str
    name: str
    decides_on_provisions: bool = False


@dataclass(frozen=True, slots=True)
class SupporterRecord:
    """A supporter in the shared pool, as stored by matching.

    ``active_cases`` counts the questions assigned and not yet ended; ``capacity`` is the most the
    supporter takes at once. ``paused_until``: not available before that date (available again on
    it). ``experience_themes``: what an experience expert has lived through (same codes as
    specialisms, e.g. ``debts``, ``ggz``). Validation is separate (:func:`supporter_problems`) so
    that reading thousands of trusted rows from the database stays cheap.
    """

    id: str
    name: str
    email: str
    kind: str
    organisation: str
    municipalities: Sequence[str]
    life_domains: Sequence[str]
    languages: Sequence[str] = ("nl",)
    specialisms: Sequence[str] = ()
    capacity: int = 0
    active_cases: int = 0
    postcode: str | None = None
    active: bool = True
    paused_until: date | None = None
    experience_themes: Sequence[str] = ()


def supporter_problems(s: SupporterRecord) -> list[str]:
    """What is wrong with a record before it is stored (empty when it is fine)."""
    problems = []
    if not s.id or not s.name or not s.email or not s.organisation:
        problems.append("id, name, email and organisation are required")
    if s.kind not in SUPPORTER_KINDS:
        problems.append(f"kind must be one of {', '.join(SUPPORTER_KINDS)}, got {s.kind!r}")
    unknown_domains = [d for d in s.life_domains if d not in LIFE_DOMAINS]
    if unknown_domains:
        problems.append(f"unknown life domain(s) {unknown_domains}")
    unknown_places = [m for m in s.municipalities if not current_region().serves(m)]
    if unknown_places:
        problems.append(f"unknown municipality code(s) {unknown_places}")
    if s.capacity < 0 or not 0 <= s.active_cases <= s.capacity:
        problems.append(f"need 0 <= active_cases <= capacity, got {s.active_cases} and {s.capacity}")
    if s.postcode is not None and postcode_number(s.postcode) is None:
        problems.append(f"postcode must start with 4 digits, got {s.postcode!r}")
    return problems


#: What a resident's need (``contracts.codes.Need``, asked on the form and the API) asks of the
#: supporter, as the specialism the hard rule ``needs`` checks; ``None``: nothing matching can check.
#: - ``sign_language``: a supporter who signs (specialism ``sign_language``);
#: - ``easy_language``: a supporter who knows people with a mild intellectual disability (``lvb``);
#: - ``interpreter``: the loket books an interpreter for the conversations; no supporter property rules
#:   anyone out, so it is no rule here (the supporter and the coordinators see the need with the case);
#: - ``wheelchair_access``: the meeting place must be reachable by wheelchair; that is the place, not the
#:   supporter (a home visit or an accessible office), so it is no rule here either (shown likewise).
#: Any other code is a specialism itself (e.g. ``lvb`` from an older partner system or a scenario).
NEED_SPECIALISMS: dict[str, str | None] = {
    "sign_language": "sign_language",
    "easy_language": "lvb",
    "interpreter": None,
    "wheelchair_access": None,
}


def required_specialisms(needs: Sequence[str]) -> tuple[str, ...]:
    """The specialisms a supporter must have for ``needs`` (see :data:`NEED_SPECIALISMS`), each once."""
    found = (NEED_SPECIALISMS.get(need, need) for need in needs)
    return tuple(dict.fromkeys(s for s in found if s))


@dataclass(frozen=True, slots=True)
class Question:
    """What matching needs to know of a question (no personal data: it comes from an event).

    ``needs``: specialisms the supporter must have (a hard rule), e.g. ``sign_language``, ``lvb``: the
    resident's needs as :func:`required_specialisms` reads them.
    ``previous_supporters``: who supported this resident before (continuity scores high).
    ``wants_duo``: ``True`` the resident asked for a professional plus a volunteer or experience
    expert, ``False`` they do not want two supporters, ``None`` they did not say — then a resident
    who left the kind open (``any``) may get a duo when no single supporter covers every domain.
    """

    question_id: str
    municipality: str
    life_domains: tuple[str, ...]
    preferred_supporter_kind: str = "any"
    languages: tuple[str, ...] = ("nl",)
    postcode: str | None = None
    referrer: str | None = None
    needs: tuple[str, ...] = ()
    previous_supporters: tuple[str, ...] = ()
    wants_duo: bool | None = None

    @classmethod
    def from_event(cls, event: QuestionReceived) -> Question:
        return cls(
            question_id=event.question_id,
            municipality=event.municipality,
            life_domains=tuple(event.life_domains),
            preferred_supporter_kind=event.preferred_supporter_kind,
            languages=tuple(event.languages),
            postcode=event.postcode,
            referrer=event.referrer,
            needs=required_specialisms(getattr(event, "needs", ()) or ()),
            wants_duo=getattr(event, "wants_duo", None),
        )


def duo_allowed(q: Question) -> bool:
    """May this question get a duo? Several domains, the kind left open, and no 'no' to two supporters."""
    return len(set(q.life_domains)) >= 2 and q.preferred_supporter_kind == "any" and q.wants_duo is not False


def postcode_number(postcode: str | None) -> int | None:
    """The 4-digit number of a Dutch postcode ("3311" or "3311 AB"), or None."""
    if not postcode:
        return None
    digits = postcode.strip()[:4]
    return int(digits) if len(digits) == 4 and digits.isdigit() else None
