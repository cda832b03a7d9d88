"""HTTP entry points of matching: the supporter registry, the life of an assignment, the consultation.

``/api/v1`` is for coordinators: an API key with the ``coordinator`` scope (``samenloket apikey
create --scope coordinator``), or the internal token for calls between services. A key tied to a
municipality sees and changes only that municipality's supporters, assignments and consultations.
A supporter's e-mail address leaves matching only through the internal contact route (for
notifications), never on a topic or in a listing.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

import asyncpg
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationInfo, field_validator

from contracts.codes import LIFE_DOMAINS, MUNICIPALITIES, SupporterKind
from contracts.events import Reason, check_languages, check_municipality, refuse_bsn
from services.kit import access
from services.kit.access import Principal
from services.kit.db import Conn
from services.kit.http import internal_auth
from services.kit.runtime import Runtime
from services.matching import handlers, store

log = logging.getLogger(__name__)

Identifier = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:\-]+$")]
#: The internal token acts as an unlimited coordinator (service-to-service calls, operators' scripts).
INTERNAL = Principal(key_id="internal", organisation="samenloket", scopes=frozenset({"coordinator"}))
#: Retries of a command whose transaction lost a deadlock (PostgreSQL aborts one side; rare).
DEADLOCK_RETRIES = 3

T = TypeVar("T")


# --- input ----------------------------------------------------------------------------------------


def _codes(values: list[str], allowed: dict[str, str], what: str) -> list[str]:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValueError(f"unknown {what} code(s) {unknown}; allowed: {', '.join(allowed)}")
    return list(dict.fromkeys(values))


def _postcode(value: str | None) -> str | None:
    """``3311``, ``3311AB`` or ``3311 AB`` → ``3311`` (matching uses the 4-digit area only)."""
    if value is None:
        return None
    text = value.strip().upper().replace(" ", "")
    if len(text) not in (4, 6) or not text[:4].isdigit() or text[0] == "0" or not (text[4:] or "AA").isalpha():
        raise ValueError(f"postcode must be 4 digits, optionally with 2 letters (e.g. 3311 AB), got {value!r}")
    return text[:4]


def _pause(value: date | None, info: ValidationInfo) -> date | None:
    if value is None:
        return None
    if info.data.get("availability") == "active":
        raise ValueError("paused_until goes with availability 'paused'")
    if value <= handlers.today():
        raise ValueError(f"paused_until must be a day after today ({handlers.today().isoformat()})")
    return value


class _SupporterChecks(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("municipalities", check_fields=False)
    @classmethod
    def _municipalities(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else list(dict.fromkeys(check_municipality(v) for v in values))

    @field_validator("life_domains", check_fields=False)
    @classmethod
    def _life_domains(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else _codes(values, LIFE_DOMAINS, "life domain")

    @field_validator("languages", check_fields=False)
    @classmethod
    def _languages(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else list(dict.fromkeys(check_languages(values)))

    @field_validator("specialisms", check_fields=False)
    @classmethod
    def _specialisms(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else _codes(values, handlers.SPECIALISMS, "specialism")

    @field_validator("experience_themes", check_fields=False)
    @classmethod
    def _themes(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else _codes(values, handlers.EXPERIENCE_THEMES, "experience theme")

    @field_validator("postcode", check_fields=False)
    @classmethod
    def _postcode(cls, value: str | None) -> str | None:
        return _postcode(value)

    @field_validator("paused_until", check_fields=False)
    @classmethod
    def _paused_until(cls, value: date | None, info: ValidationInfo) -> date | None:
        return _pause(value, info)


class SupporterIn(_SupporterChecks):
    """A new supporter. ``supporter_id`` is made up when left out."""

    supporter_id: Identifier | None = None
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    kind: SupporterKind
    organisation: Identifier
    municipalities: list[str] = Field(min_length=1, max_length=50)
    life_domains: list[str] = Field(min_length=1, max_length=8)
    languages: list[str] = Field(default_factory=lambda: ["nl"], min_length=1, max_length=15)
    specialisms: list[str] = Field(default_factory=list, max_length=30)
    experience_themes: list[str] = Field(default_factory=list, max_length=30)
    capacity: int = Field(ge=0, le=200, description="most active cases at once")
    availability: Literal["active", "paused"] = "active"
    paused_until: date | None = Field(default=None, description="with availability 'paused': back on this day")
    postcode: str | None = Field(default=None, description="home postcode area, e.g. 3311")


class SupporterChanges(_SupporterChecks):
    """A change to a supporter: only the fields given change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    kind: SupporterKind | None = None
    organisation: Identifier | None = None
    municipalities: list[str] | None = Field(default=None, min_length=1, max_length=50)
    life_domains: list[str] | None = Field(default=None, min_length=1, max_length=8)
    languages: list[str] | None = Field(default=None, min_length=1, max_length=15)
    specialisms: list[str] | None = Field(default=None, max_length=30)
    experience_themes: list[str] | None = Field(default=None, max_length=30)
    capacity: int | None = Field(default=None, ge=0, le=200)
    availability: Literal["active", "paused"] | None = None
    paused_until: date | None = None
    postcode: str | None = None

    def columns(self) -> dict[str, Any]:
        """The columns to set; a pause date alone means paused, 'active' clears the pause."""
        given = self.model_dump(exclude_unset=True)
        changes = {k: v for k, v in given.items() if k not in ("availability", "paused_until") and v is not None}
        if "postcode" in given:
            changes["postcode"] = given["postcode"]
        if self.availability == "active":
            changes |= {"active": True, "paused_until": None}
        elif self.availability == "paused" or "paused_until" in given:
            changes |= availability_columns("paused", given.get("paused_until"))
        return changes


