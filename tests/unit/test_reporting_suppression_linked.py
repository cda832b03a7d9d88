"""Linked suppression, tested by an attacker who reads the region's report and every municipality's.

The attacker sees every shown figure of every area's table, knows how each table adds up, and
knows that the region's figure is the sum of the municipalities' same figures (a municipality
whose table has no such row counts zero there), and reads the markers: ``<10`` is 1 to 9, ``×`` 10 or
more. With one linear program over all those reports the
attacker works out the range of every hidden figure. Linked suppression holds when every hidden
figure keeps at least two possible whole values.

The attacker is written independently of ``services.reporting.suppression``: it builds its
equations from the published tables only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import date

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from services.reporting.suppression import PublishedReport, cells, publish, publish_linked, suppress
from services.reporting.tables import SINGLE, TOTAL, CountTable, Period, PublishedTable, Report, Statistic
from tests.support.suppression import FAR, marker_range, published_figures, shown_figures

#: ``(area, row, column)``; the region's area is ``"R"`` here.
Figure = tuple[str, str, str]
Relation = list[tuple[Figure, float]]
PERIOD = Period(date(2026, 1, 1), date(2026, 3, 31))
REGION = "R"
ALBLASSERDAM, SLIEDRECHT, DORDRECHT = "GM0482", "GM0610", "GM0505"


# --- the attacker -----------------------------------------------------------------------------------


def table_relations(area: str, table: CountTable) -> list[Relation]:
    """How one additive table adds up: rows to row totals, columns to column totals, totals to the grand total."""

    def adds_up(total: tuple[str, str], parts: list[tuple[str, str]]) -> Relation:
        return [*(((area, *p), 1.0) for p in parts), ((area, *total), -1.0)]

    if table.columns == (SINGLE,):
        if not table.additive and table.total() != sum(table.count(r) for r in table.rows):
            return []  # a question with several life domains: see ``non_additive_bounds``
        return [adds_up((TOTAL, SINGLE), [(r, SINGLE) for r in table.rows])]
    found = [adds_up((r, TOTAL), [(r, c) for c in table.columns]) for r in table.rows]
    found += [adds_up((TOTAL, c), [(r, c) for r in table.rows]) for c in table.columns]
    found.append(adds_up((TOTAL, TOTAL), [(r, TOTAL) for r in table.rows]))
    found.append(adds_up((TOTAL, TOTAL), [(TOTAL, c) for c in table.columns]))
    return found


def non_additive_bounds(area: str, table: CountTable) -> list[Relation]:
    """``sum(...) <= 0`` rows of a one-dimensional non-additive table whose rows do not add up to its total:
    every row is at most the total, and the total at most the sum of the rows."""
    if table.columns != (SINGLE,) or table.additive or table.total() == sum(table.count(r) for r in table.rows):
        return []  # a two-dimensional table here has one category per person: its lines add up
    total = (area, TOTAL, SINGLE)
    found: list[Relation] = [[((area, r, SINGLE), 1.0), (total, -1.0)] for r in table.rows]
    found.append([(total, 1.0), *(((area, r, SINGLE), -1.0) for r in table.rows)])
    return found


def attack(
    published: Mapping[str | None, PublishedTable],
    *others: Mapping[str | None, PublishedTable],
    same_totals: bool = False,
    same_as: tuple[str, str] = (TOTAL, SINGLE),
) -> dict[Figure, tuple[float, float]]:
    """The range of every hidden figure given every area's published tables (region = sum of the municipalities).

    With ``others`` (more tables of the same areas; figures then carry the table's place in front of
    the area) and ``same_totals``, the attacker also knows those tables count the same people: the first
    table's total equals the figure ``same_as`` of every other table (its total by default).
    """
    seen: dict[Figure, int | None] = {}
    markers: dict[Figure, tuple[float, float]] = {}
    truth: dict[Figure, int | None] = {}
    relations: list[Relation] = []
    bounds: list[Relation] = []
    for place, tables in enumerate((published, *others)):
        prefix = str(place) if others else ""
        for area, table in tables.items():
            code = prefix + (area or REGION)
            seen.update({(code, *key): value for key, value in published_figures(table).items()})
            truth.update({(code, *k): v for k, v in published_figures(suppress_nothing(table.table)).items()})
            markers.update({(code, *k): marker_range(f) for k, f in shown_figures(table).items() if f.suppressed})
            relations += table_relations(code, table.table)
            bounds += non_additive_bounds(code, table.table)
        municipalities = [area for area in tables if area is not None]
        for key in published_figures(tables[None]):
            parts = [(prefix + m, *key) for m in municipalities if (prefix + m, *key) in seen]
            relations.append([*((p, 1.0) for p in parts), ((prefix + REGION, *key), -1.0)])
        if place and same_totals:
            for area in tables:
                code = area or REGION
                relations.append([(("0" + code, TOTAL, SINGLE), 1.0), ((prefix + code, *same_as), -1.0)])
    unknown = [figure for figure, value in seen.items() if value is None]
    index = {figure: i for i, figure in enumerate(unknown)}

    def matrix(found: list[Relation], equal: bool) -> tuple[np.ndarray | None, np.ndarray | None]:
        rows, constants = [], []
        for relation in found:
            coefficients = np.zeros(len(unknown))
            constant = 0.0
            for figure, sign in relation:
                value = seen[figure]
                if value is None:
                    coefficients[index[figure]] += sign
                else:
                    constant -= sign * value
            if coefficients.any():
                rows.append(coefficients)
                constants.append(constant)
            else:
                assert abs(constant) < 1e-9 if equal else constant >= -1e-9, f"shown figures disagree: {relation}"
        return (np.array(rows), np.array(constants)) if rows else (None, None)

    a_eq, b_eq = matrix(relations, equal=True)
    a_ub, b_ub = matrix(bounds, equal=False)
    limits = [markers[f] for f in unknown]
    if any(truth[f] == 0 for f in unknown):  # a zero was hidden as "<10": nobody can tell it from a small count
        limits = [(0, high) if low == 1 else (low, high) for low, high in limits]
    ranges = {}
    for figure in unknown:
        objective = np.zeros(len(unknown))
        objective[index[figure]] = 1.0
        ends = []
        for sign in (1.0, -1.0):
            result = linprog(
                sign * objective,
                A_eq=a_eq,
                b_eq=b_eq,
                A_ub=a_ub,
                b_ub=b_ub,
                bounds=limits,
                method="highs",
            )
            assert result.status == 0, result.message  # the true counts are always feasible
            optimum = sign * result.fun
            ends.append(math.inf if optimum > FAR - 1 else optimum)
        ranges[figure] = (ends[0], ends[1])
    return ranges


def whole_values(low: float, high: float) -> float:
    """How many whole numbers lie in ``[low, high]``."""
    return math.inf if math.isinf(high) else math.floor(high + 1e-6) - math.ceil(low - 1e-6) + 1


def assert_safe(
    tables: Mapping[str | None, CountTable], published: Mapping[str | None, PublishedTable], t: int
) -> None:
    """No small count shown anywhere, shown counts true, no hidden figure pinned by all reports together."""
    for area, table in published.items():
        truth = published_figures(suppress_nothing(tables[area]))
        for key, value in published_figures(table).items():
            if value is None:
                assert truth[key] or shown_figures(table)[key].display == f"<{t}", f"{area} {key}: a zero is hidden"
                continue
            assert value == truth[key] and not 0 < value < t, f"{area} {key}: shows {value}"
    for figure, (low, high) in attack(published).items():
        assert whole_values(low, high) >= 2, f"{figure} is pinned to [{low}, {high}]"


def suppress_nothing(table: CountTable) -> PublishedTable:
    """The table with every figure shown: the truth, in the shape of a published table."""
    return suppress(table, 1)


# --- building reports ---------------------------------------------------------------------------------


def region_of(tables: Mapping[str, CountTable], rows: tuple[str, ...], columns: tuple[str, ...]) -> CountTable:
    counts: dict[tuple[str, str], int] = {}
    for table in tables.values():
        for key, n in table.counts.items():
            counts[key] = counts.get(key, 0) + n
    return CountTable(key="t", title="Test", row_label="rij", rows=rows, columns=columns, counts=counts)


def report(area: str | None, *tables: CountTable, statistics: tuple[Statistic, ...] = ()) -> Report:
    return Report(area, PERIOD, tables, statistics)


def linked_tables(
    reports: Mapping[str | None, Report], threshold: int, key: str = "t"
) -> dict[str | None, PublishedTable]:
    return {area: p.table(key) for area, p in publish_linked(reports, threshold).items()}


counts = st.one_of(st.integers(0, 12), st.integers(0, 12), st.integers(0, 60))


@st.composite
def areas(draw: st.DrawFn) -> dict[str | None, CountTable]:
    """2–7 municipalities with tables of the same rows and columns, and the region's sum of them."""
    municipalities = [f"GM{i:04d}" for i in range(draw(st.integers(2, 7)))]
    rows = tuple(f"r{i}" for i in range(draw(st.integers(1, 4))))
    width = draw(st.integers(1, 3))
    columns = (SINGLE,) if width == 1 else tuple(f"c{j}" for j in range(width))
    tables = {
        m: CountTable(
            key="t",
            title="Test",
            row_label="rij",
            rows=rows,
            columns=columns,
            counts={(r, c): n for r in rows for c in columns if (n := draw(counts))},
        )
        for m in municipalities
    }
    return {None: region_of(tables, rows, columns), **tables}


