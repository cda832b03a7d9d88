"""The councils' side of the panel (scope ``council``): invite the panel members of their area to one of
their meetings (``POST /api/v1/council/panel/invitations``), and read how large the panel is per theme
next to how many people were supported (``GET /api/v1/council/panel``). A council never gets a name,
an address or a question id: an invitation goes out as PanelMemberInvited, and notifications mails it.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from contracts.codes import LIFE_DOMAINS, LifeDomain
from contracts.events import PanelInvitationKind, PanelMemberInvited
from contracts.text import CleanText
from services.intake.councils import domain as councils
from services.intake.councils import store as meetings
from services.intake.panel import domain, store
from services.intake.polls import http as poll_http
from services.intake.polls import store as polls
from services.intake.settings import IntakeSettings
from services.kit.access import Principal, require
from services.kit.db import Conn
from services.kit.outbox import publish
from services.kit.runtime import Runtime

Council = Annotated[Principal, Depends(require("council"))]


class InvitationBody(CleanText):
    model_config = ConfigDict(extra="forbid")

    meeting_id: uuid.UUID | None = Field(default=None, description="one of the council's meetings")
    poll_id: uuid.UUID | None = Field(
        default=None, validate_default=True, description="or one of its panel polls (exactly one of the two)"
    )
    life_domains: list[LifeDomain] = Field(
        default_factory=list, max_length=8, description="invite members on these themes; empty: every member"
    )

    @field_validator("poll_id")
    @classmethod
    def _one_subject(cls, value: uuid.UUID | None, info: ValidationInfo) -> uuid.UUID | None:
        if (value is None) == (info.data.get("meeting_id") is None):
            raise ValueError("give either meeting_id or poll_id")
        return value


class InvitationsSent(BaseModel):
    invited: int = Field(description="members invited now (never who)")
    invited_before: int = Field(description="members this meeting had invited already: not invited twice")


class PanelTheme(BaseModel):
    life_domain: LifeDomain
    panel: str = Field(description="members on this theme; 'minder dan N' below the suppression threshold")
    supported: str = Field(description="residents whose question was on this theme; suppressed the same way")


class PanelView(BaseModel):
    municipality: str | None
    themes: list[PanelTheme]


@dataclass(frozen=True)
class Subject:
    """What members are invited to: a meeting or a poll, its area and themes."""

    kind: PanelInvitationKind
    subject_id: str
    area: str | None
    themes: list[str]
    meeting_on: date | None = None
    poll_id: str | None = None


async def subject_of(conn: Conn, principal: Principal, body: InvitationBody) -> Subject | None:
    """The council's own meeting, or its own panel poll; None for anything else (404)."""
    if body.meeting_id is not None:
        meeting = await meetings.one(conn, body.meeting_id, lock=True)
        if meeting is None or not councils.may_see(
            principal, meeting["council"], meeting["municipality"], meeting["co_organisers"]
        ):
            return None
        area = meeting["municipality"] or principal.municipality
        return Subject(
            "meeting", str(body.meeting_id), area, list(body.life_domains), meeting_on=meeting["planned_for"]
        )
    assert body.poll_id is not None
    poll = await polls.one(conn, body.poll_id)
    if poll is None or poll["audience"] != "panel" or not poll_http.may_see(principal, poll):
        return None
    themes = [str(d) for d in body.life_domains] or [poll["life_domain"]]
    return Subject("poll", str(body.poll_id), poll["municipality"], themes, poll_id=str(body.poll_id))


async def invite_members(conn: Conn, source: str, principal: Principal, subject: Subject) -> InvitationsSent:
    """Invite the matching members of the subject's area, each once; announce each new invitation."""
    invited = before = 0
    now = datetime.now(UTC)
    for member in await store.members_in(conn, subject.area):
        if not domain.matches(member["life_domains"], subject.themes):
            continue
        invitation_id = uuid.uuid4()
        if not await store.invite(
            conn, invitation_id, member["question_id"], principal.organisation, subject.kind, subject.subject_id, now
        ):
            before += 1
            continue
        invited += 1
        event = PanelMemberInvited(
            invitation_id=str(invitation_id),
            question_id=str(member["question_id"]),
            council=principal.organisation,
            municipality=member["municipality"],
            kind=subject.kind,
            meeting_on=subject.meeting_on,
            poll_id=subject.poll_id,
            life_domains=[d for d in member["life_domains"] if not subject.themes or d in subject.themes],
            invited_at=now,
        )
        await publish(conn, event, source)
    return InvitationsSent(invited=invited, invited_before=before)


def router(rt: Runtime) -> APIRouter:
    settings = rt.settings
    assert isinstance(settings, IntakeSettings)
    api = APIRouter(prefix="/api/v1/council/panel", tags=["council"])

    @api.post("/invitations", response_model=InvitationsSent)
    async def invite(body: InvitationBody, principal: Council) -> InvitationsSent:
        """Invite the panel members of the area (on the given themes) to one of the council's meetings or
        panel polls; each member once per meeting or poll. The answer says how many, never who."""
        async with rt.db.acquire() as conn, conn.transaction():
            subject = await subject_of(conn, principal, body)
            if subject is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, councils.NOT_FOUND)
            return await invite_members(conn, rt.source, principal, subject)

    @api.get("", response_model=PanelView)
    async def panel(principal: Council) -> PanelView:
        """Representativeness: the panel per theme next to the residents supported on it (suppressed)."""
        members = await store.members_in(rt.db, principal.municipality)
        on_panel = Counter(d for m in members for d in m["life_domains"])
        supported = Counter({r["d"]: r["n"] for r in await store.supported_by_domain(rt.db, principal.municipality)})
        threshold = settings.suppression_threshold
        return PanelView(
            municipality=principal.municipality,
            themes=[
                PanelTheme(
                    life_domain=d,  # type: ignore[arg-type]
                    panel=domain.shown_size(on_panel[d], threshold),
                    supported=domain.shown_size(supported[d], threshold),
                )
                for d in LIFE_DOMAINS
            ],
        )

    return api