def availability_columns(availability: str, paused_until: date | None) -> dict[str, Any]:
    """Paused until a date: active with ``paused_until``; paused without a date: not active (stopped
    until a coordinator sets them active again); active: neither."""
    if availability == "active":
        return {"active": True, "paused_until": None}
    return {"active": paused_until is not None, "paused_until": paused_until}


class OrganisationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    decides_on_provisions: bool = Field(
        default=False, description="true for e.g. a social team that prepares municipal decisions (not independent)"
    )


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supporter_id: Identifier | None = Field(default=None, description="one member of a duo (default: all)")


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: Literal["supporter", "resident"]
    supporter_id: Identifier | None = Field(default=None, description="required for a duo: who is declined")
    reason_code: str
    reason_text: str | None = Field(default=None, max_length=1000, description="in their own words; never published")

    @field_validator("reason_code")
    @classmethod
    def _reason_code(cls, value: str) -> str:
        _codes([value], handlers.DECLINE_REASONS, "decline reason")
        return value

    @field_validator("reason_text")
    @classmethod
    def _reason_text(cls, value: str | None) -> str | None:
        return None if value is None else refuse_bsn(value)


class EndIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason_code: str = "completed"
    supporter_id: Identifier | None = Field(default=None, description="one member of a duo (default: all)")

    @field_validator("reason_code")
    @classmethod
    def _reason_code(cls, value: str) -> str:
        _codes([value], handlers.END_REASONS, "end reason")
        return value


class ManualAssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supporter_id: Identifier
    reason: str = Field(min_length=5, max_length=1000, description="why the consultation chose this supporter")

    _reason = field_validator("reason")(refuse_bsn)


# --- output ---------------------------------------------------------------------------------------


class SupporterContact(BaseModel):
    supporter_id: str
    name: str
    email: str
    organisation: str


class OrganisationOut(BaseModel):
    id: str
    name: str
    decides_on_provisions: bool


class SupporterProfile(BaseModel):
    """A supporter in the pool, without contact details. ``active``: takes new questions now."""

    supporter_id: str
    name: str
    kind: str
    organisation: str
    municipalities: list[str]
    life_domains: list[str]
    languages: list[str]
    specialisms: list[str]
    experience_themes: list[str]
    capacity: int
    active_cases: int
    postcode: str | None
    active: bool
    availability: Literal["active", "paused"]
    paused_until: date | None

    @classmethod
    def of(cls, row: store.SupporterRow) -> SupporterProfile:
        return cls(**_profile_fields(row))


def _profile_fields(row: store.SupporterRow) -> dict[str, Any]:
    return {
        "supporter_id": row.id,
        "name": row.name,
        "kind": row.kind,
        "organisation": row.organisation,
        "municipalities": list(row.municipalities),
        "life_domains": list(row.life_domains),
        "languages": list(row.languages),
        "specialisms": list(row.specialisms),
        "experience_themes": list(row.experience_themes),
        "capacity": row.capacity,
        "active_cases": row.active_cases,
        "postcode": row.postcode,
        "active": row.available,
        "availability": row.availability,
        "paused_until": None if row.available else row.paused_until,
    }


class OpenCase(BaseModel):
    question_id: str
    assignment_id: str
    status: str
    assigned_at: datetime


class SupporterDetail(SupporterProfile):
    open_cases: list[OpenCase]


