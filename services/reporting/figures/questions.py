"""The question figures: what came in (by month, life domain, channel, referrer, …), the waiting list
now, and how fast questions got a supporter.

"Now" figures (the waiting list) describe the moment of the snapshot, whatever the period. The
waiting list also counts a question whose every assignment was declined and that waits again, though
its status (from its earliest milestones, see :mod:`services.reporting.domain`) still says it once
got a supporter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from contracts.codes import CHANNELS, LIFE_DOMAINS
from contracts.labels import CHANNEL_LABELS, FOUND_VIA_LABELS, LIFE_DOMAIN_LABELS, QUESTION_STATUS_LABELS
from services.kit.region import current_region
from services.reporting.domain import STATUSES
from services.reporting.figures.categories import (
    NOT_KNOWN,
    SELF,
    SELF_LABEL,
    UNKNOWN,
    WAITING_AGE_LABELS,
    WAITING_AGES,
)
from services.reporting.figures.shapes import one_dimensional, rate, rounded
from services.reporting.periods import Window, months_in
from services.reporting.tables import SINGLE, CountTable, Statistic


@dataclass(frozen=True)
class QuestionCounts:
    """Questions received in the window, counted by each category (``complete`` ones only where noted)."""

    by_month: Mapping[str, int]
    by_life_domain: Mapping[str, int]
    #: Questions with life domains at all: a question with two counts once here.
    with_life_domains: int
    by_channel: Mapping[str, int]  # complete
    by_referrer: Mapping[str, int]  # complete; no referrer: SELF
    by_found_via: Mapping[str, int]  # complete; not given: UNKNOWN
    by_municipality: Mapping[str, int]
    by_status: Mapping[str, int]


class Percentiles(NamedTuple):
    """Hours from receipt to a milestone, over the ``n`` questions that reached it (unrounded)."""

    n: int
    median: float | None
    p90: float | None


def question_tables(win: Window, counts: QuestionCounts, names: Mapping[str, str] | None = None) -> list[CountTable]:
    """The tables of what came in; referring organisations are named by their display name (``names``, by id)."""
    names = names or {}
    referrers = [*sorted(set(counts.by_referrer) - {SELF}, key=lambda r: (names.get(r, r).lower(), r)), SELF]
    served = current_region().municipality_names
    areas = [win.area] if win.area else list(served)
    return [
        one_dimensional("questions_by_month", "Vragen per maand", "Maand", months_in(win.period), counts.by_month, {}),
        CountTable(
            key="questions_by_life_domain",
            title="Vragen per leefgebied",
            row_label="Leefgebied",
            rows=tuple(LIFE_DOMAINS),
            counts={(d, SINGLE): n for d, n in counts.by_life_domain.items()},
            labels=LIFE_DOMAIN_LABELS,
            additive=False,
            row_totals={d: counts.by_life_domain.get(d, 0) for d in LIFE_DOMAINS},
            column_totals={SINGLE: counts.with_life_domains},
            grand_total=counts.with_life_domains,
        ),
        one_dimensional(
            "questions_by_channel", "Vragen per kanaal", "Kanaal", CHANNELS, counts.by_channel, CHANNEL_LABELS
        ),
        one_dimensional(
            "questions_by_referrer",
            "Vragen per verwijzer",
            "Verwijzer",
            referrers,
            counts.by_referrer,
            {**names, SELF: SELF_LABEL},
        ),
        one_dimensional(
            "questions_by_found_via",
            "Hoe vonden inwoners ons?",
            "Gevonden via",
            (*FOUND_VIA_LABELS, UNKNOWN),
            counts.by_found_via,
            FOUND_VIA_LABELS | {UNKNOWN: NOT_KNOWN},
        ),
        one_dimensional(
            "questions_by_municipality",
            "Vragen per gemeente",
            "Gemeente",
            areas,
            counts.by_municipality,
            served,
        ),
        one_dimensional(
            "questions_by_status",
            "Vragen per stand van zaken",
            "Stand",
            STATUSES,
            counts.by_status,
            QUESTION_STATUS_LABELS,
        ),
    ]


def waiting_by_age(counts: Mapping[str, int]) -> CountTable:
    """The waiting list now, by how long each question has waited (``WAITING_AGES``)."""
    return one_dimensional(
        "waiting_by_age",
        "Wachtlijst nu: hoe lang wachten inwoners al?",
        "Wacht al",
        WAITING_AGES,
        counts,
        WAITING_AGE_LABELS,
    )


def waiting_statistics(n: int, median_days: float | None) -> list[Statistic]:
    return [
        Statistic("waiting_list_size", "Inwoners op de wachtlijst", float(n), (n,)),
        Statistic("waiting_days_median", "Wachttijd tot nu (mediaan)", rounded(median_days), (n,), "dagen"),
    ]


def speed_statistics(assigned: Percentiles, accepted: Percentiles) -> list[Statistic]:
    found = []
    for what, hours in (("assigned", assigned), ("accepted", accepted)):
        title = "een ondersteuner" if what == "assigned" else "de start van de ondersteuning"
        median, p90 = rounded(hours.median), rounded(hours.p90)
        found += [
            Statistic(f"hours_to_{what}_median", f"Uren tot {title} (mediaan)", median, (hours.n,), "uur"),
            Statistic(f"hours_to_{what}_p90", f"Uren tot {title} (9 van de 10 binnen)", p90, (hours.n,), "uur"),
        ]
    return found


def monthly_hours_to_assigned(win: Window, by_month: Mapping[str, tuple[int, float | None]]) -> tuple[Statistic, ...]:
    """Per month of the period: the median hours to a supporter, over ``n`` questions (``by_month[month]``)."""
    trend = []
    for month in months_in(win.period):
        n, median = by_month.get(month, (0, None))
        trend.append(Statistic(month, f"Uren tot een ondersteuner (mediaan), {month}", rounded(median), (n,), "uur"))
    return tuple(trend)


def consultation_rate(with_consultation: int, without: int) -> Statistic:
    return rate("consultation_rate", "Vragen naar gezamenlijk overleg", with_consultation, without)
