"""Wiring of the notifications service: its container, subscriptions, routes and schedules."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import APIRouter

from contracts import topics
from contracts.events import (
    ConsultationRequired,
    QuestionReceived,
    QuestionWaiting,
    ReferralStatusChanged,
    SignalRaised,
    SupportEnded,
    SupporterAssigned,
)
from services.kit.messaging import EventSubscriber, erasure_subscriber
from services.kit.messaging.subscriber import subscriber
from services.kit.runtime import Loop, Runtime, ServiceSpec
from services.notifications import digest, erasure, http, privacy
from services.notifications.contacts import HttpContactDirectory
from services.notifications.domain import opt_out_key
from services.notifications.handlers import Notifier, on_question_received
from services.notifications.invitations import HttpInvitationLinks
from services.notifications.mailer import Sender, SmtpSender
from services.notifications.participation import Participation
from services.notifications.partner_webhooks import HttpPartnerDirectory, WebhookNotifier, WebhookPoster
from services.notifications.settings import NotificationsSettings
from services.notifications.sms import SmsGatewaySender, SmsQueue

log = logging.getLogger(__name__)

NAME = "notifications"


@dataclass(frozen=True)
class NotificationsContainer:
    """Notifications' objects, built once per process; their clients close after the consumers drained."""

    rt: Runtime
    settings: NotificationsSettings
    notifier: Notifier
    webhooks: WebhookNotifier
    participation: Participation


def container(rt: Runtime) -> NotificationsContainer:
    settings = rt.settings
    assert isinstance(settings, NotificationsSettings)
    senders: dict[str, Sender] = {"email": SmtpSender(settings)}  # e-mail always; SMS when a gateway is set
    if settings.sms_gateway_url:
        senders["sms"] = SmsGatewaySender(settings)
    contacts = HttpContactDirectory(settings)
    notifier = Notifier(
        database=rt,
        contacts=contacts,
        senders=senders,
        source=rt.source,
        intake_url=settings.intake_url,
        max_attempts=settings.consumer_max_attempts,
        coordinator_email=settings.coordinator_email,
        public_url=settings.notifications_url,
        opt_out_key=opt_out_key(settings.internal_token.get_secret_value()),
        sms_enabled=bool(settings.sms_gateway_url),
    )
    webhooks = WebhookNotifier(
        notifier,
        HttpPartnerDirectory(settings),
        WebhookPoster(allow_private_addresses=settings.webhooks_allow_private_addresses),
    )
    participation = Participation(notifier, HttpInvitationLinks(settings))
    for sender in senders.values():
        rt.closing(sender.aclose)
    rt.closing(contacts.aclose)
    rt.closing(webhooks.aclose)
    rt.closing(participation.aclose)
    return NotificationsContainer(rt, settings, notifier, webhooks, participation)


def subscribers(c: NotificationsContainer) -> list[EventSubscriber]:
    workers = c.settings.consumer_concurrency
    # Mail and webhooks are side effects outside the database: deliveries are idempotent per delivery key.
    assignments = subscriber("assignments", topics.ASSIGNMENTS, transactional=False, workers=workers)
    assignments.handle(SupporterAssigned, c.notifier.on_supporter_assigned)
    assignments.handle(QuestionWaiting, c.notifier.on_question_waiting)
    assignments.handle(ConsultationRequired, c.notifier.on_consultation_required)
    assignments.handle(SupportEnded, c.participation.on_support_ended)
    referral_status = subscriber("referral-status", topics.REFERRALS_STATUS, transactional=False, workers=workers)
    referral_status.handle(ReferralStatusChanged, c.webhooks.on_referral_status_changed)
    return [
        assignments,
        subscriber("questions", topics.QUESTIONS, workers=workers).handle(QuestionReceived, on_question_received),
        subscriber("signals", topics.SIGNALS).handle(SignalRaised, digest.on_signal_raised),
        erasure_subscriber(NAME, c.rt.source, erasure.erase),
        referral_status,
    ]


def routers(c: NotificationsContainer) -> list[APIRouter]:
    return [http.router(c.rt, c.notifier), privacy.router(c.rt)]


def background(c: NotificationsContainer) -> list[Loop]:
    settings = c.settings
    if not settings.smtp_host:
        log.warning("SAMENLOKET_SMTP_HOST is empty: mails will be retried and dead-lettered until it is set")
    if not settings.coordinator_email:
        log.warning("SAMENLOKET_COORDINATOR_EMAIL is empty: coordinators get no mail about consultations")
    if not settings.digest_email:
        log.warning("SAMENLOKET_DIGEST_EMAIL is empty: no daily digest of signals is sent")

    async def signal_digest() -> None:
        await digest.schedule(c.notifier, c.rt.db, settings.digest_email)

    loops: list[Loop] = [signal_digest]
    if settings.sms_gateway_url:
        loops.append(SmsQueue(c.notifier).run)
    return loops


def spec() -> ServiceSpec[NotificationsContainer]:
    return ServiceSpec(
        name=NAME,
        title="Samenloket notifications",
        settings=NotificationsSettings,
        container=container,
        routers=routers,
        subscribers=subscribers,
        background=background,
    )
