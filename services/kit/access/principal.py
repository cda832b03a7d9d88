"""The authenticated caller, as endpoints and pages see it (an API key's or a page session's)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: an organisation acting with some scopes."""

    key_id: str
    organisation: str
    scopes: frozenset[str]
    municipality: str | None = None

    def has(self, *scopes: str) -> bool:
        return any(s in self.scopes for s in scopes)

    def may_see_municipality(self, municipality: str | None) -> bool:
        """A key tied to a municipality sees only that municipality."""
        return self.municipality is None or self.municipality == municipality
