"""The all-time overview (``GET /api/v1/reports/overview``): a few figures of one area, unsuppressed here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.reporting.figures.shapes import rounded


@dataclass(frozen=True)
class OverviewFigures:
    total: int
    by_life_domain: dict[str, int]
    with_life_domains: int
    assigned: int
    waiting: int
    consultation: int
    signals: int
    assigned_measured: int
    median_minutes_received_to_assigned: float | None


def overview_figures(questions: Mapping[str, Any], by_life_domain: dict[str, int], signals: int) -> OverviewFigures:
    """From what :mod:`services.reporting.store.overview` read: the question figures, per life domain, signals."""
    return OverviewFigures(
        total=questions["total"],
        by_life_domain=by_life_domain,
        with_life_domains=questions["with_life_domains"],
        assigned=questions["assigned"],
        waiting=questions["waiting"],
        consultation=questions["consultation"],
        signals=signals,
        assigned_measured=questions["measured"],
        median_minutes_received_to_assigned=rounded(questions["median_minutes"]),
    )