class AssignmentOut(BaseModel):
    assignment_id: str
    question_id: str
    supporter_id: str
    organisation: str
    supporter_kind: str
    municipality: str | None = None
    score: float
    reasons: list[Reason]
    status: str
    assigned_at: datetime
    accepted_at: datetime | None = None
    closed_at: datetime | None = None
    role: Literal["lead", "partner"] = Field(default="lead", description="partner: a duo's volunteer or expert")
    partner_id: str | None = Field(default=None, description="a duo: the other supporter")

    @classmethod
    def of(cls, view: store.AssignmentView) -> AssignmentOut:
        fields = {k: v for k, v in vars(view).items() if k in cls.model_fields}
        return cls(**fields)


class StepOut(BaseModel):
    """The assignments a step changed (a duo has two)."""

    question_id: str
    assignments: list[AssignmentOut]

    @classmethod
    def of(cls, question_id: str, views: list[store.AssignmentView]) -> StepOut:
        return cls(question_id=question_id, assignments=[AssignmentOut.of(v) for v in views])


class DeclineOut(BaseModel):
    """The declined assignment, and what the question got instead."""

    declined: AssignmentOut
    outcome: Literal["assigned", "waiting", "consultation"]
    assignment: AssignmentOut | None


class CandidateOut(BaseModel):
    supporter_id: str
    name: str
    organisation: str
    kind: str
    free_places: int
    score: float
    eligible: bool
    failed_rules: list[Reason]


class ConsultationOut(BaseModel):
    question_id: str
    municipality: str | None
    life_domains: list[str]
    preferred_supporter_kind: str | None
    languages: list[str]
    postcode: str | None
    required_at: datetime
    reason: Reason
    candidates: list[CandidateOut]

    @classmethod
    def of(cls, item: handlers.QueueItem) -> ConsultationOut:
        q = item.question
        return cls(
            question_id=item.consultation.question_id,
            municipality=item.consultation.municipality,
            life_domains=list(q.life_domains) if q else [],
            preferred_supporter_kind=q.preferred_supporter_kind if q else None,
            languages=list(q.languages) if q else [],
            postcode=q.postcode if q else None,
            required_at=item.consultation.required_at,
            reason=item.consultation.reason,
            candidates=[CandidateOut(**vars(c), eligible=not c.failed_rules) for c in item.candidates],
        )


# --- helpers --------------------------------------------------------------------------------------


async def coordinator(
    request: Request,
    authorization: str | None = Header(default=None),
    x_api_key: str | None = Header(default=None),
) -> Principal:
    """A dependency admitting a coordinator key, or the internal token (as an unlimited coordinator)."""
    runtime: Runtime = request.app.state.runtime
    token = runtime.settings.internal_token.get_secret_value()
    if token and authorization and hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        return INTERNAL
    return await _BY_KEY(request, authorization, x_api_key)


_BY_KEY = access.require("coordinator")
Coordinator = Annotated[Principal, Depends(coordinator)]


def invalid(field: str, message: str, where: str = "body") -> RequestValidationError:
    """A 422 naming ``field`` in the kit's format."""
    return RequestValidationError([{"loc": (where, field), "msg": message, "type": "value_error"}])


def who(principal: Principal) -> str:
    return f"{principal.organisation}/{principal.key_id}"


def check_municipality_query(principal: Principal, municipality: str | None) -> str | None:
    """The municipality a listing is limited to: the query's, or the key's own; 403 for another one."""
    if municipality is not None and municipality not in MUNICIPALITIES:
        allowed = ", ".join(sorted(MUNICIPALITIES))
        raise invalid("municipality", f"unknown municipality code {municipality!r}; allowed: {allowed}", "query")
    if principal.municipality is None:
        return municipality
    if municipality not in (None, principal.municipality):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"Deze sleutel hoort bij {principal.municipality}.")
    return principal.municipality


async def command(rt: Runtime, work: Callable[[Conn], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction; map the command's errors to HTTP; retry a lost deadlock."""
    for attempt in range(1, DEADLOCK_RETRIES + 1):
        try:
            async with rt.db.acquire() as conn, conn.transaction():
                return await work(conn)
        except handlers.InvalidField as exc:
            raise invalid(exc.field, exc.text) from exc
        except handlers.NotFound as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, exc.text) from exc
        except handlers.Conflict as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, exc.text) from exc
        except asyncpg.DeadlockDetectedError:
            if attempt == DEADLOCK_RETRIES:
                raise
            log.warning("command lost a deadlock, retrying", extra={"attempt": attempt})
    raise AssertionError("unreachable")  # pragma: no cover


