"""Wiring of participation into intake: its consumers' handlers and its routers."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.events import AssignmentAccepted, AssignmentDeclined, SupportEnded, SupporterAssigned
from services.intake.experiences import http, web
from services.intake.experiences.handlers import Participation
from services.intake.handlers import Intake
from services.kit.consumer import TransactionalHandler
from services.kit.runtime import Runtime


def participation_of(rt: Runtime, intake: Intake) -> Participation:
    """The participation use cases, built once per runtime."""
    found = rt.state.get("participation")
    if isinstance(found, Participation):
        return found
    participation = Participation(intake, rt.settings.public_url or rt.settings.intake_url)
    rt.state["participation"] = participation
    return participation


def routers(rt: Runtime, intake: Intake) -> list[APIRouter]:
    participation = participation_of(rt, intake)
    return [http.router(rt, participation), web.router(rt, participation)]


def status_handlers(rt: Runtime, intake: Intake) -> dict[str, TransactionalHandler]:
    """The assignment events participation follows (SupporterAssigned still sets the status as before)."""
    participation = participation_of(rt, intake)
    return {
        SupporterAssigned.ce_type: participation.on_supporter_assigned,
        AssignmentAccepted.ce_type: participation.on_assignment_accepted,
        AssignmentDeclined.ce_type: participation.on_assignment_declined,
        SupportEnded.ce_type: participation.on_support_ended,
    }
