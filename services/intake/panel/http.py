"""The councils' side of the panel (scope ``council``): invite the panel members of their area to one of
their meetings (``POST /api/v1/council/panel/invitations``), and read how large the panel is per theme
next to how many people were supported (``GET /api/v1/council/panel``). A council never gets a name,
an address or a question id: an invitation goes out as PanelMemberInvited, and notifications mails it.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from contracts.codes import LIFE_DOMAINS, LifeDomain
from contracts.events import PanelMemberInvited
from services.intake.councils import domain as councils
from services.intake.councils import store as meetings
from services.intake.panel import domain, store
from services.intake.settings import IntakeSettings
from services.kit.access import Principal, require
from services.kit.db import Conn
from services.kit.outbox import publish
from services.kit.runtime import Runtime

Council = Annotated[Principal, Depends(require("council"))]


class InvitationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meeting_id: uuid.UUID = Field(description="one of the council's meetings")
    life_domains: list[LifeDomain] = Field(
        default_factory=list, max_length=8, description="invite members on these themes; empty: every member"
    )


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


async def invite_to_meeting(
    conn: Conn, source: str, principal: Principal, body: InvitationBody
) -> InvitationsSent | None:
    """Invite the matching members of the meeting's area; None when the meeting is not the council's."""
    meeting = await meetings.one(conn, body.meeting_id, lock=True)
    if meeting is None or not councils.may_see(
        principal, meeting["council"], meeting["municipality"], meeting["co_organisers"]
    ):
        return None
    area = meeting["municipality"] or principal.municipality
    wanted = list(body.life_domains)
    invited = before = 0
    now = datetime.now(UTC)
    for member in await store.members_in(conn, area):
        if not domain.matches(member["life_domains"], wanted):
            continue
        invitation_id = uuid.uuid4()
        if not await store.invite(
            conn, invitation_id, member["question_id"], principal.organisation, "meeting", str(body.meeting_id), now
        ):
            before += 1
            continue
        invited += 1
        event = PanelMemberInvited(
            invitation_id=str(invitation_id),
            question_id=str(member["question_id"]),
            council=principal.organisation,
            municipality=member["municipality"],
            kind="meeting",
            meeting_on=meeting["planned_for"],
            life_domains=[d for d in member["life_domains"] if not wanted or d in wanted],
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
        """Invite the panel members of the meeting's area (on the given themes) to one of the council's
        meetings; each member once per meeting. The answer says how many, never who."""
        async with rt.db.acquire() as conn, conn.transaction():
            sent = await invite_to_meeting(conn, rt.source, principal, body)
        if sent is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, councils.NOT_FOUND)
        return sent

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