@st.composite
def per_municipality(draw: st.DrawFn) -> dict[str | None, CountTable]:
    """The region's table per municipality, and each municipality's own one-row table."""
    municipalities = tuple(f"GM{i:04d}" for i in range(draw(st.integers(2, 7))))
    tables = {
        m: CountTable(key="t", title="Test", row_label="gemeente", rows=(m,), counts={(m, SINGLE): draw(counts)})
        for m in municipalities
    }
    return {None: region_of(tables, municipalities, (SINGLE,)), **tables}


@st.composite
def life_domains(draw: st.DrawFn) -> dict[str | None, CountTable]:
    """Questions per life domain (one question may have several): per municipality and the region's sum."""
    municipalities = [f"GM{i:04d}" for i in range(draw(st.integers(2, 6)))]
    rows = tuple(f"d{i}" for i in range(draw(st.integers(2, 4))))

    def table(counts: dict[str, int], total: int) -> CountTable:
        return CountTable(
            key="t",
            title="Per leefgebied",
            row_label="leefgebied",
            rows=rows,
            counts={(r, SINGLE): n for r, n in counts.items() if n},
            additive=False,
            row_totals=counts,
            column_totals={SINGLE: total},
            grand_total=total,
        )

    tables = {}
    for m in municipalities:
        per_row = {r: draw(counts) for r in rows}
        tables[m] = table(per_row, draw(st.integers(max(per_row.values()), sum(per_row.values()))))
    summed = {r: sum(t.count(r) for t in tables.values()) for r in rows}
    return {None: table(summed, sum(t.total() for t in tables.values())), **tables}


