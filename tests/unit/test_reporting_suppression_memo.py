"""The cache of linked suppression's decisions: a repeat of the same inputs solves no linear program, any
changed count is decided anew, and what is published is exactly what an uncached computation publishes
(compared with the computation as it was before the cache, written out here)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.reporting.report import SAME_COUNTS
from services.reporting.suppression import PublishedReport, attacker, memo, publish_linked
from services.reporting.suppression.linked import linked_hidden, linked_hidden_together, rate_table, table_groups
from services.reporting.suppression.memo import LinkedDecision, Lru
from services.reporting.suppression.table import Key, with_hidden
from services.reporting.tables import TOTAL, CountTable, Report, Statistic
from tests.unit.test_reporting_suppression_linked import (
    DEMO_QUARTER,
    areas,
    channel_table,
    example,
    life_domains,
    participation,
    rate,
    report,
    summed,
)


def uncached(
    reports: Mapping[str | None, Report],
    threshold: int,
    mirrors: Mapping[str, tuple[str, Key]] | None = None,
    same: Sequence[Any] = (),
) -> dict[str | None, PublishedReport]:
    """``publish_linked`` as it was before the cache."""
    first = next(iter(reports.values()))
    hidden: dict[str | None, dict[str, set[Key]]] = {area: {} for area in reports}
    for group in table_groups([t.key for t in first.tables], same):
        tables = {key: {area: r.table(key) for area, r in reports.items()} for key in group}
        for table_key, by_area in linked_hidden_together(tables, threshold, same).items():
            for area, found in by_area.items():
                hidden[area][table_key] = found
    mirrors = mirrors or {}
    rates = [s.key for s in first.statistics if len(s.counts) == 2]
    rate_hidden = {
        key: linked_hidden({area: rate_table(r.statistic(key)) for area, r in reports.items()}, threshold)
        for key in rates
    }

    def withheld(area: str | None, statistic: Statistic) -> bool:
        if statistic.key in rate_hidden:
            return bool(rate_hidden[statistic.key][area])
        if statistic.key in mirrors:
            table_key, figure = mirrors[statistic.key]
            return figure in hidden[area][table_key]
        return False

    return {
        area: PublishedReport(
            replace(r, statistics=tuple(replace(s, withheld=True) if withheld(area, s) else s for s in r.statistics)),
            tuple(with_hidden(t, hidden[area][t.key], threshold) for t in r.tables),
            threshold,
        )
        for area, r in reports.items()
    }


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    memo.LINKED_DECISIONS.clear()
    yield
    memo.LINKED_DECISIONS.clear()


@pytest.fixture
def solves(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the attacker's linear programs (one entry per solve)."""
    calls: list[int] = []
    real = attacker.linprog

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(attacker, "linprog", counted)
    return calls


def demo_quarter(phone_in_dordrecht: int = 30) -> dict[str | None, Report]:
    """The demo's fourth quarter (channels and participation, linked by ``SAME_COUNTS``), with statistics."""
    quarter = dict(DEMO_QUARTER)
    channels, supported, took_part = quarter["GM0505"]
    quarter["GM0505"] = (
        (0, phone_in_dordrecht, *channels[2:]),
        (supported[0] + phone_in_dordrecht - 30, *supported[1:]),
        took_part,
    )
    region = (summed([c for c, _, _ in quarter.values()]), summed([s for _, s, _ in quarter.values()]))
    region_took_part = summed([t for _, _, t in quarter.values()])
    channel = {None: channel_table(region[0]), **{m: channel_table(c) for m, (c, _, _) in quarter.items()}}
    ages = {
        None: participation(region[1], region_took_part),
        **{m: participation(s, t) for m, (_, s, t) in quarter.items()},
    }

    def statistics(area: str | None) -> tuple[Statistic, ...]:
        total = channel[area].total()
        phone = channel[area].count("phone")
        return (rate(phone, total - phone), Statistic("questions", "Vragen", float(total), (total,)))

    return {area: report(area, channel[area], ages[area], statistics=statistics(area)) for area in channel}


