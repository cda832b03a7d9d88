"""The daily digest's rules: what is kept of a signal (codes and time, never its text), what the digest mail
says, and when the next one is due (08:00 Dutch time). No I/O; :mod:`services.notifications.digest` runs it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from contracts.events import (
    SignalRaised,
)
from contracts.labels import (
    SIGNAL_LEVEL_WORDS,
    SIGNAL_THEME_LABELS,
)
from services.notifications.domain import DIGEST_AT, LOCAL_TZ, municipality_name


@dataclass(frozen=True)
class SignalFact:
    """What the digest keeps of a SignalRaised: no free text, no personal data."""

    signal_id: str
    theme: str
    municipality: str
    level: str
    raised_at: datetime


def signal_fact(signal: SignalRaised) -> SignalFact:
    return SignalFact(signal.signal_id, signal.theme, signal.municipality, signal.level, signal.raised_at)


def digest_context(signals: list[SignalFact], day: date) -> dict[str, Any]:
    """The signals grouped by theme (themes in a fixed order, signals by time within a theme)."""
    order = list(SIGNAL_THEME_LABELS)
    themes: dict[str, list[dict[str, Any]]] = {}
    for fact in sorted(signals, key=lambda f: (order.index(f.theme) if f.theme in order else len(order), f.raised_at)):
        themes.setdefault(fact.theme, []).append(
            {
                "signal_id": fact.signal_id,
                "municipality_name": municipality_name(fact.municipality),
                "level": SIGNAL_LEVEL_WORDS.get(fact.level, fact.level),
                "time": fact.raised_at.astimezone(LOCAL_TZ).strftime("%d-%m-%Y %H:%M"),
            }
        )
    return {
        "day": day.strftime("%d-%m-%Y"),
        "count": len(signals),
        "themes": [
            {"name": SIGNAL_THEME_LABELS.get(theme, theme), "count": len(items), "signals": items}
            for theme, items in themes.items()
        ],
    }


def next_digest_time(now: datetime) -> datetime:
    """The next 08:00 Europe/Amsterdam strictly after ``now`` (an aware datetime), in local time."""
    local = now.astimezone(LOCAL_TZ)
    candidate = datetime.combine(local.date(), DIGEST_AT, tzinfo=LOCAL_TZ)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), DIGEST_AT, tzinfo=LOCAL_TZ)
    return candidate