# --- properties -----------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=areas(), threshold=st.sampled_from([5, 10]))
def test_no_hidden_count_can_be_worked_out_from_all_reports_together(
    tables: dict[str | None, CountTable], threshold: int
) -> None:
    published = linked_tables({area: report(area, t) for area, t in tables.items()}, threshold)
    assert_safe(tables, published, threshold)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=per_municipality(), threshold=st.sampled_from([5, 10]))
def test_a_municipality_hidden_in_the_region_stays_hidden_in_its_own_report(
    tables: dict[str | None, CountTable], threshold: int
) -> None:
    published = linked_tables({area: report(area, t) for area, t in tables.items()}, threshold)
    assert_safe(tables, published, threshold)
    for area in (a for a in tables if a is not None):
        own, in_region = published[area].cell(area), published[None].cell(area)
        assert own.suppressed == in_region.suppressed == published[area].total.suppressed


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=life_domains(), threshold=st.sampled_from([5, 10]))
def test_non_additive_tables_are_safe_across_areas(tables: dict[str | None, CountTable], threshold: int) -> None:
    """A question with several life domains counts in each: within an area the rows only bound the total,
    across areas every figure still adds up (a question belongs to one municipality)."""
    published = linked_tables({area: report(area, t) for area, t in tables.items()}, threshold)
    assert_safe(tables, published, threshold)


