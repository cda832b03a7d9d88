"""Which failures are the infrastructure's (wait them out) and which are the message's (dead-letter it).

A database or broker that is away, a connection that broke, or a service that does not answer
says nothing about the message: retrying later will succeed, so the message is retried without
limit and nothing is committed past it (its partition waits). Every other failure is counted: after
``max_attempts`` the message goes to the dead-letter topic, and a :class:`PermanentError` at once.
"""

from __future__ import annotations

import asyncpg
import httpx
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError, RequestTimedOutError


class Unavailable(Exception):
    """Raised by a handler when something it depends on (another service) cannot be reached now."""


_INFRASTRUCTURE: tuple[type[BaseException], ...] = (
    Unavailable,
    OSError,  # connection refused or reset, host unreachable (ConnectionError is one)
    TimeoutError,  # a pool that lends no connection in time, a call that got no answer
    asyncpg.PostgresConnectionError,  # class 08: connection exceptions
    asyncpg.CannotConnectNowError,  # the server is starting up or shutting down
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    asyncpg.ConnectionDoesNotExistError,  # the connection was closed under us
    asyncpg.InterfaceError,  # e.g. the pool is closing or the connection broke mid-operation
    KafkaConnectionError,
    KafkaTimeoutError,
    NodeNotReadyError,
    RequestTimedOutError,
    httpx.TransportError,  # another service does not answer
)


def is_infrastructure(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says that infrastructure is away rather than the message is bad."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, _INFRASTRUCTURE):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
