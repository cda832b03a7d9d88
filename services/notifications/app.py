"""Wiring of the notifications service: its container, subscriptions, routes and schedules."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import APIRouter

from contracts import topics
from contracts.events import (
    ConsultationRequired,
    FirstContactOverdue,
    PanelMemberInvited,
    QuestionClosed,
    QuestionReceived,
    QuestionWaiting,
    QuestionWithdrawn,
    ReferralStatusChanged,
    SignalRaised,
    StatusLinkRequested,
    SupportEnded,
    SupporterAssigned,
    SupporterRegistered,
    SupporterUpdated,
)
from services.kit.messaging import EventSubscriber, erasure_subscriber
from services.kit.messaging.subscriber import subscriber
from services.kit.runtime import Loop, Runtime, ServiceSpec
from services.notifications import digest, erasure, http, privacy, sign_in
from services.notifications.contacts import HttpContactDirectory
from services.notifications.domain import Loket
from services.notifications.first_contact import FirstContactMails, HttpOrganisationDirectory, pages_base
from services.notifications.handlers import Notifier, on_question_received
from services.notifications.invitations import HttpInvitationLinks
from services.notifications.mailer import Sender, SmtpSender
from services.notifications.panel import PanelInvitations
from services.notifications.participation import Participation
from services.notifications.partner_webhooks import HttpPartnerDirectory, WebhookNotifier, WebhookPoster
from services.notifications.preferences import opt_out_key
from services.notifications.question_mail import QuestionMail
from services.notifications.settings import NotificationsSettings
from services.notifications.sms import SmsGatewaySender, SmsQueue
from services.notifications.status_links import HttpStatusLinks
from services.notifications.supporter_cache import CachedContacts, SupporterChanges

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
    first_contact: FirstContactMails
    question_mail: QuestionMail
    contacts: CachedContacts


def container(rt: Runtime) -> NotificationsContainer:
    settings = rt.settings
    assert isinstance(settings, NotificationsSettings)
    senders: dict[str, Sender] = {"email": SmtpSender(settings)}  # e-mail always; SMS when a gateway is set
    if settings.sms_gateway_url:
        senders["sms"] = SmsGatewaySender(settings)
    contacts = CachedContacts(HttpContactDirectory(settings))
    status_links = HttpStatusLinks(settings)
    notifier = Notifier(
        database=rt,
        contacts=contacts,
        senders=senders,
        source=rt.source,
        intake_url=settings.intake_url,
        matching_url=settings.matching_public_url or settings.matching_url,
        loket=Loket(rt.loket.name, rt.loket.phone, rt.loket.email),
        max_attempts=settings.consumer_max_attempts,
        coordinator_email=settings.coordinator_email,
        public_url=settings.notifications_url,
        opt_out_key=opt_out_key(settings.internal_token.get_secret_value()),
        sms_enabled=bool(settings.sms_gateway_url),
        status_links=status_links,
    )
    webhooks = WebhookNotifier(
        notifier,
        HttpPartnerDirectory(settings),
        WebhookPoster(allow_private_addresses=settings.webhooks_allow_private_addresses),
    )
    participation = Participation(notifier, HttpInvitationLinks(settings))
    first_contact = FirstContactMails(
        notifier,
        HttpOrganisationDirectory(settings),
        pages_base(settings),
        rt.loket.name,
        settings.coordinator_email,
    )
    for sender in senders.values():
        rt.closing(sender.aclose)
    rt.closing(contacts.aclose)
    rt.closing(status_links.aclose)
    rt.closing(webhooks.aclose)
    rt.closing(participation.aclose)
    rt.closing(first_contact.aclose)
    return NotificationsContainer(
        rt, settings, notifier, webhooks, participation, first_contact, QuestionMail(notifier), contacts
    )


def subscribers(c: NotificationsContainer) -> list[EventSubscriber]:
    workers = c.settings.consumer_concurrency
    # Mail and webhooks are side effects outside the database: deliveries are idempotent per delivery key.
    assignments = subscriber("assignments", topics.ASSIGNMENTS, transactional=False, workers=workers)
    assignments.handle(SupporterAssigned, c.notifier.on_supporter_assigned)
    assignments.handle(QuestionWaiting, c.notifier.on_question_waiting)
    assignments.handle(ConsultationRequired, c.notifier.on_consultation_required)
    assignments.handle(SupportEnded, c.participation.on_support_ended)
    assignments.handle(FirstContactOverdue, c.first_contact.on_first_contact_overdue)
    # The resident's confirmation and new links; the end of a question for its supporters (and residents).
    question_mail = subscriber("question-mail", topics.QUESTIONS, transactional=False, workers=workers)
    question_mail.handle(QuestionReceived, c.question_mail.on_question_received)
    question_mail.handle(StatusLinkRequested, c.question_mail.on_status_link_requested)
    question_mail.handle(QuestionWithdrawn, c.question_mail.on_question_withdrawn)
    question_mail.handle(QuestionClosed, c.question_mail.on_question_closed)
    referral_status = subscriber("referral-status", topics.REFERRALS_STATUS, transactional=False, workers=workers)
    referral_status.handle(ReferralStatusChanged, c.webhooks.on_referral_status_changed)
    # A changed supporter is forgotten by the contact cache of every process (see supporter_cache.py).
    supporters = subscriber("supporters", topics.SUPPORTERS)
    supporters.handle(SupporterRegistered, c.contacts.on_supporter_changed)
    supporters.handle(SupporterUpdated, c.contacts.on_supporter_changed)
    return [
        assignments,
        supporters,
        subscriber("questions", topics.QUESTIONS, workers=workers).handle(QuestionReceived, on_question_received),
        subscriber("signals", topics.SIGNALS).handle(SignalRaised, digest.on_signal_raised),
        erasure_subscriber(NAME, c.rt.source, erasure.erase),
        referral_status,
        question_mail,
        # Residents on the councils' panel, invited to a meeting (the council never sees who).
        subscriber("panel", topics.EXPERIENCES, transactional=False, workers=workers).handle(
            PanelMemberInvited,
            PanelInvitations(
                c.notifier,
                c.settings.public_url or c.settings.intake_url,
                c.settings.internal_token.get_secret_value(),
            ).on_panel_member_invited,
        ),
    ]


def routers(c: NotificationsContainer) -> list[APIRouter]:
    return [http.router(c.rt, c.notifier), sign_in.router(c.rt, c.notifier), privacy.router(c.rt)]


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

    loops: list[Loop] = [signal_digest, SupporterChanges(c.rt.db, c.contacts).run]
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