# --- the example of the brief ---------------------------------------------------------------------


def example() -> dict[str | None, CountTable]:
    """Alblasserdam 3, Sliedrecht 12, Dordrecht 40 questions."""
    tables = {
        m: CountTable(key="t", title="Per gemeente", row_label="gemeente", rows=(m,), counts={(m, SINGLE): n})
        for m, n in ((ALBLASSERDAM, 3), (SLIEDRECHT, 12), (DORDRECHT, 40))
    }
    return {None: region_of(tables, (ALBLASSERDAM, SLIEDRECHT, DORDRECHT), (SINGLE,)), **tables}


def test_each_table_on_its_own_lets_the_region_and_sliedrecht_give_alblasserdam_away() -> None:
    """Why linking is needed: suppressed one by one, Sliedrecht's own report shows the 12 the region hides."""
    tables = example()
    alone = {area: suppress(t, 10) for area, t in tables.items()}
    assert alone[None].cell(ALBLASSERDAM).suppressed and alone[None].cell(SLIEDRECHT).suppressed
    assert alone[SLIEDRECHT].cell(SLIEDRECHT).value == 12
    ranges = attack(alone)
    assert ranges[(REGION, ALBLASSERDAM, SINGLE)] == (3, 3)


def test_linked_the_region_and_sliedrecht_cannot_be_combined() -> None:
    tables = example()
    published = linked_tables({area: report(area, t) for area, t in tables.items()}, 10)
    assert published[None].cell(ALBLASSERDAM).suppressed
    assert published[SLIEDRECHT].cell(SLIEDRECHT).suppressed  # hidden in its own report too
    assert published[SLIEDRECHT].total.suppressed
    assert published[DORDRECHT].cell(DORDRECHT).value == 40
    assert_safe(tables, published, 10)


def test_category_tables_of_the_municipalities_add_up_to_the_region() -> None:
    """By life domain: hidden in one municipality, the others' figures and the region's must not give it away."""
    rows = ("wmo", "debts")
    shape = {"rows": rows, "columns": (SINGLE,), "key": "t", "title": "Per leefgebied", "row_label": "leefgebied"}
    tables = {
        ALBLASSERDAM: CountTable(counts={("wmo", SINGLE): 20, ("debts", SINGLE): 3}, **shape),  # type: ignore[arg-type]
        SLIEDRECHT: CountTable(counts={("wmo", SINGLE): 30, ("debts", SINGLE): 15}, **shape),  # type: ignore[arg-type]
    }
    region: dict[str | None, CountTable] = {None: region_of(tables, rows, (SINGLE,)), **tables}
    published = linked_tables({area: report(area, t) for area, t in region.items()}, 10)
    assert published[ALBLASSERDAM].cell("debts").suppressed
    hidden_elsewhere = [published[SLIEDRECHT].cell("debts").suppressed, published[None].cell("debts").suppressed]
    assert any(hidden_elsewhere)
    assert_safe(region, published, 10)


def test_tables_that_count_the_same_people_are_suppressed_as_one() -> None:
    """Dordrecht 35 and Alblasserdam 2 questions, by month and by municipality: the region's 37 in one table
    and Dordrecht's 35 in the other would give Alblasserdam's 2 away."""
    months = ("2026-04", "2026-05")
    by_month = {
        DORDRECHT: {("2026-04", SINGLE): 15, ("2026-05", SINGLE): 20},
        ALBLASSERDAM: {("2026-04", SINGLE): 2},
    }
    month_tables = {
        m: CountTable(key="month", title="Per maand", row_label="maand", rows=months, counts=c)
        for m, c in by_month.items()
    }
    places = {
        m: CountTable(key="t", title="Per gemeente", row_label="gemeente", rows=(m,), counts={(m, SINGLE): n})
        for m, n in ((DORDRECHT, 35), (ALBLASSERDAM, 2))
    }
    month_region = region_of(month_tables, months, (SINGLE,))
    month_all: dict[str | None, CountTable] = {None: replace(month_region, key="month"), **month_tables}
    place_all: dict[str | None, CountTable] = {None: region_of(places, (DORDRECHT, ALBLASSERDAM), (SINGLE,)), **places}
    reports = {area: report(area, month_all[area], place_all[area]) for area in month_all}
    same = [(("month", (TOTAL, SINGLE)), ("t", (TOTAL, SINGLE)))]
    published = publish_linked(reports, 10, same=same)
    month_shown = {area: p.table("month") for area, p in published.items()}
    place_shown = {area: p.table("t") for area, p in published.items()}
    for area in published:
        assert month_shown[area].total.suppressed == place_shown[area].total.suppressed
    for figure, (low, high) in attack(month_shown, place_shown, same_totals=True).items():
        assert whole_values(low, high) >= 2, f"{figure} is pinned to [{low}, {high}]"
    assert place_shown[None].total.value == 37 and month_shown[DORDRECHT].total.suppressed


