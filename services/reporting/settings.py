"""Reporting's own settings: suppression and how often statistics are published."""

from __future__ import annotations

from pydantic import Field

from services.kit.settings import Settings


class ReportingSettings(Settings):
    suppression_threshold: int = Field(
        default=10, ge=2, le=1000, description="counts of fewer people than this show as '<threshold>' in every figure"
    )
    statistics_interval_seconds: float = Field(
        default=3600, ge=0, le=31 * 86_400, description="how often StatisticsPublished goes out; 0: never"
    )
