"""The supporters' figures: support under way and places free per organisation, how busy supporters are,
why assignments were declined, and why questions were withdrawn. Support under way and capacity
describe the moment of the snapshot."""

from __future__ import annotations

from collections.abc import Mapping

from contracts.codes import SUPPORTER_KINDS
from contracts.labels import SUPPORTER_KIND_LABELS
from services.reporting.figures.outcomes import organisation_rows
from services.reporting.figures.shapes import one_dimensional, rate, rounded
from services.reporting.tables import CountTable, Statistic


def assignments_by_organisation(
    counts: Mapping[tuple[str, str], int], names: Mapping[str, str] | None = None
) -> CountTable:
    """Assignments assigned or accepted now, by ``(organisation, supporter kind)``; organisations are named by
    their display name (``names``, by id)."""
    names = names or {}
    return CountTable(
        key="assignments_by_organisation",
        title="Lopende ondersteuning per organisatie",
        row_label="Organisatie",
        rows=organisation_rows(counts, names),
        columns=SUPPORTER_KINDS,
        column_label="Soort ondersteuner",
        counts=counts,
        labels={**names, **SUPPORTER_KIND_LABELS},
    )


def capacity_by_organisation(
    places: Mapping[tuple[str, str], int], names: Mapping[str, str] | None = None
) -> CountTable:
    """Places of the supporters available now, by ``(organisation, supporter kind)``: not people."""
    names = names or {}
    return CountTable(
        key="capacity_by_organisation",
        title="Plaatsen bij beschikbare ondersteuners",
        row_label="Organisatie",
        rows=organisation_rows(places, names),
        columns=SUPPORTER_KINDS,
        column_label="Soort ondersteuner",
        counts=places,
        labels={**names, **SUPPORTER_KIND_LABELS},
        people=False,
    )


def utilisation(active: int, capacity: int) -> Statistic:
    """Assignments under way as a percentage of the places of the supporters available now."""
    value = rounded(100 * active / capacity) if capacity else None
    return Statistic("utilisation_percent", "Bezetting van de ondersteuners", value, (active,), "%")


def declines_by_reason(declines: Mapping[str, tuple[str, int]]) -> CountTable:
    """Declined assignments by reason code; ``declines[code]`` is ``(the reason's text, count)``."""
    return one_dimensional(
        "declines_by_reason",
        "Afgewezen koppelingen per reden",
        "Reden",
        sorted(declines),
        {code: n for code, (_, n) in declines.items()},
        {code: text for code, (text, _) in declines.items()},
    )


def withdrawals_by_reason(withdrawals: Mapping[str, tuple[str, int]]) -> CountTable:
    """Withdrawn questions by reason code; ``withdrawals[code]`` is ``(the reason's text, count)``."""
    return one_dimensional(
        "withdrawals_by_reason",
        "Ingetrokken vragen per reden",
        "Reden",
        sorted(withdrawals),
        {code: n for code, (_, n) in withdrawals.items()},
        {code: text for code, (text, _) in withdrawals.items()},
    )


def decline_rate(declined: int, kept: int) -> Statistic:
    return rate("decline_rate", "Koppelingen die werden afgewezen", declined, kept)
