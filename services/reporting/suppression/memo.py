"""A small bounded cache of linked suppression's decisions, keyed by exactly what the decision reads.

Linked suppression (:func:`~services.reporting.suppression.publish_linked`) solves up to two linear
programs per hidden figure: up to seconds of CPU for a quarter of the region. The dashboard and the quarterly report
ask for the same period again and again while its counts stay the same, so the decision (which figures
are hidden, which statistics withheld) is kept per exact input: every area in order, each table's key,
shape, additivity, ``people`` flag and every figure it shows, every statistic's key and counts, the
threshold, the mirrors and the figures that count the same people. A count that changes is another key,
so a cached decision is always the one a fresh computation gives. Decisions are immutable (frozen sets
in read-only mappings); the published reports are built anew from them on every call.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from threading import Lock
from types import MappingProxyType

from services.reporting.suppression.table import Key, figures
from services.reporting.tables import CountTable, Report

#: How many decisions the reporting process keeps (periods × thresholds in use at once).
CACHE_SIZE = 16


@dataclass(frozen=True)
class LinkedDecision:
    """What linked suppression decided: per area the hidden figures of every table, and the keys of the
    statistics to withhold."""

    hidden: Mapping[str | None, Mapping[str, frozenset[Key]]]
    withheld: Mapping[str | None, frozenset[str]]

    @classmethod
    def frozen(
        cls, hidden: Mapping[str | None, Mapping[str, set[Key]]], withheld: Mapping[str | None, set[str]]
    ) -> LinkedDecision:
        frozen_hidden = {
            area: MappingProxyType({k: frozenset(v) for k, v in by_key.items()}) for area, by_key in hidden.items()
        }
        return cls(
            MappingProxyType(frozen_hidden),
            MappingProxyType({area: frozenset(keys) for area, keys in withheld.items()}),
        )


def linked_inputs(
    reports: Mapping[str | None, Report],
    threshold: int,
    mirrors: Mapping[str, tuple[str, Key]],
    same: Sequence[Sequence[tuple[str, Key]]],
) -> Hashable:
    """A canonical, hashable form of everything linked suppression reads (order kept where it matters)."""
    return (
        threshold,
        tuple((key, (table_key, tuple(figure))) for key, (table_key, figure) in mirrors.items()),
        tuple(tuple((table_key, tuple(figure)) for table_key, figure in alike) for alike in same),
        tuple(
            (
                area,
                tuple(_table_inputs(t) for t in report.tables),
                tuple((s.key, tuple(s.counts)) for s in report.statistics),
            )
            for area, report in reports.items()
        ),
    )


def _table_inputs(table: CountTable) -> Hashable:
    return (
        table.key,
        tuple(table.rows),
        tuple(table.columns),
        table.additive,
        table.people,
        tuple(figures(table).items()),
    )


class Lru:
    """At most ``size`` decisions, the least recently used dropped first; safe across threads."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, LinkedDecision] = OrderedDict()
        self._lock = Lock()

    def get(self, key: Hashable, compute: Callable[[], LinkedDecision]) -> LinkedDecision:
        """The decision for ``key``, computed (outside the lock) when it is not kept."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        decision = compute()
        with self._lock:
            self._items[key] = decision
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return decision

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


#: The reporting process's decisions.
LINKED_DECISIONS = Lru()
