"""Wiring of the intake service: HTTP routers and the two consumer groups."""

from __future__ import annotations

from contracts.events import ConsultationRequired, QuestionWaiting, ReferralSubmitted
from contracts.topics import ASSIGNMENTS, REFERRALS_INBOUND
from services.intake import domain, http, privacy, signals, web
from services.intake.councils import http as councils
from services.intake.experiences import wiring as participation
from services.intake.handlers import Intake
from services.intake.vault import Vault, intake_secrets
from services.kit.consumer import Subscription
from services.kit.runtime import Runtime, ServiceSpec

NAME = "intake"


def intake_of(rt: Runtime) -> Intake:
    """The service's use cases, built once per runtime."""
    found = rt.state.get("intake")
    if isinstance(found, Intake):
        return found
    keys = intake_secrets(rt.settings)
    intake = Intake(domain.index_key(keys.index_key), rt.source, Vault(keys.ring))
    rt.state["intake"] = intake
    return intake


def subscriptions(rt: Runtime) -> list[Subscription]:
    intake = intake_of(rt)
    return [
        Subscription(
            name="referrals",
            topics=[REFERRALS_INBOUND],
            handlers={ReferralSubmitted.ce_type: intake.on_referral},
        ),
        Subscription(
            name="status",
            topics=[ASSIGNMENTS],
            handlers={
                QuestionWaiting.ce_type: intake.on_question_waiting,
                ConsultationRequired.ce_type: intake.on_consultation_required,
                # SupporterAssigned, AssignmentAccepted/Declined, SupportEnded: status and who supports.
                **participation.status_handlers(rt, intake),
            },
        ),
    ]


def spec() -> ServiceSpec:
    return ServiceSpec(
        name=NAME,
        title="Samenloket intake",
        routers=lambda rt: [
            *http.routers(rt, intake_of(rt)),
            *signals.routers(rt, intake_of(rt)),
            councils.router(rt),
            web.router(rt, intake_of(rt)),
            privacy.router(rt),
            *participation.routers(rt, intake_of(rt)),
        ],
        subscriptions=subscriptions,
    )
