"""Embedded infrastructure: PostgreSQL and a Kafka-compatible broker (Tansu) as child processes.

Used by ``samenloket up`` and the test fixtures when no external database or broker is configured
(ARCHITECTURE.md, "Infrastructure modes", mode 1). One module each: :mod:`.postgres` (and
:mod:`.root`, for when we run as root), :mod:`.kafka`, and :mod:`.process`, the children that
never outlive us.
"""

from services.local.embedded.kafka import EmbeddedKafka
from services.local.embedded.postgres import EmbeddedPostgres
from services.local.embedded.process import free_port, spawn_child

__all__ = ["EmbeddedKafka", "EmbeddedPostgres", "free_port", "spawn_child"]