# --- statistics -------------------------------------------------------------------------------------


def rate(part: int, rest: int) -> Statistic:
    return Statistic("consultation_rate", "Naar overleg", round(100 * part / (part + rest), 1), (part, rest), "%")


def test_a_rate_that_would_give_away_a_hidden_part_is_withheld() -> None:
    """Alblasserdam's rate is hidden (3 of 20); the region's and Sliedrecht's rates with their bases would
    give Alblasserdam's 3 away, so one of them is withheld as well."""
    parts = {ALBLASSERDAM: (3, 17), SLIEDRECHT: (40, 60)}
    reports: dict[str | None, Report] = {
        None: report(None, statistics=(rate(43, 77),)),
        **{m: report(m, statistics=(rate(*p),)) for m, p in parts.items()},
    }
    published = publish_linked(reports, 10)
    hidden = {area: p.report.statistic("consultation_rate").hidden(10) for area, p in published.items()}
    assert hidden[ALBLASSERDAM]
    assert hidden[None] or hidden[SLIEDRECHT]
    assert not all(hidden.values())  # the smallest part goes, not everything


def test_a_statistic_that_is_a_table_figure_is_withheld_with_it() -> None:
    tables = example()
    mirrors = {"questions": ("t", (TOTAL, SINGLE))}
    reports = {
        area: report(area, t, statistics=(Statistic("questions", "Vragen", float(t.total()), (t.total(),)),))
        for area, t in tables.items()
    }
    published = publish_linked(reports, 10, mirrors)
    sliedrecht = published[SLIEDRECHT]
    # Sliedrecht's 12 is hidden only so that Alblasserdam's 3 cannot be worked out: "×", not an untrue "<10".
    assert sliedrecht.table("t").total.suppressed and sliedrecht.statistic_display("questions") == "×"
    assert published[DORDRECHT].statistic_display("questions") == "40"
    exported = {(c.table, c.row): c for c in cells(sliedrecht)}
    assert exported[("statistics", "questions")].suppressed and exported[("statistics", "questions")].value is None


def test_linked_reports_keep_order_threshold_and_the_single_area_rules() -> None:
    tables = example()
    published = publish_linked({area: report(area, t) for area, t in tables.items()}, 10)
    assert list(published) == list(tables)
    assert all(isinstance(p, PublishedReport) and p.threshold == 10 for p in published.values())
    alone = publish(report(DORDRECHT, tables[DORDRECHT]), 10)
    assert published[DORDRECHT].table("t").cells == alone.table("t").cells  # nothing small: shown alike


# --- the demo's fourth quarter: cost-based choice of secondary figures ------------------------------------

CHANNELS = ("web", "phone", "walk_in", "partner")
AGE_BANDS = ("18_26", "27_44", "45_66", "67_plus")
#: Per municipality: questions by channel and by age band, and residents who took part by age band.
DEMO_QUARTER = {
    "GM0505": ((0, 30, 25, 40), (20, 30, 35, 10), (1, 0, 1, 0)),
    "GM0642": ((0, 6, 12, 21), (8, 11, 14, 6), (0, 1, 0, 0)),
    "GM0590": ((0, 7, 14, 18), (9, 10, 13, 7), (0, 0, 1, 1)),
    "GM0610": ((0, 5, 9, 20), (7, 9, 12, 6), (0, 0, 0, 0)),
    "GM0482": ((0, 8, 11, 17), (6, 12, 11, 7), (1, 0, 0, 0)),
    "GM0531": ((0, 6, 10, 16), (7, 9, 10, 6), (0, 0, 0, 1)),
    "GM1978": ((0, 26, 8, 15), (10, 14, 15, 10), (0, 1, 0, 0)),
}


