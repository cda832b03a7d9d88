"""Suppression linked across areas: the region and its municipalities (and tables that count the same
people) suppressed as one system, so no combination of their published reports reveals a hidden
count. See "Linked across areas" in :mod:`services.reporting.suppression`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from itertools import pairwise

from services.reporting.suppression.memo import LINKED_DECISIONS, LinkedDecision, linked_inputs
from services.reporting.suppression.single import hidden_in
from services.reporting.suppression.table import (
    REGION,
    Key,
    Line,
    PublishedReport,
    check_threshold,
    figures,
    lines,
    with_hidden,
)
from services.reporting.tables import SINGLE, CountTable, PublishedTable, Report, Statistic

#: A statistic that equals a table figure: ``{statistic key: (table key, (row, column))}``.
Mirrors = Mapping[str, tuple[str, Key]]

#: Figures of different tables that count the same people in every area, e.g. the totals of
#: "per maand" and "per stand": ``((table key, (row, column)), ...)``.
Same = Sequence[tuple[str, Key]]


def publish_linked(
    reports: Mapping[str | None, Report],
    threshold: int,
    mirrors: Mirrors | None = None,
    same: Sequence[Same] = (),
) -> dict[str | None, PublishedReport]:
    """Suppress the reports of one period of the region (``None``) and its municipalities together.

    Every report must have the same table and statistic keys. ``mirrors``: statistics that equal a
    table figure, withheld wherever that figure is hidden. ``same``: figures of different tables
    that are one count; their tables are suppressed as one system, so the count is hidden in all
    of them or in none.
    """
    check_threshold(threshold)
    mirrors = mirrors or {}
    decision = LINKED_DECISIONS.get(
        linked_inputs(reports, threshold, mirrors, same), lambda: linked_decision(reports, threshold, mirrors, same)
    )
    return {
        area: PublishedReport(
            replace(
                report,
                statistics=tuple(
                    replace(s, withheld=True) if s.key in decision.withheld[area] else s for s in report.statistics
                ),
            ),
            tuple(with_hidden(t, set(decision.hidden[area][t.key]), threshold) for t in report.tables),
            threshold,
        )
        for area, report in reports.items()
    }


def linked_decision(
    reports: Mapping[str | None, Report], threshold: int, mirrors: Mirrors, same: Sequence[Same]
) -> LinkedDecision:
    """What :func:`publish_linked` hides and withholds, computed (no cache)."""
    first = next(iter(reports.values()))
    hidden: dict[str | None, dict[str, set[Key]]] = {area: {} for area in reports}
    for group in table_groups([t.key for t in first.tables], same):
        tables = {key: {area: report.table(key) for area, report in reports.items()} for key in group}
        for table_key, by_area in linked_hidden_together(tables, threshold, same).items():
            for area, found in by_area.items():
                hidden[area][table_key] = found
    return LinkedDecision.frozen(hidden, withheld_statistics(reports, threshold, hidden, mirrors))


def suppress_linked(tables: Mapping[str | None, CountTable], threshold: int) -> dict[str | None, PublishedTable]:
    """One table key of every area (the region ``None`` and its municipalities), suppressed together."""
    check_threshold(threshold)
    hidden = linked_hidden(tables, threshold)
    return {area: with_hidden(table, hidden[area], threshold) for area, table in tables.items()}


def area_code(area: str | None) -> str:
    return area or REGION


def table_groups(keys: Sequence[str], same: Sequence[Same]) -> list[list[str]]:
    """The table keys in groups to suppress together: tables sharing a figure of ``same`` are one group."""
    group_of = {key: [key] for key in keys}
    for figures_alike in same:
        joined = [k for k, _ in figures_alike if k in group_of]
        merged: list[str] = []
        for key in joined:
            if key not in merged:
                merged += [k for k in group_of[key] if k not in merged]
        for key in merged:
            group_of[key] = merged
    groups: list[list[str]] = []
    for key in keys:
        if group_of[key] not in groups:
            groups.append(group_of[key])
    return groups


def linked_hidden(tables: Mapping[str | None, CountTable], threshold: int) -> dict[str | None, set[Key]]:
    """The hidden ``(row, column)`` figures of one table key in every area, suppressed jointly."""
    return linked_hidden_together({"": tables}, threshold, ())[""]


def linked_hidden_together(
    tables: Mapping[str, Mapping[str | None, CountTable]], threshold: int, same: Sequence[Same]
) -> dict[str, dict[str | None, set[Key]]]:
    """The hidden ``(row, column)`` figures of several table keys in every area, suppressed as one system:
    figures are ``(table key, area, row, column)``; ``same`` figures are equal in every area."""
    values: dict[Key, int] = {}
    relations: list[Line] = []
    for key, by_area in tables.items():
        if not all(t.people for t in by_area.values()):
            continue
        own = linked_figures(by_area)
        values.update({(key, *figure): n for figure, n in own.items()})
        relations += [prefixed(key, line) for line in linked_lines(by_area, own)]
    alike = same_lines(tables, values, same)
    relations += alike
    shared = {key for line in alike for key in line.members}
    hidden = hidden_in(relations, values, threshold, shared) if values else set()
    return {
        key: {area: {f[2:] for f in hidden if f[:2] == (key, area_code(area))} for area in by_area}
        for key, by_area in tables.items()
    }


def prefixed(prefix: str, line: Line) -> Line:
    return Line((prefix, *line.total), tuple((prefix, *p) for p in line.parts), line.exact)


def same_lines(
    tables: Mapping[str, Mapping[str | None, CountTable]], values: Mapping[Key, int], same: Sequence[Same]
) -> list[Line]:
    """One line ``first = other`` per area for every pair of figures that count the same people."""
    found = []
    areas = list(dict.fromkeys(area for by_area in tables.values() for area in by_area))
    for figures_alike in same:
        for area in areas:
            present = [(k, area_code(area), *f) for k, f in figures_alike if (k, area_code(area), *f) in values]
            for first, other in pairwise(present):
                found.append(Line(first, (other,), exact=values[first] == values[other]))
    return found


def linked_figures(tables: Mapping[str | None, CountTable]) -> dict[Key, int]:
    """Every figure of every area's table as ``(area, row, column)``, area by area."""
    return {(area_code(area), *key): value for area, table in tables.items() for key, value in figures(table).items()}


