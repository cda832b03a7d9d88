"""The question listing for partners and staff, and how the key rules answer over HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, NoReturn

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel

from contracts.codes import Channel, LifeDomain
from services.intake.domain import QuestionStatus
from services.intake.handlers import NotServed
from services.intake.mine.domain import format_reference, normalise_reference
from services.intake.tenancy import domain, store
from services.kit.access import Principal, require
from services.kit.runtime import Runtime

#: Scopes that read questions (``read-own``: a partner's own referrals; ``staff``: a municipality's).
READERS = ("read-own", "staff")


def _as_utc(value: datetime) -> datetime:
    """A moment as UTC (a time without offset is taken as UTC); refuse ones that do not fit."""
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("time out of range") from None


Since = Annotated[datetime, AfterValidator(_as_utc)]


class QuestionSummary(BaseModel):
    """One question in a listing: no personal data."""

    question_id: str
    reference: str | None = None
    status: QuestionStatus
    municipality: str
    life_domains: list[LifeDomain]
    channel: Channel
    referrer: str | None
    received_at: datetime
    updated_at: datetime
    status_url: str


class QuestionList(BaseModel):
    questions: list[QuestionSummary]


def refuse(exc: domain.EntryRefused) -> NoReturn:
    """403 for what the key itself may not do; 422 naming the field when the body must change."""
    if exc.field is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, exc.message)
    raise RequestValidationError([{"loc": ("body", exc.field), "msg": exc.message, "type": "value_error"}])


def not_served(exc: NotServed) -> NoReturn:
    """422 naming ``municipality``, with its own ``type`` and ``code``: the region does not serve it."""
    raise RequestValidationError(
        [{"loc": ("body", "municipality"), "msg": str(exc), "type": exc.code, "code": exc.code}]
    )


def key_reused() -> NoReturn:
    raise RequestValidationError(
        [{"loc": ("header", domain.IDEMPOTENCY_HEADER), "msg": domain.KEY_REUSED, "type": "value_error"}]
    )


async def readable(rt: Runtime, principal: Principal, question_id: uuid.UUID) -> bool:
    """Whether the question exists and ``principal`` may read it (both answered alike: 404)."""
    row = await store.owner(rt.db, question_id)
    return row is not None and domain.may_read(principal, row["referrer"], row["municipality"])


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["questions"])

    @api.get("/questions", response_model=QuestionList)
    async def list_questions(
        principal: Annotated[Principal, Depends(require(*READERS))],
        status_filter: Annotated[
            QuestionStatus | None, Query(alias="status", description="only questions with this status")
        ] = None,
        since: Annotated[
            Since | None, Query(description="only questions changed at or after this moment (RFC 3339)")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=domain.LIST_LIMIT)] = domain.LIST_LIMIT,
        reference: Annotated[
            str | None,
            Query(
                max_length=30,
                description="only the question with this short reference, as the resident reads it out"
                " (case, spaces and dashes do not matter, e.g. k7qm 3xpa)",
            ),
        ] = None,
    ) -> QuestionList:
        """The questions this key may read, most recently changed first (at most 200).

        ``read-own``: only the questions your organisation referred. ``staff``: every question of
        the key's municipality (or of all, for a key without one).
        """
        wanted = None
        if reference is not None:
            wanted = normalise_reference(reference)
            if wanted is None:
                raise RequestValidationError(
                    [
                        {
                            "loc": ("query", "reference"),
                            "msg": "a reference has 4 to 30 letters and digits (spaces and dashes allowed)",
                            "type": "value_error",
                        }
                    ]
                )
        rows = await store.list_questions(
            rt.db, domain.read_scope(principal), status_filter, since, limit, reference=wanted
        )
        return QuestionList(
            questions=[
                QuestionSummary(
                    question_id=str(r["question_id"]),
                    reference=format_reference(r["reference"]),
                    status=r["status"],
                    municipality=r["municipality"],
                    life_domains=r["life_domains"],
                    channel=r["channel"],
                    referrer=r["referrer"],
                    received_at=r["received_at"],
                    updated_at=r["updated_at"],
                    status_url=f"/api/v1/questions/{r['question_id']}",
                )
                for r in rows
            ]
        )

    return api
