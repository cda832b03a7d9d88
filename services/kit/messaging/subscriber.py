"""What a service consumes: a consumer group's topics and one typed handler per event type.

A transactional subscriber's handlers run inside the transaction that also records the event in the
inbox, and receive ``(conn, event, payload)``; a side-effect subscriber's handlers (mail, webhooks)
get no connection, receive ``(event, payload)`` and make their effect idempotent themselves (keyed
by event id). The payload is an instance of the handler's own event class: no handler narrows a
base type. :func:`erasure_subscriber` is the one subscription every service has for erasures.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from contracts import topics
from contracts.envelope import CloudEvent
from contracts.events import REGISTRY, Event, ResidentErasureRequested
from services.kit import erasure
from services.kit.db import Conn
from services.kit.messaging.deadletters import DeadLetters

E = TypeVar("E", bound=Event)

TransactionalHandler = Callable[[Conn, CloudEvent, E], Awaitable[None]]
SideEffectHandler = Callable[[CloudEvent, E], Awaitable[None]]
AnyHandler = Callable[..., Awaitable[None]]


class PermanentError(Exception):
    """Raised by a handler when retrying can never help; the message is dead-lettered at once."""


@dataclass
class EventSubscriber:
    """One consumer group of a service.

    ``name`` names the group (``samenloket-<service>-<name>``) and its inbox (``<service>.<name>``).
    ``workers`` > 1 reads a single topic with that many consumers of the group, each handling its
    partitions in order (FastStream's concurrent-between-partitions subscriber).
    """

    name: str
    topics: tuple[str, ...]
    transactional: bool = True
    workers: int = 1
    handlers: dict[type[Event], AnyHandler] = field(default_factory=dict)
    #: Wraps the service's dead-letter sink for this subscriber (e.g. to seal a partner's personal
    #: data before it goes to ``<topic>.dlq``); None: dead letters go as they came.
    dead_letters: Callable[[DeadLetters], DeadLetters] | None = None

    def on(self, model: type[E]) -> Callable[[AnyHandler], AnyHandler]:
        """Register the decorated function as the handler of ``model`` (``Event`` itself: every type)."""

        def register(handler: AnyHandler) -> AnyHandler:
            if model in self.handlers:
                raise ValueError(f"{self.name}: a second handler for {model.__name__}")
            self.handlers[model] = handler
            return handler

        return register

    def handle(self, model: type[E], handler: AnyHandler) -> EventSubscriber:
        """Register ``handler`` for ``model``; returns the subscriber, so registrations chain."""
        self.on(model)(handler)
        return self

    @property
    def every_type(self) -> bool:
        return Event in self.handlers

    def handles(self, ce_type: str) -> bool:
        """Whether this subscriber acts on ``ce_type`` (other registered types are skipped, not failed)."""
        if self.every_type:
            return ce_type in REGISTRY
        return any(model.ce_type == ce_type for model in self.handlers)


def subscriber(name: str, *topic_names: str, transactional: bool = True, workers: int = 1) -> EventSubscriber:
    return EventSubscriber(name, tuple(topic_names), transactional=transactional, workers=workers)


Eraser = Callable[[Conn, ResidentErasureRequested], Awaitable[Any]]


def erasure_subscriber(service: str, source: str, erase: Eraser) -> EventSubscriber:
    """The privacy subscription of ``service``: ``erase`` removes what it holds, then the kit remembers
    the erasure and announces ``ResidentErasureRequested``'s answer, ``ResidentErased``, in the same
    transaction."""

    async def erasure_requested(conn: Conn, event: CloudEvent, payload: ResidentErasureRequested) -> None:
        await erase(conn, payload)
        await erasure.confirm(conn, payload.resident_ref, service, source)

    return subscriber("privacy", topics.PRIVACY).handle(ResidentErasureRequested, erasure_requested)
