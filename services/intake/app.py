"""Wiring of the intake service: its container, HTTP routers and the two consumer groups."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter

from contracts.events import (
    AssignmentAccepted,
    AssignmentDeclined,
    ConsultationAppointmentHeld,
    ConsultationAppointmentPlanned,
    ConsultationRequired,
    QuestionWaiting,
    ReferralSubmitted,
    SupportEnded,
    SupporterAssigned,
)
from contracts.topics import ASSIGNMENTS, REFERRALS_INBOUND
from services.intake import deadletters, domain, http, privacy, supporter_view, web
from services.intake.advice import http as advice_http
from services.intake.councils import http as councils
from services.intake.deadletters import SealedDeadLetters
from services.intake.experiences import council as experiences_council
from services.intake.experiences import http as experiences_http
from services.intake.experiences import web as experiences_web
from services.intake.experiences.handlers import Participation
from services.intake.handlers import Intake
from services.intake.mine import http as mine_http
from services.intake.mine import web as mine_web
from services.intake.mine.handlers import Mine
from services.intake.mine.supporters import HttpSupporters
from services.intake.panel import http as panel_http
from services.intake.panel import web as panel_web
from services.intake.polls import http as polls_http
from services.intake.polls import web as polls_web
from services.intake.privacy_officer import http as privacy_officer_http
from services.intake.privacy_officer import service as privacy_officer
from services.intake.settings import IntakeSettings
from services.intake.signals import http as signals_http
from services.intake.signals import web as signals_web
from services.intake.signals.handlers import Signals
from services.intake.staffpages import wiring as staff_pages
from services.intake.vault import Vault, intake_secrets
from services.kit.crypto import KeyRing
from services.kit.messaging import EventSubscriber
from services.kit.messaging.subscriber import subscriber
from services.kit.runtime import Loop, Runtime, ServiceSpec

NAME = "intake"


@dataclass(frozen=True)
class IntakeContainer:
    """Intake's objects, built once per process."""

    rt: Runtime
    settings: IntakeSettings
    key_ring: KeyRing
    intake: Intake
    participation: Participation
    signals: Signals
    #: The resident's own page ("Mijn vraag"): private links, withdrawing, how to be reached.
    mine: Mine
    #: The resident forms share one rate limit and CSRF key; the experience form has its own.
    pages: web.Pages
    experience_pages: web.Pages
    #: Look-up and export of a resident's data, and retention.
    privacy_officer: privacy_officer.PrivacyOfficer


def container(rt: Runtime) -> IntakeContainer:
    settings = rt.settings
    assert isinstance(settings, IntakeSettings)
    keys = intake_secrets(settings)
    vault = Vault(keys.ring)
    intake = Intake(domain.index_key(keys.index_key), rt.source, vault, rt.region)
    supporters = HttpSupporters(settings)
    rt.closing(supporters.aclose)
    return IntakeContainer(
        rt=rt,
        settings=settings,
        key_ring=keys.ring,
        intake=intake,
        participation=Participation(intake, settings.public_url or settings.intake_url),
        signals=Signals(vault, rt.source),
        mine=Mine(intake, settings.public_url or settings.intake_url, supporters),
        pages=web.Pages(settings, rt.region),
        experience_pages=web.Pages(settings, rt.region),
        privacy_officer=privacy_officer.build(rt, settings, vault, intake.index_key),
    )


def subscribers(c: IntakeContainer) -> list[EventSubscriber]:
    workers = c.settings.consumer_concurrency
    referrals = subscriber("referrals", REFERRALS_INBOUND, workers=workers)
    # A partner's referral holds personal data: its dead letter is sealed, and erasure reaches it.
    referrals.dead_letters = lambda inner: SealedDeadLetters(inner, c.intake.vault, c.intake.index_key, c.rt)
    referrals.handle(ReferralSubmitted, c.intake.on_referral)
    status = subscriber("status", ASSIGNMENTS, workers=workers)
    status.handle(QuestionWaiting, c.intake.on_question_waiting)
    status.handle(ConsultationRequired, c.intake.on_consultation_required)
    # The conversation of the joint consultation, for the resident's own page.
    status.handle(ConsultationAppointmentPlanned, c.mine.on_appointment_planned)
    status.handle(ConsultationAppointmentHeld, c.mine.on_appointment_held)
    # Who supports (for the experience invitation) and the status it gives the question.
    status.handle(SupporterAssigned, c.participation.on_supporter_assigned)
    status.handle(AssignmentAccepted, c.participation.on_assignment_accepted)
    status.handle(AssignmentDeclined, c.participation.on_assignment_declined)
    status.handle(SupportEnded, c.participation.on_support_ended)
    return [referrals, status]


def routers(c: IntakeContainer) -> list[APIRouter]:
    rt = c.rt
    return [
        *http.routers(rt, c.intake, c.key_ring),
        signals_http.router(rt, c.signals),
        signals_web.router(rt, c.signals, c.pages),
        *staff_pages.routers(rt, c.signals, c.participation),
        councils.router(rt),
        advice_http.router(rt),
        web.router(rt, c.intake, c.pages, c.mine),
        mine_web.router(rt, c.mine, c.pages),
        panel_web.router(rt, c.mine, c.pages),
        panel_http.router(rt),
        polls_http.router(rt),
        polls_web.router(rt, c.experience_pages),
        mine_http.internal_router(rt, c.mine),
        privacy.router(rt),
        supporter_view.router(rt, c.intake.vault),
        privacy_officer_http.router(c.privacy_officer),
        experiences_http.router(rt, c.participation),
        experiences_council.router(rt, c.participation),
        experiences_web.router(rt, c.participation, c.experience_pages),
    ]


def background(c: IntakeContainer) -> list[Loop]:
    loops = [deadletters.expiry_loop(c.rt)]
    if c.settings.retention_years > 0:
        loops.append(c.privacy_officer.retention.run_retention)
    return loops


def spec() -> ServiceSpec[IntakeContainer]:
    return ServiceSpec(
        name=NAME,
        title="Samenloket intake",
        settings=IntakeSettings,
        container=container,
        routers=routers,
        subscribers=subscribers,
        background=background,
    )
