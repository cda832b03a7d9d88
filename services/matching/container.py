"""What matching's handlers and routes are built with: one typed container, made once at start."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from contracts.envelope import CloudEvent
from contracts.events import Event
from services.kit.db import Conn
from services.kit.region import Region
from services.matching.domain.scoring import Scoring
from services.matching.live import LivePool
from services.matching.postcodes import region_places

E = TypeVar("E", bound=Event)
#: A transactional event handler that receives the payload as its own type.
EventHandler = Callable[[Conn, CloudEvent, E], Awaitable[None]]


@dataclass(frozen=True)
class Container:
    """Matching's dependencies: who it publishes as, how it scores (weights and the region's postcode
    table), and this instance's in-memory supporter pool."""

    source: str
    scoring: Scoring
    live: LivePool = field(default_factory=LivePool)

    @classmethod
    def build(cls, source: str, region: Region | None = None) -> Container:
        """The container of a running service: the postcode table of ``region`` (its region file's)."""
        return cls(source=source, scoring=Scoring(places=region_places(region)))
