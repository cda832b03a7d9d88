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
    # The supporters' sign-in by e-mail link (services/matching/workspace): how many links a client and an
    # e-mail address may ask for per window.
    sign_in_rate_per_client: int = Field(default=10, ge=1, le=100_000, description="sign-in links per client")
    sign_in_rate_per_address: int = Field(default=3, ge=1, le=1000, description="sign-in links per e-mail address")
    sign_in_rate_window_seconds: float = Field(default=900, gt=0, le=86_400, description="the limits' window")
