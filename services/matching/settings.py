"""Matching's own settings."""

from __future__ import annotations

from pydantic import Field

from services.kit.settings import Settings


class MatchingSettings(Settings):
    waiting_pass_seconds: float = Field(
        default=300, gt=0, le=86_400, description="seconds between waiting-list passes no command triggered"
    )
    first_contact_pass_seconds: float = Field(
        default=300, gt=0, le=86_400, description="seconds between passes looking for late first contacts"
    )
