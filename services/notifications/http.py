"""HTTP entry points of notifications: the delivery log (internal, for operators and other services)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from contracts.events import NotificationChannel, RecipientRole
from services.kit.http import internal_auth
from services.kit.runtime import Runtime
from services.notifications import store
from services.notifications.domain import DeliveryStatus, notification_id

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


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["deliveries"])
    guard = Depends(internal_auth(rt.settings.internal_token.get_secret_value()))

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

    return api