def linked_lines(tables: Mapping[str | None, CountTable], values: Mapping[Key, int]) -> list[Line]:
    """Each area's own lines, and per region figure the line of the municipalities' same figures."""
    relations = []
    for area, table in tables.items():
        code = area_code(area)
        for line in lines(table, figures(table)):
            relations.append(Line((code, *line.total), tuple((code, *p) for p in line.parts), line.exact))
    if None not in tables:
        return relations
    municipalities = [area for area in tables if area is not None]
    for key in figures(tables[None]):
        total = (REGION, *key)
        parts = tuple((m, *key) for m in municipalities if (m, *key) in values)
        if parts:
            relations.append(Line(total, parts, exact=values[total] == sum(values[p] for p in parts)))
    return relations


def rate_table(statistic: Statistic) -> CountTable:
    """A rate's ``(part, rest)`` as a table: what the rate gives away to whoever knows its base."""
    part, rest = statistic.counts
    return CountTable(
        key=f"rate:{statistic.key}",
        title=statistic.title,
        row_label="",
        rows=("part", "rest"),
        counts={("part", SINGLE): part, ("rest", SINGLE): rest},
    )


def withheld_statistics(
    reports: Mapping[str | None, Report],
    threshold: int,
    hidden: Mapping[str | None, Mapping[str, set[Key]]],
    mirrors: Mirrors,
) -> dict[str | None, set[str]]:
    """Per area the keys of the statistics that would reveal a figure hidden by linked suppression."""
    first = next(iter(reports.values()))
    rates = [s.key for s in first.statistics if len(s.counts) == 2]
    rate_hidden = {
        key: linked_hidden({area: rate_table(r.statistic(key)) for area, r in reports.items()}, threshold)
        for key in rates
    }

    def withheld(area: str | None, key: str) -> bool:
        if key in rate_hidden:
            return bool(rate_hidden[key][area])
        if key in mirrors:
            table_key, figure = mirrors[key]
            return figure in hidden[area][table_key]
        return False

    return {area: {s.key for s in report.statistics if withheld(area, s.key)} for area, report in reports.items()}
