"""HTTP entry points of notifications: the delivery log, template previews and the digest run.

All of them admit the internal token (other services, tests) or an API key with scope ``operator``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse
from jinja2 import Environment
from pydantic import BaseModel

from contracts.events import NotificationChannel, RecipientRole
from services.kit import access
from services.kit.http import internal_auth
from services.kit.region import current_region
from services.kit.runtime import Runtime
from services.kit.web.headers import NOINDEX, page
from services.kit.web.templates import environment as page_environment
from services.notifications import store
from services.notifications.digest import run_digest
from services.notifications.domain import DeliveryStatus, Loket, notification_id
from services.notifications.examples import example_context
from services.notifications.handlers import Notifier
from services.notifications.preferences import opt_out_key, verify_opt_out_token
from services.notifications.rendering import SMS_TEMPLATES, TEMPLATES, render, render_sms
from services.notifications.settings import NotificationsSettings

MAX_LIMIT = 500


class Delivery(BaseModel):
    """One entry of the delivery log. It holds no address: those are never stored here."""

    delivery_key: str
    notification_id: str
    message_id: str
    status: DeliveryStatus
    attempts: int
    recipient_role: RecipientRole
    channel: NotificationChannel
    template: str
    question_id: str | None
    cause_event_id: str
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None


class DeliveryLog(BaseModel):
    deliveries: list[Delivery]
    count: int


def _utc(value: datetime | None) -> datetime | None:
    """Query times without an offset are read as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class TemplateList(BaseModel):
    templates: list[str]


class Preview(BaseModel):
    template: str
    subject: str
    text: str
    html: str
    sms: str | None = None


class DigestRunResult(BaseModel):
    digests: int
    signals: int
    sent: int


def internal_or_operator(token: str) -> Callable[..., Awaitable[None]]:
    """Admit the internal token, or else an API key with scope ``operator`` (401/403 as the kit says)."""
    internal = internal_auth(token)
    operator = access.require("operator")

    async def check(
        request: Request,
        authorization: str | None = Header(default=None),
        x_api_key: str | None = Header(default=None),
    ) -> None:
        try:
            await internal(authorization)
            return
        except HTTPException:
            pass
        await operator(request, authorization, x_api_key)

    return check


def router(rt: Runtime, notifier: Notifier) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["deliveries"])
    settings = rt.settings
    assert isinstance(settings, NotificationsSettings)
    guard = Depends(internal_or_operator(rt.settings.internal_token.get_secret_value()))

    @api.get("/deliveries", response_model=DeliveryLog, dependencies=[guard])
    async def deliveries(
        status: DeliveryStatus | None = None,
        recipient_role: RecipientRole | None = None,
        since: Annotated[datetime | None, Query(description="created at or after (RFC 3339)")] = None,
        until: Annotated[datetime | None, Query(description="created before (RFC 3339)")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = MAX_LIMIT,
    ) -> DeliveryLog:
        """The delivery log, newest first (at most 500 entries)."""
        async with rt.db.acquire() as conn:
            rows = await store.list_deliveries(
                conn,
                status=status,
                recipient_role=recipient_role,
                since=_utc(since),
                until=_utc(until),
                limit=limit,
            )
        items = [Delivery(notification_id=notification_id(r["delivery_key"]), **r) for r in rows]
        return DeliveryLog(deliveries=items, count=len(items))

    @api.get("/templates", response_model=TemplateList, dependencies=[guard], tags=["templates"])
    async def templates() -> TemplateList:
        """The names of all message templates."""
        return TemplateList(templates=list(TEMPLATES))

    @api.get("/templates/{name}/preview", response_model=Preview, dependencies=[guard], tags=["templates"])
    async def preview(name: str) -> Preview:
        """A template rendered with example data (subject, plain text and HTML)."""
        if name not in TEMPLATES:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown template {name!r}")
        # The configured loket, so the preview shows what a recipient of this installation reads.
        loket = current_region().loket_with(settings.loket_name, settings.loket_phone, settings.loket_email)
        context = example_context(name, Loket(loket.name, loket.phone, loket.email))
        subject, text, html = render(name, context)
        sms = render_sms(name, context) if name in SMS_TEMPLATES else None
        return Preview(template=name, subject=subject, text=text, html=html, sms=sms)

    @api.post("/digests/run", response_model=DigestRunResult, dependencies=[guard], tags=["digests"])
    async def digests_run() -> DigestRunResult:
        """Send the pending digest of signals now (and any earlier digest not yet sent)."""
        run = await run_digest(notifier, rt.db, settings.digest_email, datetime.now(UTC))
        return DigestRunResult(digests=run.digests, signals=run.signals, sent=run.sent)

    api.include_router(opt_out_router(rt))
    return api


@lru_cache(maxsize=1)
def pages() -> Environment:
    """The opt-out page's templates (``pages/``; the mail templates are another matter, see rendering.py)."""
    return page_environment("services.notifications", folder="pages")


def opt_out_router(rt: Runtime) -> APIRouter:
    """The opt-out link of resident mails: public, authorised by the HMAC in its token.

    The link (GET) only shows a button; the opt-out is recorded by the POST behind it, so a mail
    scanner that follows links does not opt anyone out.
    """
    api = APIRouter(tags=["opt-out"])
    key = opt_out_key(rt.settings.internal_token.get_secret_value())
    home = rt.settings.public_url or rt.settings.intake_url

    def show(state: str, status_code: int = 200, action: str = "") -> HTMLResponse:
        html = (
            pages()
            .get_template("opt_out.html")
            .render(title="Afmelden – Samenloket", home_url=home, state=state, action=action)
        )
        return page(html, status_code, NOINDEX)

    @api.get("/opt-out", response_class=HTMLResponse)
    async def opt_out_page(token: str) -> HTMLResponse:
        """A page asking to confirm the opt-out."""
        if verify_opt_out_token(key, token) is None:
            return show("invalid", status.HTTP_400_BAD_REQUEST)
        return show("ask", action=f"/api/v1/opt-out?token={quote(token, safe='')}")

    @api.post("/opt-out", response_class=HTMLResponse)
    async def opt_out(token: str) -> HTMLResponse:
        """Record the opt-out: later messages to this resident are skipped."""
        ref_hash = verify_opt_out_token(key, token)
        if ref_hash is None:
            return show("invalid", status.HTTP_400_BAD_REQUEST)
        async with rt.db.acquire() as conn:
            await store.record_opt_out(conn, ref_hash)
        return show("done")

    return api
