"""The panel's pure rules. No I/O here.

A resident joins with an explicit "yes" to the consent wording (its version is kept with the date)
and at least one theme; the municipality is their question's. Joining again replaces the themes;
withdrawing stops every invitation at once. A council invites the members of its area (a key tied
to a municipality: that municipality; a regional key: every municipality) whose themes overlap the
meeting's or poll's, or all of them when it names no theme. Sizes shown to a council are suppressed
below the threshold, like every figure: a panel of three is not counted out loud.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.codes import LifeDomain

CONSENT_VERSION: Final = "2026-12-meedenken-v1"
CONSENT_TEXT: Final = (
    "Ja, de adviesraad en de cliëntenraad mogen mij via het Samenloket uitnodigen om mee te denken. "
    "Zij krijgen mijn naam en contactgegevens niet. Ik kan dit altijd weer stoppen."
)


class PanelChoice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    life_domains: list[LifeDomain] = Field(min_length=1, max_length=8)
    consent: bool

    @field_validator("life_domains")
    @classmethod
    def _unique(cls, values: list[LifeDomain]) -> list[LifeDomain]:
        return list(dict.fromkeys(values))

    @field_validator("consent")
    @classmethod
    def _explicit(cls, value: bool) -> bool:
        if not value:
            raise ValueError("consent must be given explicitly")
        return value


def matches(member_domains: Iterable[str], wanted: Iterable[str]) -> bool:
    wanted = set(wanted)
    return not wanted or bool(wanted & set(member_domains))


def shown_size(count: int, threshold: int) -> str:
    """A panel's size as a council may read it."""
    return f"minder dan {threshold}" if count < threshold else str(count)
