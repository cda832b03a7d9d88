"""What the participation staff pages share: their Jinja environment, with codes read as Dutch words."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from jinja2 import Environment

from contracts.labels import (
    LIFE_DOMAIN_LABELS,
    SIGNAL_LEVEL_LABELS,
    SIGNAL_SOURCE_LABELS,
    SIGNAL_STATUS_LABELS,
    SIGNAL_THEME_LABELS,
)
from services.intake.experiences.reading import dutch_period
from services.kit.web.templates import environment as page_environment


def _label(labels: dict[str, str]) -> Callable[[str | None], str]:
    return lambda code: labels.get(code, code) if code else ""


@lru_cache(maxsize=1)
def environment() -> Environment:
    return page_environment(
        "services.intake",
        layout="staff.html",
        filters={
            "theme_name": _label(SIGNAL_THEME_LABELS),
            "domain_name": _label(LIFE_DOMAIN_LABELS),
            "level_name": _label(SIGNAL_LEVEL_LABELS),
            "source_name": _label(SIGNAL_SOURCE_LABELS),
            "status_name": _label(SIGNAL_STATUS_LABELS),
            "period_name": dutch_period,
            "paragraphs": lambda text: [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()],
        },
    )
