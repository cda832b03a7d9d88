"""Binding subscribers to FastStream's ``KafkaBroker``: one FastStream subscriber per consumer group,
one filtered handler per event type, the reliability middleware on each group.

FastStream calls a handler with the decoded payload (the concrete event class, see
:mod:`services.kit.messaging.cloudevents`; no FastDepends injection, the broker's ``apply_types``
is off); the transaction and the envelope come from the context variables the middleware sets.
A last, unfiltered handler takes the types a group does not act on (the middleware acknowledges
them without calling it), so FastStream never meets a message it has no handler for. Each group's
offsets are committed in batches (:mod:`.offsets`): on partition revocation through the consumer's
rebalance listener, and before FastStream stops its consumers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.middlewares import AckPolicy

from contracts.envelope import CloudEvent
from contracts.events import Event
from services.kit.messaging.cloudevents import decode_payload, event_type, parse_record
from services.kit.messaging.offsets import Offsets
from services.kit.messaging.reliability import CURRENT_CONN, CURRENT_EVENT, Consumption
from services.kit.messaging.subscriber import AnyHandler, EventSubscriber

log = logging.getLogger(__name__)

#: Consumer options every group shares (a killed instance's partitions move on after 6 s, Kafka's
#: smallest allowed session, instead of 10 s).
CONSUMER_OPTIONS: dict[str, Any] = {
    "auto_offset_reset": "earliest",
    "max_poll_records": 500,
    "session_timeout_ms": 6000,
    "heartbeat_interval_ms": 1500,
}


def group_id(service: str, subscriber: EventSubscriber) -> str:
    return f"samenloket-{service}-{subscriber.name}"


def bind(broker: KafkaBroker, consumption: Consumption) -> KafkaRouter:
    """Register ``consumption.subscriber`` on ``broker``; the router holds its middleware."""
    sub = consumption.subscriber
    router = KafkaRouter()
    workers = sub.workers if len(sub.topics) == 1 and sub.workers > 1 else None
    faststream_subscriber = router.subscriber(
        *sub.topics,
        group_id=group_id(consumption.service, sub),
        ack_policy=AckPolicy.MANUAL,
        max_workers=workers,
        parser=parse_record,
        decoder=decode_payload,
        title=f"{consumption.service}.{sub.name}",
        listener=consumption.offsets.listener(),
        **CONSUMER_OPTIONS,
    )
    _commit_before_stopping(faststream_subscriber, consumption.offsets)
    for model, handler in sub.handlers.items():
        typed = typed_handler(model, handler, transactional=sub.transactional)
        if model is Event:
            faststream_subscriber(typed)
        else:
            faststream_subscriber(typed, filter=_type_is(model.ce_type))
    if not sub.every_type:
        faststream_subscriber(_not_handled_here)
    broker.include_router(router, middlewares=[consumption.middleware])
    return router


def _commit_before_stopping(faststream_subscriber: Any, offsets: Offsets) -> None:
    """Commit what is done before FastStream stops the subscriber's consumers (the message in hand,
    which FastStream lets finish, is committed as soon as it is done)."""
    stop = faststream_subscriber.stop

    async def commit_then_stop() -> None:
        await offsets.close()
        try:
            await stop()
        finally:
            offsets.reopen()

    faststream_subscriber.stop = commit_then_stop


def _type_is(ce_type: str) -> Callable[[Any], Awaitable[bool]]:
    async def matches(message: Any) -> bool:
        return event_type(message) == ce_type

    matches.__name__ = f"ce_type_is_{ce_type}"
    return matches


async def _not_handled_here(body: Any) -> None:
    """Never called: the middleware acknowledges types its subscriber does not handle."""


def _current_event() -> CloudEvent:
    event = CURRENT_EVENT.get()
    assert event is not None, "a handler called outside the reliability middleware"
    return event


def typed_handler(model: type[Event], handler: AnyHandler, *, transactional: bool) -> Callable[..., Awaitable[None]]:
    """A FastStream handler whose payload parameter is annotated with ``model`` (its schema in AsyncAPI,
    its instance at run time), calling the service's ``handler`` with the transaction and envelope."""
    if transactional:

        async def call(payload: Any) -> None:
            await handler(CURRENT_CONN.get(), _current_event(), payload)

    else:

        async def call(payload: Any) -> None:
            await handler(_current_event(), payload)

    call.__annotations__["payload"] = model
    call.__name__ = getattr(handler, "__name__", model.__name__)
    call.__doc__ = getattr(handler, "__doc__", None)
    return call
