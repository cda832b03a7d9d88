"""The supporter's sign-in mail: ``POST /internal/v1/sign-in-links`` (internal token only).

Matching hands over a single-use link for one supporter; this service looks up the supporter's
address itself (matching's internal contact call, as for every supporter mail) and sends a short
Dutch mail over SMTP, exactly once per ``request_id`` (the delivery key, as for events). The link
goes into the mail and nowhere else: it is not logged, and the delivery log keeps only the key, the
template and the outcome. Only links to matching's own sign-in page are sent, so the endpoint cannot
be used to mail anything else.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import ConfigDict, Field

from contracts.text import CleanText
from services.kit.http import internal_auth
from services.kit.region import current_region
from services.kit.runtime import Runtime
from services.notifications.contacts import ContactsUnavailable
from services.notifications.domain import PlannedDelivery, TransientDeliveryError
from services.notifications.handlers import Notifier, Result
from services.notifications.sign_in_mail import TEMPLATE, link_allowed, sign_in_context

log = logging.getLogger(__name__)


class SignInLink(CleanText):
    model_config = ConfigDict(extra="forbid")

    request_id: uuid.UUID = Field(description="one sign-in request: the mail is sent once per id")
    supporter_id: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:\-]+$")]
    url: Annotated[str, Field(max_length=500, description="the single-use link, on matching's sign-in page")]
    expires_at: datetime


def router(rt: Runtime, notifier: Notifier) -> APIRouter:
    settings = rt.settings
    token = settings.internal_token.get_secret_value()
    routes = APIRouter(prefix="/internal/v1", tags=["internal"], dependencies=[Depends(internal_auth(token))])
    bases = [settings.matching_public_url, settings.matching_url]

    @routes.post("/sign-in-links", status_code=status.HTTP_202_ACCEPTED)
    async def send_sign_in_link(body: SignInLink, response: Response) -> dict[str, str]:
        """Mail a supporter their sign-in link (once per ``request_id``). 404: matching knows no such
        supporter; 503: the address or the mail server could not be reached now (ask again)."""
        if not link_allowed(body.url, bases):
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "url is not a sign-in link of matching")
        try:
            supporter = await notifier.contacts.supporter(body.supporter_id)
        except ContactsUnavailable as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "matching could not be reached") from exc
        if supporter is None or not supporter.email:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no address for supporter {body.supporter_id!r}")
        loket = current_region().loket_with(settings.loket_name).name
        context = sign_in_context(supporter.name, body.url, body.expires_at, notifier.clock(), loket)
        planned = PlannedDelivery("supporter", "email", TEMPLATE, supporter.email, context)
        try:
            result = await notifier.deliver_cause(str(body.request_id), None, planned)
        except TransientDeliveryError as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the mail could not be sent now") from exc
        if result is Result.FAILED:
            raise HTTPException(status.HTTP_502_BAD_GATEWAY, "the mail server refused this mail")
        return {"status": "sent" if result is Result.SENT else result.value}

    return routes
