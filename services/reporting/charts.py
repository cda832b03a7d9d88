"""Charts as inline SVG, drawn in Python: pure functions from figures to markup, no JavaScript needed.

Every chart is an ``<svg role="img">`` with a ``<title>`` and an ``aria-label``; the page puts a data
table beside it in a ``<details>`` for screen readers and for anyone who wants the numbers.

Small numbers: a chart only ever gets what the audience may see (:class:`Bar` is built from a
suppressed :class:`~services.reporting.tables.Shown` or a :class:`~services.reporting.tables.Statistic`
after its threshold check). A suppressed figure has no value here at all, so it cannot leak: it is
drawn as a hatched, dashed box as high as the threshold, labelled ``<10`` (``<threshold>``: ``<5`` at
threshold 5) when it is small, or ``×`` when it is hidden only so that a small figure cannot be worked
out (it may be large: the box is a marker, not its size). The scale of the chart depends only on the
shown values and the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from services.reporting.tables import SECONDARY, Shown, Statistic

WIDTH = 480
#: At most this many axis labels under a bar or line chart; the data table beside it has every one.
MAX_LABELS = 6
INK = "#1b1b1b"
MUTED = "#4a4a4a"
GRID = "#d0d0d0"
BLUE = "#0b4f6c"
LIGHT = "#c8dde6"
#: Colours of the series of stacked bars, in order (each at least 3:1 against white).
SERIES_COLOURS = ("#b35900", "#0b4f6c", "#1d5e20", "#6b2c91", "#7a1f00")


@dataclass(frozen=True)
class Bar:
    """One figure of a chart as it may be shown: ``value`` is None when suppressed or not measured."""

    label: str
    value: float | None
    display: str
    suppressed: bool = False


def shown_bar(label: str, shown: Shown) -> Bar:
    """A bar of a published count (a suppressed count carries no value)."""
    if shown.suppressed or shown.value is None:
        return Bar(label, None, shown.display, True)
    return Bar(label, float(shown.value), shown.display)


def statistic_bar(label: str, statistic: Statistic, threshold: int) -> Bar:
    """A point of a statistic: its value only when the threshold allows it."""
    if statistic.hidden(threshold):
        return Bar(label, None, statistic.display(threshold), True)
    if statistic.value is None:
        return Bar(label, None, "–")
    return Bar(label, statistic.value, statistic.display(threshold))


@dataclass(frozen=True)
class Pair:
    """One row of a horizontal bar chart: a part (e.g. active assignments) of a whole (capacity)."""

    label: str
    part: Bar
    whole: Bar


@dataclass(frozen=True)
class Stack:
    """One row of a stacked bar chart: one segment per series. ``total``: the row's shown total, written beside
    the bar instead of its parts (``4 + 2 + 6``) when there are too many parts to fit."""

    label: str
    segments: tuple[Bar, ...]
    total: str | None = None


# --- scales ------------------------------------------------------------------------------------------


def nice_maximum(largest: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above ``largest`` (at least 1): a round top for an axis."""
    if largest <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(largest))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= largest:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def whole_maximum(largest: float, ticks: int = 4) -> float:
    """A round top for an axis of counts whose ``ticks`` steps are whole numbers (no "2,5 vragen"):
    ``ticks`` × the smallest 1, 2, 2.5 or 5 × 10^k step that is whole and reaches ``largest``."""
    power = 1
    while True:
        for step in (power, 2 * power, 2.5 * power, 5 * power):
            if float(step).is_integer() and step * ticks >= largest:
                return float(step * ticks)
        power *= 10


def scale_top(bars: Sequence[Bar], threshold: int, whole: bool = False) -> float:
    """The axis maximum: from shown values only, and the threshold when a suppressed box must fit;
    ``whole``: counts, so every tick of the axis is a whole number."""
    values = [b.value for b in bars if b.value is not None]
    if any(b.suppressed for b in bars):
        values.append(float(threshold))
    largest = max(values, default=0.0)
    return whole_maximum(largest) if whole else nice_maximum(largest)


