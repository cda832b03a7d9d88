"""Wiring of the notifications service."""

from __future__ import annotations

import asyncio
import logging

from contracts import topics
from contracts.events import (
    ConsultationRequired,
    QuestionReceived,
    QuestionWaiting,
    ReferralStatusChanged,
    ResidentErasureRequested,
    SignalRaised,
    SupportEnded,
    SupporterAssigned,
)
from services.kit.consumer import Subscription
from services.kit.runtime import Runtime, ServiceSpec
from services.notifications import digest, erasure, http
from services.notifications.contacts import ContactDirectory, HttpContactDirectory
from services.notifications.domain import opt_out_key
from services.notifications.handlers import Notifier, on_question_received
from services.notifications.invitations import HttpInvitationLinks
from services.notifications.mailer import Sender, SmtpSender
from services.notifications.participation import Participation
from services.notifications.partner_webhooks import HttpPartnerDirectory, WebhookNotifier, WebhookPoster
from services.notifications.sms import SmsGatewaySender, SmsQueue

log = logging.getLogger(__name__)

NAME = "notifications"


def senders(rt: Runtime) -> dict[str, Sender]:
    """E-mail always; SMS when a gateway is configured."""
    built: dict[str, Sender] = {"email": SmtpSender(rt.settings)}
    if rt.settings.sms_gateway_url:
        built["sms"] = SmsGatewaySender(rt.settings)
    return built


def notifier(rt: Runtime) -> Notifier:
    """The service's Notifier, built once per runtime (consumers start before ``on_start`` runs)."""
    existing = rt.state.get("notifier")
    if isinstance(existing, Notifier):
        return existing
    contacts: ContactDirectory = HttpContactDirectory(rt.settings)
    built = Notifier(
        pool=rt.db,
        contacts=contacts,
        senders=senders(rt),
        source=rt.source,
        intake_url=rt.settings.intake_url,
        max_attempts=rt.settings.consumer_max_attempts,
        coordinator_email=rt.settings.coordinator_email,
        public_url=rt.settings.notifications_url,
        opt_out_key=opt_out_key(rt.settings.internal_token.get_secret_value()),
        sms_enabled=bool(rt.settings.sms_gateway_url),
    )
    rt.state["notifier"] = built
    return built


def webhook_notifier(rt: Runtime) -> WebhookNotifier:
    """Signed webhooks to referring partners, built once per runtime on the same delivery log as mail."""
    existing = rt.state.get("webhooks")
    if isinstance(existing, WebhookNotifier):
        return existing
    built = WebhookNotifier(
        notifier(rt),
        HttpPartnerDirectory(rt.settings),
        WebhookPoster(allow_private_addresses=rt.settings.webhooks_allow_private_addresses),
    )
    rt.state["webhooks"] = built
    return built


def participation(rt: Runtime) -> Participation:
    """Invitations to share an experience after SupportEnded, built once per runtime on the same Notifier."""
    existing = rt.state.get("participation")
    if isinstance(existing, Participation):
        return existing
    built = Participation(notifier(rt), HttpInvitationLinks(rt.settings))
    rt.state["participation"] = built
    return built


def subscriptions(rt: Runtime) -> list[Subscription]:
    return [
        # Mail is a side effect outside the database: deliveries are made idempotent per delivery key.
        Subscription(
            "assignments",
            [topics.ASSIGNMENTS],
            {
                SupporterAssigned.ce_type: notifier(rt).on_supporter_assigned,
                QuestionWaiting.ce_type: notifier(rt).on_question_waiting,
                ConsultationRequired.ce_type: notifier(rt).on_consultation_required,
                SupportEnded.ce_type: participation(rt).on_support_ended,
            },
            transactional=False,
        ),
        Subscription("questions", [topics.QUESTIONS], {QuestionReceived.ce_type: on_question_received}),
        Subscription("signals", [topics.SIGNALS], {SignalRaised.ce_type: digest.on_signal_raised}),
        Subscription(
            "privacy", [topics.PRIVACY], {ResidentErasureRequested.ce_type: erasure.erasure_requested(rt.source)}
        ),
        # Webhooks too are side effects outside the database: the same per-delivery guard.
        Subscription(
            "referral-status",
            [topics.REFERRALS_STATUS],
            {ReferralStatusChanged.ce_type: webhook_notifier(rt).on_referral_status_changed},
            transactional=False,
        ),
    ]


async def on_start(rt: Runtime) -> None:
    if not rt.settings.smtp_host:
        log.warning("SAMENLOKET_SMTP_HOST is empty: mails will be retried and dead-lettered until it is set")
    if not rt.settings.coordinator_email:
        log.warning("SAMENLOKET_COORDINATOR_EMAIL is empty: coordinators get no mail about consultations")
    if not rt.settings.digest_email:
        log.warning("SAMENLOKET_DIGEST_EMAIL is empty: no daily digest of signals is sent")
    rt.state["digest_schedule"] = asyncio.create_task(
        digest.schedule(notifier(rt), rt.db, rt.settings.digest_email), name=f"{NAME}-digest"
    )
    if rt.settings.sms_gateway_url:
        rt.state["sms_queue"] = asyncio.create_task(SmsQueue(notifier(rt)).run(), name=f"{NAME}-sms-queue")


async def on_stop(rt: Runtime) -> None:
    """Let the consumers finish their batch first (they need the contact client), then close it."""
    for name in ("digest_schedule", "sms_queue"):
        task = rt.state.pop(name, None)
        if isinstance(task, asyncio.Task):
            task.cancel()
    for consumer in rt.consumers:
        consumer.stop()
    consumer_tasks = [t for t in rt.tasks if t.get_name() != f"{NAME}-relay" and not t.done()]
    if consumer_tasks:
        await asyncio.wait(consumer_tasks, timeout=10)
    built = rt.state.pop("notifier", None)
    if isinstance(built, Notifier):
        await built.contacts.aclose()
        sms = built.senders.get("sms")
        if isinstance(sms, SmsGatewaySender):
            await sms.aclose()
        mail = built.senders.get("email")
        if isinstance(mail, SmtpSender):
            await mail.aclose()
    invitations = rt.state.pop("participation", None)
    if isinstance(invitations, Participation):
        await invitations.aclose()
    hooks = rt.state.pop("webhooks", None)
    if isinstance(hooks, WebhookNotifier):
        await hooks.aclose()


def spec() -> ServiceSpec:
    return ServiceSpec(
        name=NAME,
        title="Samenloket notifications",
        routers=lambda rt: [http.router(rt)],
        subscriptions=subscriptions,
        on_start=on_start,
        on_stop=on_stop,
    )