def channel_table(counts: tuple[int, ...]) -> CountTable:
    return CountTable(
        key="questions_by_channel",
        title="Vragen per kanaal",
        row_label="Kanaal",
        rows=CHANNELS,
        counts={(c, SINGLE): n for c, n in zip(CHANNELS, counts, strict=True) if n},
    )


def participation(supported: tuple[int, ...], took_part: tuple[int, ...]) -> CountTable:
    """Questions and residents who took part by age band (one band each, so the lines add up)."""
    counts = {(band, "supported"): n for band, n in zip(AGE_BANDS, supported, strict=True) if n}
    counts |= {(band, "took_part"): n for band, n in zip(AGE_BANDS, took_part, strict=True) if n}
    columns = {"supported": sum(supported), "took_part": sum(took_part)}
    return CountTable(
        key="representativeness_by_age_band",
        title="Wie deden mee, naar leeftijd",
        row_label="Leeftijd",
        rows=AGE_BANDS,
        columns=("supported", "took_part"),
        counts=counts,
        additive=False,
        row_totals={b: s + t for b, s, t in zip(AGE_BANDS, supported, took_part, strict=True)},
        column_totals=columns,
        grand_total=sum(columns.values()),
    )


def summed(rows: list[tuple[int, ...]]) -> tuple[int, ...]:
    return tuple(sum(column) for column in zip(*rows, strict=True))


def test_the_region_keeps_its_totals_and_phone_figure_while_the_municipalities_carry_the_hiding() -> None:
    """Five municipalities with 5–8 phone questions, few residents who took part anywhere, and the number of
    complete questions shown both as the channel table's total and the participation table's "supported"
    total. Hiding by value alone hid the region's 88 phone questions and its total behind "<10"; by cost the
    region shows them, and every hidden figure carries the marker of what it is."""
    from services.reporting.report import SAME_COUNTS

    for channels, supported, _ in DEMO_QUARTER.values():
        assert sum(channels) == sum(supported)
    region_row = (summed([c for c, _, _ in DEMO_QUARTER.values()]),)
    region_parts = (summed([s for _, s, _ in DEMO_QUARTER.values()]), summed([t for _, _, t in DEMO_QUARTER.values()]))
    channels = {None: channel_table(*region_row), **{m: channel_table(c) for m, (c, _, _) in DEMO_QUARTER.items()}}
    ages = {None: participation(*region_parts), **{m: participation(s, t) for m, (_, s, t) in DEMO_QUARTER.items()}}
    reports = {area: report(area, channels[area], ages[area]) for area in channels}

    published = publish_linked(reports, 10, same=SAME_COUNTS)

    by_channel = {area: p.table("questions_by_channel") for area, p in published.items()}
    by_age = {area: p.table("representativeness_by_age_band") for area, p in published.items()}
    region = by_channel[None]
    assert region.cell("phone").value == 88 and region.total.value == 324
    assert [region.cell(c).display for c in CHANNELS] == ["0", "88", "89", "147"]
    assert by_age[None].column_totals["supported"].value == 324  # the same count, shown alike
    assert by_age[None].column_totals["took_part"].display == "<10"  # 8 took part in the region
    small_phones = [m for m, (c, _, _) in DEMO_QUARTER.items() if 0 < c[1] < 10]
    assert len(small_phones) == 5
    for m in small_phones:
        assert by_channel[m].cell("phone").display == "<10"
    for tables in (by_channel, by_age):
        for area, pt in tables.items():
            for figure, shown in shown_figures(pt).items():
                if shown.suppressed:  # "<10" only for a small count, "×" for one hidden beside it
                    truth = published_figures(suppress_nothing(pt.table))[figure]
                    assert shown.display == ("<10" if truth and truth < 10 else "×"), (area, figure, truth)
    ranges = attack(by_channel, by_age, same_totals=True, same_as=(TOTAL, "supported"))
    for figure, (low, high) in ranges.items():
        assert whole_values(low, high) >= 2, f"{figure} is pinned to [{low}, {high}]"