def number(value: float) -> str:
    """A number the Dutch way: whole numbers as they are, else one decimal with a comma."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}".replace(".", ",")


# --- pieces of SVG -----------------------------------------------------------------------------------


def _open(chart_id: str, title: str, description: str, height: float) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" role="img" aria-label="{escape(title)}" '
        f'aria-describedby="{escape(chart_id)}-desc" font-family="system-ui, sans-serif" font-size="14">',
        f"<title>{escape(title)}</title>",
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
        f'<defs><pattern id="{escape(chart_id)}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{MUTED}" stroke-width="2"/></pattern></defs>',
    ]


def _hatched_rect(chart_id: str, x: float, y: float, width: float, height: float, bar: Bar) -> str:
    return (
        f'<rect class="bar suppressed" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
        f'fill="url(#{escape(chart_id)}-hatch)" stroke="{MUTED}" stroke-dasharray="4 3">'
        f"<title>{escape(bar.label)}: {escape(bar.display)} ({why_hidden(bar)})</title></rect>"
    )


def why_hidden(bar: Bar) -> str:
    """Why a hidden bar has no value, in plain Dutch."""
    if bar.display == SECONDARY:
        return "verborgen, zodat u een klein aantal niet kunt uitrekenen"
    return "te weinig om te tonen"


def _text(x: float, y: float, content: str, anchor: str = "middle", css_class: str = "", fill: str = INK) -> str:
    klass = f' class="{css_class}"' if css_class else ""
    return f'<text{klass} x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}">{escape(content)}</text>'


def labelled(index: int, count: int) -> bool:
    """Whether the ``index``-th of ``count`` bars gets its label under the axis (every k-th when crowded)."""
    return index % math.ceil(count / MAX_LABELS) == 0


def _describe(bars: Sequence[Bar]) -> str:
    return "; ".join(f"{b.label}: {b.display}" for b in bars) or "Geen gegevens."


def _empty(chart_id: str, title: str) -> str:
    parts = _open(chart_id, title, "Geen gegevens in deze periode.", 60)
    parts.append(_text(WIDTH / 2, 35, "Geen gegevens in deze periode.", fill=MUTED))
    parts.append("</svg>")
    return "".join(parts)


# --- charts ------------------------------------------------------------------------------------------

PLOT_TOP = 20.0
PLOT_HEIGHT = 200.0
LEFT = 48.0
RIGHT = 12.0


def _vertical_axis(top: float) -> list[str]:
    parts = []
    for i in range(5):
        value = top * i / 4
        y = PLOT_TOP + PLOT_HEIGHT - PLOT_HEIGHT * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(_text(LEFT - 6, y + 4, number(value), anchor="end", css_class="tick", fill=MUTED))
    return parts


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], threshold: int) -> str:
    """Vertical bars of counts, e.g. questions per month; each bar's height is proportional to its value,
    and the axis counts in whole numbers."""
    if not bars:
        return _empty(chart_id, title)
    top = scale_top(bars, threshold, whole=True)
    slot = (WIDTH - LEFT - RIGHT) / len(bars)
    width = min(slot * 0.7, 60.0)
    bottom = PLOT_TOP + PLOT_HEIGHT
    parts = _open(chart_id, title, _describe(bars), bottom + 44)
    parts += _vertical_axis(top)
    for i, bar in enumerate(bars):
        x = LEFT + slot * i + (slot - width) / 2
        centre = x + width / 2
        if bar.suppressed:
            height = PLOT_HEIGHT * threshold / top
            parts.append(_hatched_rect(chart_id, x, bottom - height, width, height, bar))
            label_y = bottom - height - 4
        else:
            height = PLOT_HEIGHT * (bar.value or 0.0) / top
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{bottom - height:.1f}" width="{width:.1f}" '
                f'height="{height:.1f}" fill="{BLUE}"><title>{escape(bar.label)}: {escape(bar.display)}</title></rect>'
            )
            label_y = bottom - height - 4
        parts.append(_text(centre, max(label_y, 12), bar.display, css_class="value"))
        if labelled(i, len(bars)):
            parts.append(_text(centre, bottom + 18, bar.label, css_class="label"))
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" y2="{bottom}" stroke="{INK}"/>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(chart_id: str, title: str, points: Sequence[Bar], threshold: int) -> str:
    """A line through the shown points (e.g. the median per month); hidden or unmeasured points leave a gap."""
    if not points:
        return _empty(chart_id, title)
    shown = [p for p in points if p.value is not None]
    top = nice_maximum(max((p.value for p in shown if p.value is not None), default=0.0))
    slot = (WIDTH - LEFT - RIGHT) / len(points)
    bottom = PLOT_TOP + PLOT_HEIGHT
    parts = _open(chart_id, title, _describe(points), bottom + 44)
    parts += _vertical_axis(top)
    run: list[str] = []
    markers: list[str] = []
    for i, point in enumerate(points):
        x = LEFT + slot * i + slot / 2
        if labelled(i, len(points)):
            parts.append(_text(x, bottom + 18, point.label, css_class="label"))
        if point.value is None:
            if len(run) > 1:
                parts.append(_polyline(run))
            run = []
            gap_class = "gap suppressed" if point.suppressed else "gap"
            markers.append(_text(x, bottom - 6, point.display, css_class=gap_class, fill=MUTED))
            continue
        y = bottom - PLOT_HEIGHT * point.value / top
        run.append(f"{x:.1f},{y:.1f}")
        markers.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{BLUE}">'
            f"<title>{escape(point.label)}: {escape(point.display)}</title></circle>"
        )
        markers.append(_text(x, y - 8, point.display, css_class="value"))
    if len(run) > 1:
        parts.append(_polyline(run))
    parts += markers
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" y2="{bottom}" stroke="{INK}"/>')
    parts.append("</svg>")
    return "".join(parts)


def _polyline(points: list[str]) -> str:
    return f'<polyline class="line" points="{" ".join(points)}" fill="none" stroke="{BLUE}" stroke-width="2.5"/>'


ROW_HEIGHT = 46.0
BAR_HEIGHT = 18.0
H_LEFT = 8.0
H_RIGHT = 110.0


def _horizontal(chart_id: str, bar: Bar, y: float, top: float, threshold: int, fill: str, x0: float = H_LEFT) -> str:
    span = WIDTH - H_LEFT - H_RIGHT
    if bar.suppressed:
        return _hatched_rect(chart_id, x0, y, span * threshold / top, BAR_HEIGHT, bar)
    width = span * (bar.value or 0.0) / top
    return (
        f'<rect class="bar" x="{x0:.1f}" y="{y:.1f}" width="{width:.1f}" height="{BAR_HEIGHT}" fill="{fill}">'
        f"<title>{escape(bar.label)}: {escape(bar.display)}</title></rect>"
    )


def part_of_whole_chart(chart_id: str, title: str, rows: Sequence[Pair], threshold: int, joiner: str = "van") -> str:
    """Horizontal bars of a part over its whole, e.g. active assignments over capacity per organisation."""
    if not rows:
        return _empty(chart_id, title)
    top = scale_top([b for r in rows for b in (r.part, r.whole)], threshold)
    description = "; ".join(f"{r.label}: {r.part.display} {joiner} {r.whole.display}" for r in rows)
    parts = _open(chart_id, title, description, ROW_HEIGHT * len(rows) + 10)
    for i, row in enumerate(rows):
        y = ROW_HEIGHT * i + 20
        parts.append(_text(H_LEFT, y - 4, row.label, anchor="start", css_class="label"))
        whole = _horizontal(chart_id, row.whole, y, top, threshold, LIGHT)
        parts.append(whole.replace('class="bar"', 'class="bar whole"', 1))
        parts.append(_horizontal(chart_id, row.part, y, top, threshold, BLUE))
        text = f"{row.part.display} {joiner} {row.whole.display}"
        parts.append(_text(WIDTH - H_RIGHT + 8, y + 14, text, anchor="start", css_class="value"))
    parts.append("</svg>")
    return "".join(parts)


def stacked_chart(chart_id: str, title: str, rows: Sequence[Stack], series: Sequence[str], threshold: int) -> str:
    """Horizontal stacked bars, e.g. signals per theme split by status; a legend names the series."""
    if not rows:
        return _empty(chart_id, title)
    totals = [
        Bar(r.label, sum(s.value or 0.0 for s in r.segments) + threshold * sum(s.suppressed for s in r.segments), "")
        for r in rows
    ]
    top = scale_top(totals, threshold)
    span = WIDTH - H_LEFT - H_RIGHT
    legend, legend_height = _legend(series)
    parts = _open(chart_id, title, _stack_description(rows, series), legend_height + ROW_HEIGHT * len(rows) + 10)
    parts += legend
    for i, row in enumerate(rows):
        y = legend_height + ROW_HEIGHT * i + 20
        parts.append(_text(H_LEFT, y - 4, row.label, anchor="start", css_class="label"))
        x0 = H_LEFT
        for segment, colour in zip(row.segments, SERIES_COLOURS, strict=False):
            parts.append(_horizontal(chart_id, segment, y, top, threshold, colour, x0))
            x0 += span * (threshold if segment.suppressed else (segment.value or 0.0)) / top
        total = row.total if row.total is not None else " + ".join(s.display for s in row.segments)
        parts.append(_text(WIDTH - H_RIGHT + 8, y + 14, total, anchor="start", css_class="value"))
    parts.append("</svg>")
    return "".join(parts)


#: Roughly how wide a character of a legend is, and the height of one line of the legend.
LEGEND_CHAR = 8.0
LEGEND_LINE = 22.0


def _legend(series: Sequence[str]) -> tuple[list[str], float]:
    """A colour box and name per series, on as many lines as the width needs; and the legend's height."""
    parts, x, y = [], H_LEFT, 6.0
    for name, colour in zip(series, SERIES_COLOURS, strict=False):
        width = 30 + LEGEND_CHAR * len(name)
        if x > H_LEFT and x + width - 8 > WIDTH:
            x, y = H_LEFT, y + LEGEND_LINE
        parts.append(f'<rect x="{x:.1f}" y="{y:.0f}" width="14" height="14" fill="{colour}"/>')
        parts.append(_text(x + 20, y + 12, name, anchor="start", css_class="legend"))
        x += width
    return parts, y + LEGEND_LINE


def _stack_description(rows: Sequence[Stack], series: Sequence[str]) -> str:
    return "; ".join(
        f"{r.label}: " + ", ".join(f"{name} {s.display}" for name, s in zip(series, r.segments, strict=False))
        for r in rows
    )
