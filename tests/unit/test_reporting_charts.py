"""The dashboard's SVG charts: well-formed, accessible, proportional, and never revealing a suppressed value."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from services.reporting import charts
from services.reporting.charts import Bar, Pair, Stack
from services.reporting.tables import Shown, Statistic

SVG = "{http://www.w3.org/2000/svg}"
THRESHOLD = 10


def approx(value: float) -> object:
    """Coordinates are written with one decimal."""
    return pytest.approx(value, abs=0.2)


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own markup
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    return root


def bars_of(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if "bar" in (r.get("class") or "").split()]


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_a_bar_chart_is_well_formed_titled_and_its_bars_are_proportional() -> None:
    bars = [charts.shown_bar(m, Shown(v)) for m, v in (("jul", 40), ("aug", 20), ("sep", 30))]
    root = parse(charts.bar_chart("vragen", "Vragen per maand <juli–sept>", bars, THRESHOLD))
    assert root.findtext(f"{SVG}title") == "Vragen per maand <juli–sept>"
    assert root.get("aria-label") == "Vragen per maand <juli–sept>"
    assert "jul: 40" in (root.findtext(f"{SVG}desc") or "")
    rects = bars_of(root)
    assert len(rects) == 3
    heights = [float(r.get("height") or 0) for r in rects]
    assert heights[0] == approx(2 * heights[1]) and heights[2] == approx(1.5 * heights[1])
    bottoms = {round(float(r.get("y") or 0) + float(r.get("height") or 0), 1) for r in rects}
    assert len(bottoms) == 1  # all bars stand on the same axis
    assert {"40", "20", "30", "jul", "aug", "sep"} <= set(texts(root))


def test_a_suppressed_bar_is_hatched_labelled_and_does_not_reveal_its_value() -> None:
    hidden = charts.shown_bar("aug", Shown(None, suppressed=True))
    assert hidden.value is None and hidden.display == "<10"
    bars = [charts.shown_bar("jul", Shown(40)), hidden, charts.shown_bar("sep", Shown(12))]
    svg = charts.bar_chart("vragen", "Vragen per maand", bars, THRESHOLD)
    root = parse(svg)
    suppressed = [r for r in bars_of(root) if "suppressed" in (r.get("class") or "")]
    assert len(suppressed) == 1
    assert suppressed[0].get("fill") == "url(#vragen-hatch)"
    shown = [r for r in bars_of(root) if "suppressed" not in (r.get("class") or "")]
    # The hatched box reaches the threshold (10 of 40), whatever the true count was.
    assert float(suppressed[0].get("height") or 0) == approx(float(shown[0].get("height") or 0) / 4)
    assert "<10" in texts(root)

    # Even a suppressed figure that still carried its value gives the very same chart.
    for true_value in (1, 7, 9):
        leaky = [bars[0], charts.shown_bar("aug", Shown(true_value, suppressed=True)), bars[2]]
        assert charts.bar_chart("vragen", "Vragen per maand", leaky, THRESHOLD) == svg


def test_a_hidden_statistic_becomes_a_gap_in_the_line_without_its_value() -> None:
    months = [
        charts.statistic_bar("jul", Statistic("2026-07", "Mediaan", 30.0, (12,), "uur"), THRESHOLD),
        charts.statistic_bar("aug", Statistic("2026-08", "Mediaan", 77.7, (3,), "uur"), THRESHOLD),
        charts.statistic_bar("sep", Statistic("2026-09", "Mediaan", 15.0, (20,), "uur"), THRESHOLD),
        charts.statistic_bar("okt", Statistic("2026-10", "Mediaan", 45.0, (11,), "uur"), THRESHOLD),
        charts.statistic_bar("nov", Statistic("2026-11", "Mediaan", None, (0,), "uur"), THRESHOLD),
    ]
    assert months[1] == Bar("aug", None, "<10", True)
    assert months[4] == Bar("nov", None, "–", False)
    svg = charts.line_chart("wachttijd", "Tijd tot een ondersteuner", months, THRESHOLD)
    root = parse(svg)
    assert "77" not in svg
    points = list(root.iter(f"{SVG}circle"))
    assert len(points) == 3
    ys = [float(p.get("cy") or 0) for p in points]
    assert ys[1] > ys[0] > ys[2]  # 15 is lower on the chart than 30, 30 lower than 45
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 1  # jul stands alone; sep–okt is one line; the gap breaks it
    assert "<10" in texts(root) and "–" in texts(root)


def test_utilisation_bars_show_the_part_over_the_whole() -> None:
    rows = [
        Pair("MEE Plus", charts.shown_bar("MEE Plus actief", Shown(15)), charts.shown_bar("capaciteit", Shown(30))),
        Pair("Wijkteam", charts.shown_bar("Wijkteam actief", Shown(None, True)), charts.shown_bar("cap", Shown(12))),
    ]
    root = parse(charts.part_of_whole_chart("benutting", "Bezetting per organisatie", rows, THRESHOLD))
    rects = bars_of(root)
    wholes = [float(r.get("width") or 0) for r in rects if "whole" in (r.get("class") or "")]
    parts = [r for r in rects if "whole" not in (r.get("class") or "")]
    assert wholes[0] == approx(2 * float(parts[0].get("width") or 0))
    assert wholes[0] == approx(30 / 12 * wholes[1])
    assert "suppressed" in (parts[1].get("class") or "")
    assert "15 van 30" in texts(root) and "<10 van 12" in texts(root)


def test_stacked_bars_have_a_legend_and_segments_in_order() -> None:
    series = ("gemeld", "in behandeling", "beantwoord")
    rows = [
        Stack("Wachttijden", tuple(charts.shown_bar(s, Shown(v)) for s, v in zip(series, (4, 2, 6), strict=True))),
        Stack("Regels", tuple(charts.shown_bar(s, Shown(v)) for s, v in zip(series, (1, 0, 0), strict=True))),
    ]
    root = parse(charts.stacked_chart("signalen", "Signalen per thema", rows, series, THRESHOLD))
    assert set(series) <= set(texts(root))
    first = [r for r in bars_of(root)][:3]
    xs = [float(r.get("x") or 0) for r in first]
    widths = [float(r.get("width") or 0) for r in first]
    assert xs[1] == approx(xs[0] + widths[0]) and xs[2] == approx(xs[1] + widths[1])
    assert widths[2] == approx(3 * widths[1])
    assert "4 + 2 + 6" in texts(root)


def test_a_long_legend_wraps_and_a_row_may_show_its_total() -> None:
    series = ("Binnen 3 werkdagen", "Later", "Geen contact", "Nog binnen termijn")
    segments = tuple(charts.shown_bar(s, Shown(v)) for s, v in zip(series, (20, 10, 0, 0), strict=True))
    root = parse(charts.stacked_chart("contact", "Eerste contact", [Stack("MEE Plus", segments, "30")], series, 10))
    legend = [t for t in root.iter(f"{SVG}text") if t.get("class") == "legend"]
    assert [t.text for t in legend] == list(series)
    assert len({t.get("y") for t in legend}) == 2  # two lines
    for text in legend:  # every name starts inside the chart, with room for its letters
        assert float(text.get("x") or 0) + 8 * len(text.text or "") <= charts.WIDTH
    assert "30" in texts(root) and "20 + 10 + 0 + 0" not in texts(root)


def test_an_empty_chart_says_so_and_scales_are_round() -> None:
    root = parse(charts.bar_chart("leeg", "Niets", [], THRESHOLD))
    assert "Geen gegevens in deze periode." in texts(root)
    assert [charts.nice_maximum(v) for v in (0, 1, 7, 12, 24, 40, 101, 2400)] == [1, 1, 10, 20, 25, 50, 200, 2500]
    assert charts.number(12.0) == "12" and charts.number(12.25) == "12,2"


def test_a_year_of_months_keeps_its_axis_readable() -> None:
    months = [charts.shown_bar(f"m{i:02d}", Shown(10 + i)) for i in range(12)]
    root = parse(charts.bar_chart("jaar", "Vragen per maand", months, THRESHOLD))
    assert len(bars_of(root)) == 12
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "label"]
    assert labels == ["m00", "m02", "m04", "m06", "m08", "m10"]
    assert [charts.labelled(i, 3) for i in range(3)] == [True, True, True]


def test_an_axis_of_counts_has_whole_numbers_only() -> None:
    for largest in (0, 1, 2, 3, 5, 7, 10, 13, 26, 99, 410):
        top = charts.whole_maximum(largest)
        assert top >= largest
        assert all((top * i / 4).is_integer() for i in range(5)), (largest, top)
    svg = charts.bar_chart("c", "Vragen", [Bar("jan", 3.0, "3")], threshold=10)
    ticks = re.findall(r'class="tick"[^>]*>([^<]+)<', svg)
    assert ticks and all(t.isdigit() for t in ticks), ticks
