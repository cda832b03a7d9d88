"""Matching's calls for the supporters' pages and the joint consultation's page: the resident's data from
intake, the sign-in mail by notifications. Both with the internal token; intake audits every read with
its purpose and the kind of caller (a supporter, or a coordinator of the consultation).

A sign-in link is handed to notifications in the background, after the page has answered: the page
takes as long for an unknown address as for a known one, and the link lives in memory only until
notifications took it (a restart in between loses it; the supporter asks again). The link is never
logged and never stored here.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict

from services.kit.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT: Final = httpx.Timeout(5.0, connect=3.0)
#: Why a supporter's page reads the resident's data (intake's audit log shows it).
PURPOSE: Final = "supporter_case_view"
#: Why the consultation's page reads it: to call the resident for the conversation, and to choose together.
COORDINATOR_PURPOSE: Final = "consultation_appointment"
CALLER: Final = "matching"
#: Attempts to hand a sign-in link to notifications, and the pause before each retry.
MAIL_ATTEMPTS: Final = 3
MAIL_PAUSE_SECONDS: Final = 1.0


class ResidentContact(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    email: str | None = None
    phone: str | None = None


class CaseData(BaseModel):
    """What intake shows a supporter of one question: its text, and the contact when the resident consented."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    question_id: str
    description: str
    share_with_supporter: bool
    contact: ResidentContact | None = None


class ConsultationData(BaseModel):
    """What intake shows the joint consultation of one question: its reference; its text and the
    resident's contact only when the resident consented to share them."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    question_id: str
    reference: str
    share_with_supporter: bool
    description: str | None = None
    contact: ResidentContact | None = None


#: Why intake showed nothing: the resident was erased, the question withdrawn, intake does not (yet)
#: know this support or that the question is in the consultation, or intake could not be reached.
Missing = Literal["erased", "withdrawn", "not_supporting", "not_in_consultation", "unavailable"]
REFUSALS: Final = frozenset({"erased", "withdrawn", "not_supporting", "not_in_consultation"})


@dataclass(frozen=True)
class Unavailable:
    why: Missing


class IntakeCases:
    """``GET /internal/v1/questions/{id}/for-supporter`` of intake."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        token = settings.internal_token.get_secret_value()
        self.base = settings.intake_url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}", "X-Purpose": PURPOSE, "X-Caller": CALLER}
        self._client = httpx.AsyncClient(headers=headers, timeout=TIMEOUT, transport=transport)

    async def case(
        self, question_id: str, supporter_id: str, organisation: str, assignment_id: str
    ) -> CaseData | Unavailable:
        params = {"supporter_id": supporter_id, "organisation": organisation, "assignment_id": assignment_id}
        found = await self._get(question_id, "for-supporter", params, PURPOSE)
        return found if isinstance(found, Unavailable) else CaseData.model_validate_json(found.content)

    async def for_consultation(
        self, question_id: str, coordinator: str, municipality: str | None
    ) -> ConsultationData | Unavailable:
        """The question for a coordinator (``<organisation>/<key id>``) of ``municipality`` (None: any)."""
        params = {"coordinator": coordinator, **({"municipality": municipality} if municipality else {})}
        found = await self._get(question_id, "for-coordinator", params, COORDINATOR_PURPOSE)
        return found if isinstance(found, Unavailable) else ConsultationData.model_validate_json(found.content)

    async def _get(
        self, question_id: str, view: str, params: dict[str, str], purpose: str
    ) -> httpx.Response | Unavailable:
        """One audited read of intake: the 200 answer, or why there is none."""
        url = f"{self.base}/internal/v1/questions/{quote(question_id, safe='')}/{view}"
        try:
            response = await self._client.get(url, params=params, headers={"X-Purpose": purpose})
        except httpx.TransportError as exc:
            log.warning("intake unreachable for a question view", extra={"view": view, "error": type(exc).__name__})
            return Unavailable("unavailable")
        if response.status_code == 200:
            return response
        if response.status_code in (404, 409, 410):
            code = _code(response)
            if code in REFUSALS:
                return Unavailable(code)  # type: ignore[arg-type]  # one of the refusals
            if response.status_code == 404 and view == "for-coordinator":
                return Unavailable("not_in_consultation")
            return Unavailable("erased" if response.status_code == 410 else "not_supporting")
        log.warning("intake refused a question view", extra={"view": view, "status": response.status_code})
        return Unavailable("unavailable")

    async def aclose(self) -> None:
        await self._client.aclose()


def _code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    detail = body.get("detail") if isinstance(body, dict) else None
    code = detail.get("code") if isinstance(detail, dict) else None
    return code if isinstance(code, str) else ""


class SignInMailer:
    """Hands sign-in links to notifications (``POST /internal/v1/sign-in-links``) in the background."""

    def __init__(
        self,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        pause: float = MAIL_PAUSE_SECONDS,
    ) -> None:
        token = settings.internal_token.get_secret_value()
        self.url = f"{settings.notifications_url.rstrip('/')}/internal/v1/sign-in-links"
        self.pause = pause
        self._client = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {token}"}, timeout=httpx.Timeout(40.0, connect=3.0), transport=transport
        )
        self._tasks: set[asyncio.Task[bool]] = set()

    def send_later(self, request_id: str, supporter_id: str, url: str, expires_at: datetime) -> asyncio.Task[bool]:
        """Start handing the link over; the page does not wait for it."""
        task = asyncio.create_task(self.send(request_id, supporter_id, url, expires_at), name="sign-in-mail")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def send(self, request_id: str, supporter_id: str, url: str, expires_at: datetime) -> bool:
        """Hand the link to notifications, retrying a few times; True when notifications took it."""
        body = {
            "request_id": request_id,
            "supporter_id": supporter_id,
            "url": url,
            "expires_at": expires_at.isoformat(),
        }
        for attempt in range(1, MAIL_ATTEMPTS + 1):
            try:
                response = await self._client.post(self.url, json=body)
                if response.status_code in (200, 202):
                    return True
                problem = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code not in (408, 429):
                    break
            except httpx.TransportError as exc:
                problem = type(exc).__name__
            if attempt < MAIL_ATTEMPTS:
                await asyncio.sleep(self.pause * attempt)
        # The request id names the attempt in notifications' delivery log; the link itself is never logged.
        log.warning("sign-in mail not handed over", extra={"request_id": request_id, "problem": problem})
        return False

    async def aclose(self) -> None:
        """Let links being handed over finish (briefly), then close."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=10)
        await self._client.aclose()