MIRRORS = {"questions": ("questions_by_channel", (TOTAL, "n"))}


def test_the_same_inputs_again_solve_nothing_and_publish_the_same(solves: list[int]) -> None:
    reports = demo_quarter()
    first = publish_linked(reports, 10, MIRRORS, SAME_COUNTS)
    solved = len(solves)
    assert solved > 0 and len(memo.LINKED_DECISIONS) == 1
    again = publish_linked(demo_quarter(), 10, MIRRORS, SAME_COUNTS)  # equal inputs, other objects
    assert len(solves) == solved
    assert again == first == uncached(reports, 10, MIRRORS, SAME_COUNTS)


def test_one_count_changed_is_decided_anew(solves: list[int]) -> None:
    publish_linked(demo_quarter(), 10, MIRRORS, SAME_COUNTS)
    solved = len(solves)
    changed = demo_quarter(phone_in_dordrecht=31)
    published = publish_linked(changed, 10, MIRRORS, SAME_COUNTS)
    assert len(solves) > solved and len(memo.LINKED_DECISIONS) == 2
    assert published == uncached(changed, 10, MIRRORS, SAME_COUNTS)
    assert published[None].table("questions_by_channel").cell("phone").value == 89


def test_another_threshold_mirror_or_link_is_another_decision(solves: list[int]) -> None:
    reports = demo_quarter()
    for threshold, mirrors, same in (
        (10, MIRRORS, SAME_COUNTS),
        (5, MIRRORS, SAME_COUNTS),
        (10, None, SAME_COUNTS),
        (10, MIRRORS, ()),
    ):
        assert publish_linked(reports, threshold, mirrors, same) == uncached(reports, threshold, mirrors, same)
    assert len(memo.LINKED_DECISIONS) == 4


def test_a_caller_cannot_change_a_cached_decision() -> None:
    reports = demo_quarter()
    first = publish_linked(reports, 10, MIRRORS, SAME_COUNTS)
    cells = first[None].table("questions_by_channel").cells
    assert isinstance(cells, dict)
    cells.clear()  # the caller's own copy
    again = publish_linked(reports, 10, MIRRORS, SAME_COUNTS)
    assert again == uncached(reports, 10, MIRRORS, SAME_COUNTS)
    assert again[None].table("questions_by_channel") is not first[None].table("questions_by_channel")
    (decision,) = memo.LINKED_DECISIONS._items.values()
    with pytest.raises(TypeError):
        decision.hidden[None] = {}  # type: ignore[index]
    assert all(isinstance(found, frozenset) for by_key in decision.hidden.values() for found in by_key.values())


def test_the_cache_keeps_the_most_recently_used() -> None:
    cache = Lru(size=2)
    made: list[str] = []

    def decision(name: str) -> LinkedDecision:
        made.append(name)
        return LinkedDecision.frozen({}, {})

    for name in ("a", "b", "a", "c", "a", "b"):
        cache.get(name, lambda name=name: decision(name))  # type: ignore[misc]
    assert made == ["a", "b", "c", "b"] and len(cache) == 2


def test_the_example_with_a_mirrored_statistic_is_published_as_before() -> None:
    tables = example()
    reports = {
        area: report(area, t, statistics=(Statistic("questions", "Vragen", float(t.total()), (t.total(),)),))
        for area, t in tables.items()
    }
    mirrors = {"questions": ("t", (TOTAL, "n"))}
    assert publish_linked(reports, 10, mirrors) == uncached(reports, 10, mirrors)
    assert publish_linked(reports, 10, mirrors) == uncached(reports, 10, mirrors)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=st.one_of(areas(), life_domains()), threshold=st.sampled_from([5, 10]))
def test_random_tables_are_published_as_before_cold_and_warm(
    tables: dict[str | None, CountTable], threshold: int
) -> None:
    reports = {area: report(area, t) for area, t in tables.items()}
    expected = uncached(reports, threshold)
    assert publish_linked(reports, threshold) == expected
    assert publish_linked(reports, threshold) == expected
