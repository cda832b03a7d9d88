"""Who sees which area, and the pure parts of the report builder (periods, participation tables)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError

from services.kit.access import Principal
from services.reporting.audience import READERS, resolve_area
from services.reporting.figures.participation import Person, participation_table
from services.reporting.periods import day_start, months_in, quarter_of
from services.reporting.tables import Period


def key(scope: str, municipality: str | None = None) -> Principal:
    return Principal("k1", "adviesraad", frozenset({scope}), municipality)


def test_a_key_without_municipality_may_ask_the_region_or_any_municipality() -> None:
    for scope in READERS:
        assert resolve_area(key(scope), None) is None
        assert resolve_area(key(scope), "GM0642") == "GM0642"


def test_a_key_of_one_municipality_sees_that_one_only() -> None:
    own = key("council", "GM0505")
    assert resolve_area(own, None) == "GM0505"
    assert resolve_area(own, "GM0505") == "GM0505"
    with pytest.raises(HTTPException) as refused:
        resolve_area(own, "GM0642")
    assert refused.value.status_code == 403
    assert "Dordrecht" in str(refused.value.detail) and "GM0505" in str(refused.value.detail)


def test_an_unknown_municipality_is_a_422_naming_the_field() -> None:
    for principal in (key("analyst"), key("analyst", "GM0505")):
        with pytest.raises(RequestValidationError) as refused:
            resolve_area(principal, "GM9999")
        [error] = refused.value.errors()
        assert error["loc"] == ("query", "municipality") and "GM9999" in error["msg"]


def test_months_and_quarters() -> None:
    assert months_in(Period(date(2025, 11, 15), date(2026, 2, 1))) == ("2025-11", "2025-12", "2026-01", "2026-02")
    assert quarter_of(date(2025, 2, 14)) == Period(date(2025, 1, 1), date(2025, 3, 31))
    assert quarter_of(date(2025, 12, 31)) == Period(date(2025, 10, 1), date(2025, 12, 31))
    # Days are Dutch days: midnight in Amsterdam is 23:00 UTC in winter.
    assert day_start(date(2025, 1, 1)).astimezone(UTC) == datetime(2024, 12, 31, 23, 0, tzinfo=UTC)


def test_a_participation_table_counts_each_person_once_per_column() -> None:
    groups = {
        "supported": [Person("18_26", ("wmo", "debts"), "GM0505"), Person(None, ("wmo",), "GM0505")],
        "took_part": [Person("18_26", ("debts",), "GM0642")],
    }
    table = participation_table(
        "representativeness_by_life_domain", "t", "r", ("wmo", "debts", "youth"), {}, groups, lambda p: p.life_domains
    )
    assert (table.count("wmo", "supported"), table.count("debts", "supported"), table.count("debts", "took_part")) == (
        2,
        1,
        1,
    )
    assert not table.additive
    assert dict(table.column_totals or {}) == {"supported": 2, "took_part": 1}
    assert table.total() == 3 and table.row_total("wmo") == 2 and table.row_total("youth") == 0
