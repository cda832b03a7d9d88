"""`samenloket match-eval FILE`: read a matching scenario and print the assignments it would make.

The scenario format is binding (issue 4)::

    {"organisations": [{"id", "decides_on_provisions"}],
     "supporters": [{"id", "kind", "organisation", "municipalities", "life_domains", "languages",
                     "specialisms", "capacity", "active_cases", "postcode"}],
     "questions": [{"id", "municipality", "life_domains", "preferred_supporter_kind", "languages",
                    "needs", "postcode", "referrer", "waiting_since"}]}

Optional extras: an organisation's ``name``; a supporter's ``active``, ``paused_until`` (a date) and
``experience_themes``; a question's ``previous_supporters`` and ``wants_duo``. A question's ``needs``
are the resident's needs (``sign_language``, ``easy_language``, ``interpreter``, ``wheelchair_access``,
read as :data:`~services.matching.domain.model.NEED_SPECIALISMS` says) or specialism codes; its
``languages`` are in the resident's order, first choice first. Unknown keys are
errors (they are usually typos). The output is
``{"assignments": [{"question_id", "supporter_ids", "score", "reasons"}], "unassigned":
[{"question_id", "reason"}]}``, reasons as ``{"code", "text"}``, oldest question first.

How it decides: like the service's waiting list, in one batch
(:func:`~services.matching.optimise.assign_waiting`) over all questions, with ageing measured up to
the newest ``waiting_since`` in the file (or ``--now``) — fairer than first come, first served, and
the same answer for the same file.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from contracts.codes import KindPreference, LifeDomain, SupporterKind
from contracts.events import Reason, check_languages, check_municipality
from services.matching import domain, optimise
from services.matching.postcodes import region_places

Postcode = Field(default=None, pattern=r"^[1-9][0-9]{3}$")
Code = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioOrganisation(_Strict):
    id: str = Field(min_length=1)
    decides_on_provisions: bool
    name: str | None = None


class ScenarioSupporter(_Strict):
    id: str = Field(min_length=1)
    kind: SupporterKind
    organisation: str = Field(min_length=1)
    municipalities: list[str] = Field(min_length=1)
    life_domains: list[LifeDomain] = Field(min_length=1)
    languages: list[str] = Field(min_length=1)
    specialisms: list[str] = Field(default_factory=list)
    capacity: int = Field(ge=0)
    active_cases: int = Field(default=0, ge=0)
    postcode: str | None = Postcode
    active: bool = True
    paused_until: date | None = None
    experience_themes: list[str] = Field(default_factory=list)

    @field_validator("municipalities")
    @classmethod
    def _municipalities(cls, values: list[str]) -> list[str]:
        return [check_municipality(v) for v in values]

    _languages = field_validator("languages")(check_languages)


class ScenarioQuestion(_Strict):
    id: str = Field(min_length=1)
    municipality: str
    life_domains: list[LifeDomain] = Field(min_length=1)
    preferred_supporter_kind: KindPreference = "any"
    languages: list[str] = Field(default_factory=lambda: ["nl"])
    needs: list[str] = Field(default_factory=list)
    postcode: str | None = Postcode
    referrer: str | None = None
    waiting_since: datetime
    previous_supporters: list[str] = Field(default_factory=list)
    wants_duo: bool | None = None

    _municipality = field_validator("municipality")(check_municipality)
    _languages = field_validator("languages")(check_languages)


class Scenario(_Strict):
    organisations: list[ScenarioOrganisation]
    supporters: list[ScenarioSupporter]
    questions: list[ScenarioQuestion]


class ScenarioError(Exception):
    """A scenario that cannot be evaluated; ``lines`` has one readable line per problem."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def parse(text: str) -> Scenario:
    """Validate a scenario; raises :class:`ScenarioError` naming the path of every problem."""
    try:
        raw: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError([f"(file): not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]) from exc
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError([f"{_path(e['loc'])}: {e['msg']}" for e in exc.errors()]) from exc
    problems = _cross_check(scenario)
    if problems:
        raise ScenarioError(problems)
    return scenario


def _duplicates(kind: str, ids: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for i, value in enumerate(ids):
        if value in seen:
            out.append(f"{kind}[{i}].id: duplicate id {value!r}")
        seen.add(value)
    return out


def _cross_check(s: Scenario) -> list[str]:
    """What a schema cannot see: duplicates, references, counts."""
    problems = _duplicates("organisations", [o.id for o in s.organisations])
    problems += _duplicates("supporters", [x.id for x in s.supporters])
    problems += _duplicates("questions", [q.id for q in s.questions])
    organisations = {o.id for o in s.organisations}
    supporters = {x.id for x in s.supporters}
    for i, x in enumerate(s.supporters):
        if x.organisation not in organisations:
            problems.append(f"supporters[{i}].organisation: unknown organisation {x.organisation!r}")
        if x.active_cases > x.capacity:
            problems.append(f"supporters[{i}].active_cases: {x.active_cases} is more than the capacity {x.capacity}")
    for i, q in enumerate(s.questions):
        for j, sid in enumerate(q.previous_supporters):
            if sid not in supporters:
                problems.append(f"questions[{i}].previous_supporters[{j}]: unknown supporter {sid!r}")
    return problems


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def to_domain(
    s: Scenario,
) -> tuple[dict[str, domain.Organisation], list[domain.SupporterRecord], list[domain.Question], dict[str, datetime]]:
    organisations = {o.id: domain.Organisation(o.id, o.name or o.id, o.decides_on_provisions) for o in s.organisations}
    supporters = [
        domain.SupporterRecord(
            id=x.id,
            name=x.id,
            email=f"{x.id}@scenario.invalid",
            kind=x.kind,
            organisation=x.organisation,
            municipalities=tuple(x.municipalities),
            life_domains=tuple(x.life_domains),
            languages=tuple(x.languages),
            specialisms=tuple(x.specialisms),
            capacity=x.capacity,
            active_cases=x.active_cases,
            postcode=x.postcode,
            active=x.active,
            paused_until=x.paused_until,
            experience_themes=tuple(x.experience_themes),
        )
        for x in s.supporters
    ]
    questions = [
        domain.Question(
            question_id=q.id,
            municipality=q.municipality,
            life_domains=tuple(dict.fromkeys(q.life_domains)),
            preferred_supporter_kind=q.preferred_supporter_kind,
            languages=tuple(q.languages),
            postcode=q.postcode,
            referrer=q.referrer,
            needs=domain.required_specialisms(q.needs),
            previous_supporters=tuple(q.previous_supporters),
            wants_duo=q.wants_duo,
        )
        for q in s.questions
    ]
    return organisations, supporters, questions, {q.id: _utc(q.waiting_since) for q in s.questions}


WAITING_REASON = Reason(
    code=domain.NO_CAPACITY,
    text="De ondersteuners die passen, hebben nu geen plek vrij. De vraag blijft op de wachtlijst.",
)


def evaluate(s: Scenario, now: datetime | None = None) -> dict[str, Any]:
    """The assignments the batch matching makes for a validated scenario, as JSON-ready data."""
    organisations, supporters, questions, since = to_domain(s)
    moment = _utc(now) if now else max(since.values(), default=datetime.now(UTC))
    places = region_places()
    rows = optimise.assign_waiting(questions, since, supporters, organisations, moment, max_rounds=None, places=places)
    assignments: dict[str, dict[str, Any]] = {}
    for question_id, supporter_id, scored in rows:
        entry = assignments.setdefault(
            question_id,
            {
                "question_id": question_id,
                "supporter_ids": [],
                "score": round(scored.score, 4),
                "reasons": [r.model_dump() for r in scored.top_reasons(3)],
            },
        )
        entry["supporter_ids"].append(supporter_id)
    index = domain.SupporterIndex(supporters, organisations, places)
    unassigned = []
    for q in sorted(questions, key=lambda q: (since[q.question_id], q.question_id)):
        if q.question_id in assignments:
            continue
        unassigned.append({"question_id": q.question_id, "reason": _why_not(index, q, moment).model_dump()})
    return {"assignments": list(assignments.values()), "unassigned": unassigned}


def _why_not(index: domain.SupporterIndex, q: domain.Question, now: datetime) -> Reason:
    """Waiting (someone fits but has no place left) or consultation (nobody fits at all)."""
    evaluation = index.evaluate(q, limit=1, today=now.date())
    if evaluation.eligible_count or evaluation.full_count:
        return WAITING_REASON
    if index.best_duo(q, today=now.date(), require_room=False) is not None:
        return WAITING_REASON
    return domain.consultation_reason()


def run(path: Path, now: datetime | None = None) -> dict[str, Any]:
    """Read, validate and evaluate a scenario file (raises :class:`ScenarioError`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([f"(file): cannot read {path}: {exc.strerror or exc}"]) from exc
    return evaluate(parse(text), now)
