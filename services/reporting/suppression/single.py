"""Suppression of one table (or any set of figures and their lines): primary suppression of small counts,
then secondary suppression until no hidden figure can be worked out, choosing what to hide by cost.
See "Primary suppression", "Secondary suppression" and "Cost" in :mod:`services.reporting.suppression`."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from services.reporting.suppression.attacker import first_pinned
from services.reporting.suppression.table import (
    REGION,
    Key,
    Line,
    PublishedReport,
    check_threshold,
    figures,
    lines,
    small,
    with_hidden,
)
from services.reporting.tables import TOTAL, CountTable, PublishedTable, Report


def publish(report: Report, threshold: int) -> PublishedReport:
    """Suppress every table of ``report`` (statistics hide themselves, see ``Statistic.display``)."""
    check_threshold(threshold)
    return PublishedReport(report, tuple(suppress(t, threshold) for t in report.tables), threshold)


def suppress(table: CountTable, threshold: int) -> PublishedTable:
    """``table`` as it may be shown: small counts hidden, and whatever would reveal them."""
    check_threshold(threshold)
    values = figures(table)
    return with_hidden(table, hidden_figures(table, values, threshold) if table.people else set(), threshold)


def cost(key: Key, shared: Collection[Key] = ()) -> tuple[int, ...]:
    """The cost tier of hiding ``key`` (its value breaks ties): a municipality's figure before the region's;
    then a figure that is not also shown in another table (``shared``: hiding it hides it there too, e.g. the
    number of questions) before one that is; then a cell before a row or column total, those before a grand
    total.

    ``key`` is ``(row, column)``, or in linked suppression ``(..., area, row, column)``.
    """
    in_region = len(key) >= 3 and key[-3] == REGION
    return (int(in_region), int(key in shared), key[-2:].count(TOTAL))


def hidden_figures(table: CountTable, values: Mapping[Key, int], threshold: int) -> set[Key]:
    """Primary suppression, then secondary until no hidden figure can be worked out."""
    return hidden_in(lines(table, values), values, threshold)


def hidden_in(
    relations: Sequence[Line], values: Mapping[Key, int], threshold: int, shared: Collection[Key] = frozenset()
) -> set[Key]:
    """:func:`hidden_figures` for any set of figures and the relations between them (``shared``: figures
    that other tables show too, see :func:`cost`)."""
    order = {key: index for index, key in enumerate(values)}
    hidden = {key for key, value in values.items() if small(value, threshold)}
    hide_second_in_lines(relations, values, hidden, order, shared)
    settled: set[Key] = set()
    seen: dict[Key, tuple[float, float]] = {}
    while (pinned := first_pinned(relations, values, hidden, settled, threshold, seen)) is not None:
        if len(hidden) == len(values):
            break  # the markers alone pin it (four parts "<5" of a total "<5", no zero beside them): see above
        hidden.add(extra_for(pinned, relations, values, hidden, order, shared))
        hide_second_in_lines(relations, values, hidden, order, shared)
    return hidden


def hide_second_in_lines(
    relations: Sequence[Line],
    values: Mapping[Key, int],
    hidden: set[Key],
    order: Mapping[Key, int],
    shared: Collection[Key] = frozenset(),
) -> None:
    """Every exact line holding one hidden figure gets a second one, until stable (changes ``hidden``)."""
    changed = True
    while changed:
        changed = False
        for line in relations:
            if not line.exact or sum(m in hidden for m in line.members) != 1:
                continue
            hidden.add(_smallest_shown(line.members, values, hidden, order, relations, shared))
            changed = True


def _smallest_shown(
    candidates: Iterable[Key],
    values: Mapping[Key, int],
    hidden: set[Key],
    order: Mapping[Key, int],
    relations: Sequence[Line],
    shared: Collection[Key] = frozenset(),
) -> Key:
    """The shown non-zero figure to hide next: the cheapest tier (:func:`cost`), in it the smallest; on a tie,
    one that also completes another line holding a single hidden figure; then the first in table order."""
    shown = [k for k in candidates if k not in hidden]
    options = [k for k in shown if values[k] > 0] or shown  # a zero only beside a hidden zero
    if not options:
        raise ValueError("no figure left to hide")  # impossible: a line with a hidden count has a non-zero total

    def lonely_lines(key: Key) -> int:
        return sum(1 for line in relations if key in line.members and sum(m in hidden for m in line.members) == 1)

    def cheapness(key: Key) -> tuple[int, ...]:
        return (*cost(key, shared), values[key])

    # The lonely lines only break ties (counting them for every option is most of the work here).
    cheapest = min(cheapness(k) for k in options)
    tied = [k for k in options if cheapness(k) == cheapest]
    return min(tied, key=lambda k: (-lonely_lines(k), order[k]))


def extra_for(
    pinned: Key,
    relations: Sequence[Line],
    values: Mapping[Key, int],
    hidden: set[Key],
    order: Mapping[Key, int],
    shared: Collection[Key] = frozenset(),
) -> Key:
    """The figure to hide so that ``pinned`` can no longer be worked out: the cheapest shown one in a
    line of ``pinned``, or, if those lines are fully hidden, the cheapest shown one of all."""
    near = [m for line in relations if pinned in line.members for m in line.members]
    if any(k not in hidden and values[k] > 0 for k in near):
        return _smallest_shown(near, values, hidden, order, relations, shared)
    if any(k not in hidden and values[k] > 0 for k in values):
        return _smallest_shown(values, values, hidden, order, relations, shared)
    zeros = [k for k in (*near, *values) if k not in hidden]
    return min(zeros, key=lambda k: (*cost(k, shared), order[k]))  # the caller stops when all are hidden
