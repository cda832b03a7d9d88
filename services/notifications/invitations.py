"""The resident's personal link to the experience form, issued by intake over an authorised internal call.

``POST {intake_url}/internal/v1/questions/{id}/experience-invitation`` with the internal token answers
200 ``{"url", "expires_at"}``, 404 for an unknown question, 409 ``{"detail", "code"}`` when no invitation
is possible (``support_not_ended``, ``already_shared``, ``resident_erased``). Every call issues a new link and
makes earlier unused ones stop working, so it is called only right before a message goes out. The
link is a capability: it is put into the message and never logged or stored here.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Final, Protocol
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from services.kit.messaging import PermanentError
from services.kit.messaging.faults import Unavailable
from services.kit.settings import Settings
from services.notifications.contacts import DOWN_PATIENCE_SECONDS, DOWN_STATUSES, TIMEOUT
from services.notifications.domain import ExperienceLink

#: How long a 409 "support not ended" is asked again before it counts. Intake learns of SupportEnded
#: from the same topic as notifications, in its own consumer, and may simply not have handled it yet.
#: (With a duo intake waits for the last end; a first end alone is then skipped after this wait, and
#: the last one invites.) Other refusals are final at once.
REFUSED_PATIENCE_SECONDS = 15.0
#: 409 codes that may change soon; a 409 without a code is treated the same.
NOT_YET: Final = frozenset({"support_not_ended"})


class InvitationsUnavailable(Unavailable):
    """Intake could not answer now (connection error, 5xx, 401): the consumer retries."""


class InvitationRefused(Exception):
    """Intake answered 409: no invitation is possible for this question (the message says why)."""


class InvitationLinks(Protocol):
    async def issue(self, question_id: str) -> ExperienceLink | None: ...

    async def aclose(self) -> None: ...


class _LinkBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str
    expires_at: datetime


class HttpInvitationLinks:
    """Asks intake for a link; waits out a restarting intake and a 409 that may only mean "not yet"."""

    def __init__(
        self,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        down_patience: float = DOWN_PATIENCE_SECONDS,
        refused_patience: float = REFUSED_PATIENCE_SECONDS,
    ) -> None:
        self.intake_url = settings.intake_url.rstrip("/")
        self.down_patience = down_patience
        self.refused_patience = refused_patience
        token = settings.internal_token.get_secret_value()
        headers = {
            "Authorization": f"Bearer {token}",
            "X-Purpose": "experience-invitation",
            "X-Caller": "notifications",
        }
        self._client = httpx.AsyncClient(headers=headers, timeout=TIMEOUT, transport=transport)

    async def issue(self, question_id: str) -> ExperienceLink | None:
        """The new link, or None when intake does not know the question; InvitationRefused on a lasting 409."""
        url = f"{self.intake_url}/internal/v1/questions/{quote(question_id, safe='')}/experience-invitation"
        response = await self._post_until_settled(url)
        code = response.status_code
        if code == 404:
            return None
        if code == 409:
            raise InvitationRefused(_detail(response))
        if code in (401, 403, 408, 429) or code >= 500:
            raise InvitationsUnavailable(f"experience invitation: HTTP {code}")
        if code != 200:
            raise PermanentError(f"experience invitation: HTTP {code}")
        try:
            body = _LinkBody.model_validate_json(response.content)
        except ValidationError as exc:
            raise PermanentError(f"invalid experience invitation from intake: {exc.error_count()} error(s)") from exc
        return ExperienceLink(body.url, body.expires_at)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _post_until_settled(self, url: str) -> httpx.Response:
        """POST, asking again while intake is down (up to ``down_patience``) or answers 409 (``refused_patience``)."""
        started = time.monotonic()
        pause = 0.2
        while True:
            waited = time.monotonic() - started
            try:
                response = await self._client.post(url)
            except httpx.TransportError as exc:
                if waited >= self.down_patience:
                    raise InvitationsUnavailable(f"experience invitation: {type(exc).__name__}") from exc
            else:
                down = response.status_code in DOWN_STATUSES and waited < self.down_patience
                not_yet = response.status_code == 409 and _may_change(response) and waited < self.refused_patience
                if not (down or not_yet):
                    return response
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)


def _body(response: httpx.Response) -> dict[str, object]:
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _may_change(response: httpx.Response) -> bool:
    code = _body(response).get("code")
    return code is None or code in NOT_YET


def _detail(response: httpx.Response) -> str:
    """Intake's reason for a 409 (``code: detail``), short; it names no person."""
    body = _body(response)
    detail = str(body.get("detail") or "no invitation possible")
    code = body.get("code")
    return (f"{code}: {detail}" if code else detail)[:200]