async def assignment_in_scope(conn: Conn, principal: Principal, question_id: str) -> None:
    """404 when a municipality-limited key asks about another municipality's question."""
    if principal.municipality is None:
        return
    found = await store.get_assignment(conn, question_id)
    if found is None or found.municipality != principal.municipality:
        raise handlers.NotFound("unknown_question", f"Vraag {question_id} is onbekend.")


# --- routes ---------------------------------------------------------------------------------------


def routers(rt: Runtime) -> list[APIRouter]:
    internal = APIRouter(
        prefix="/internal/v1",
        tags=["internal"],
        dependencies=[Depends(internal_auth(rt.settings.internal_token.get_secret_value()))],
    )
    registry = APIRouter(prefix="/api/v1", tags=["supporter registry"])
    lifecycle = APIRouter(prefix="/api/v1", tags=["assignments"])
    consultation = APIRouter(prefix="/api/v1", tags=["joint consultation"])
    source = rt.source

    @internal.get("/supporters/{supporter_id}/contact", response_model=SupporterContact)
    async def supporter_contact(supporter_id: str) -> SupporterContact:
        """Contact details of one supporter, for notifications."""
        async with rt.db.acquire() as conn:
            supporter = await store.get_supporter_row(conn, supporter_id)
        if supporter is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown supporter {supporter_id!r}")
        return SupporterContact(
            supporter_id=supporter.id, name=supporter.name, email=supporter.email, organisation=supporter.organisation
        )

    # --- organisations and supporters ---

    @registry.post("/organisations", status_code=status.HTTP_201_CREATED, response_model=OrganisationOut)
    async def create_organisation(body: OrganisationIn, principal: Coordinator) -> OrganisationOut:
        """Register a supporting or referring organisation (regional: only a key without a municipality)."""
        if principal.municipality is not None:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "Organisaties zijn regionaal: gebruik een regionale sleutel."
            )
        await command(
            rt, lambda conn: handlers.create_organisation(conn, body.id, body.name, body.decides_on_provisions)
        )
        return OrganisationOut(**body.model_dump())

    @registry.get("/organisations", response_model=list[OrganisationOut])
    async def organisations(principal: Coordinator) -> list[OrganisationOut]:
        async with rt.db.acquire() as conn:
            found = await store.load_organisations(conn)
        return [
            OrganisationOut(id=o.id, name=o.name, decides_on_provisions=o.decides_on_provisions) for o in found.values()
        ]

    @registry.post("/supporters", status_code=status.HTTP_201_CREATED, response_model=SupporterProfile)
    async def register_supporter(body: SupporterIn, principal: Coordinator) -> SupporterProfile:
        """Register a supporter: SupporterRegistered, and waiting questions may get their places at once."""
        if principal.municipality is not None and principal.municipality not in body.municipalities:
            raise invalid("municipalities", f"must include {principal.municipality}: this key manages only that one")
        values = body.model_dump(exclude={"supporter_id", "availability", "paused_until"})
        values |= {"id": body.supporter_id or f"s-{_new_id()}"}
        values |= availability_columns(body.availability, body.paused_until)
        row = await command(rt, lambda conn: handlers.register_supporter(conn, values, source))
        return SupporterProfile.of(row)

    @registry.put("/supporters/{supporter_id}", response_model=SupporterProfile)
    async def update_supporter(supporter_id: str, body: SupporterChanges, principal: Coordinator) -> SupporterProfile:
        """Change capacity, availability (active, or paused until a date), profile or contact details."""
        changes = body.columns()
        row = await command(
            rt,
            lambda conn: handlers.update_supporter(
                conn, supporter_id, changes, source, municipality=principal.municipality
            ),
        )
        return SupporterProfile.of(row)

    @registry.get("/supporters", response_model=list[SupporterProfile])
    async def supporters(
        principal: Coordinator,
        municipality: str | None = Query(default=None, description="CBS code, e.g. GM0505"),
    ) -> list[SupporterProfile]:
        """The supporter pool, optionally only those serving one municipality."""
        municipality = check_municipality_query(principal, municipality)
        async with rt.db.acquire() as conn:
            found = await store.list_supporter_rows(conn, municipality)
        return [SupporterProfile.of(s) for s in found]

    @registry.get("/supporters/{supporter_id}", response_model=SupporterDetail)
    async def supporter(supporter_id: str, principal: Coordinator) -> SupporterDetail:
        """One supporter with their open cases."""
        async with rt.db.acquire() as conn:
            row = await store.get_supporter_row(conn, supporter_id)
            cases = await store.open_cases(conn, supporter_id) if row else []
        if row is None or not (principal.municipality is None or principal.municipality in row.municipalities):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown supporter {supporter_id!r}")
        return SupporterDetail(
            **_profile_fields(row),
            open_cases=[
                OpenCase(
                    question_id=c.question_id, assignment_id=c.assignment_id, status=c.status, assigned_at=c.assigned_at
                )
                for c in cases
            ],
        )

    # --- assignments ---

    @lifecycle.get("/assignments/{question_id}", response_model=AssignmentOut)
    async def assignment(question_id: str, principal: Coordinator) -> AssignmentOut:
        """The question's current assignment (else its last one), with the reasons for the choice."""
        async with rt.db.acquire() as conn:
            found = await store.get_assignment(conn, question_id)
            outcome = await store.question_outcome(conn, question_id)
        if found is None or principal.municipality not in (None, found.municipality):
            state = f" (status: {outcome})" if outcome and found is None else ""
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no assignment for question {question_id!r}{state}")
        return AssignmentOut.of(found)

    @lifecycle.post("/assignments/{question_id}/accept", response_model=StepOut)
    async def accept(question_id: str, principal: Coordinator, body: AcceptIn | None = None) -> StepOut:
        """The supporter accepts the question (AssignmentAccepted). Accepting twice is harmless."""
        supporter_id = body.supporter_id if body else None

        async def work(conn: Conn) -> list[store.AssignmentView]:
            await assignment_in_scope(conn, principal, question_id)
            return await handlers.accept(conn, question_id, source, supporter_id=supporter_id)

        return StepOut.of(question_id, await command(rt, work))

    @lifecycle.post("/assignments/{question_id}/decline", response_model=DeclineOut)
    async def decline(question_id: str, body: DeclineIn, principal: Coordinator) -> DeclineOut:
        """The supporter or the resident declines: AssignmentDeclined, then the next best supporter
        (never one who declined this question before), or the waiting list, or the consultation."""
        reason = Reason(code=body.reason_code, text=handlers.DECLINE_REASONS[body.reason_code])

        async def work(conn: Conn) -> handlers.Rematched:
            await assignment_in_scope(conn, principal, question_id)
            return await handlers.decline(
                conn,
                question_id,
                body.by,
                reason,
                source,
                reason_text=body.reason_text,
                supporter_id=body.supporter_id,
            )

        result = await command(rt, work)
        return DeclineOut(
            declined=AssignmentOut.of(result.declined),
            outcome=result.outcome,  # type: ignore[arg-type]  # one of the three
            assignment=AssignmentOut.of(result.assignment) if result.assignment else None,
        )

    @lifecycle.post("/assignments/{question_id}/end", response_model=StepOut)
    async def end(question_id: str, principal: Coordinator, body: EndIn | None = None) -> StepOut:
        """Support ends (SupportEnded): the place frees and goes to the waiting list."""
        body = body or EndIn()
        reason = Reason(code=body.reason_code, text=handlers.END_REASONS[body.reason_code])

        async def work(conn: Conn) -> list[store.AssignmentView]:
            await assignment_in_scope(conn, principal, question_id)
            return await handlers.end(conn, question_id, reason, source, supporter_id=body.supporter_id)

        return StepOut.of(question_id, await command(rt, work))

    # --- the joint consultation ---

    @consultation.get("/consultations", response_model=list[ConsultationOut])
    async def consultations(
        principal: Coordinator,
        municipality: str | None = Query(default=None, description="CBS code, e.g. GM0505"),
    ) -> list[ConsultationOut]:
        """Questions no supporter fits, oldest first, with the candidates now and the rules each fails."""
        municipality = check_municipality_query(principal, municipality)
        async with rt.db.acquire() as conn:
            queue = await handlers.consultation_queue(conn, municipality)
        return [ConsultationOut.of(item) for item in queue]

    @consultation.post(
        "/consultations/{question_id}/assign", status_code=status.HTTP_201_CREATED, response_model=AssignmentOut
    )
    async def assign_by_hand(question_id: str, body: ManualAssignIn, principal: Coordinator) -> AssignmentOut:
        """A coordinator assigns by hand: soft rules may be overridden (the reason is recorded), capacity
        never (409 when the supporter is full)."""
        found = await command(
            rt,
            lambda conn: handlers.assign_by_hand(
                conn,
                question_id,
                body.supporter_id,
                body.reason,
                who(principal),
                source,
                municipality=principal.municipality,
            ),
        )
        return AssignmentOut.of(found)

    return [internal, registry, lifecycle, consultation]


def _new_id() -> str:
    import uuid

    return uuid.uuid4().hex[:12]
