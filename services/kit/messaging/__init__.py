"""Consuming events with FastStream: typed subscribers, CloudEvents decoding, and the reliability
middleware (idempotent inbox, commit after effect, bounded retry, dead letters).

A service declares its consumer groups as :class:`EventSubscriber` objects with one typed handler
per event type; :func:`services.kit.messaging.binding.bind` turns each into a FastStream
``KafkaBroker`` subscriber with one filtered handler per type.
"""

from services.kit.messaging.subscriber import EventSubscriber, PermanentError, erasure_subscriber

__all__ = ["EventSubscriber", "PermanentError", "erasure_subscriber"]
