"""What the dashboard and the quarterly report show, in Dutch: pure functions from a published report.

Everything here starts from a :class:`~services.reporting.suppression.PublishedReport`, never from a
raw :class:`~services.reporting.tables.Report`: counts come from the suppressed tables, and
statistics are shown through :meth:`Statistic.display` with the report's threshold. Periods
(quarters, from/to dates) are read and checked here as well, with Dutch messages naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from services.kit.dutch import SHORT_MONTHS, dutch_date
from services.reporting import charts
from services.reporting.charts import Bar, Pair, Stack
from services.reporting.suppression import PublishedReport
from services.reporting.tables import SECONDARY_REASON, SINGLE, Period, PublishedTable, Shown, Statistic

#: The longest period the dashboard shows at once.
MAX_DAYS = 3 * 366
QUARTER_PATTERN = re.compile(r"^(\d{4})-K([1-4])$")


class FilterError(ValueError):
    """A filter the dashboard cannot use; ``field`` is the name of the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- periods -----------------------------------------------------------------------------------------


def quarter_period(year: int, quarter: int) -> Period:
    start = date(year, 3 * quarter - 2, 1)
    next_start = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return Period(start, next_start - timedelta(days=1))


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_code(year: int, quarter: int) -> str:
    return f"{year}-K{quarter}"


def quarter_name(year: int, quarter: int) -> str:
    return f"{quarter}e kwartaal {year}"


def recent_quarters(today: date, count: int = 8) -> list[tuple[str, str]]:
    """``(code, Dutch name)`` of the current quarter and the ones before it, newest first."""
    year, quarter = quarter_of(today)
    found = []
    for _ in range(count):
        found.append((quarter_code(year, quarter), quarter_name(year, quarter)))
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return found


def read_date(field: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError(field, "Vul een datum in als jjjj-mm-dd, bijvoorbeeld 2026-07-01.") from None


def read_period(kwartaal: str | None, van: str | None, tot: str | None, today: date) -> tuple[Period, str]:
    """The chosen period and the quarter code to show as chosen (``""`` for an own period).

    A quarter wins; without one, ``van`` and ``tot`` make the period; without any, the current quarter.
    """
    if kwartaal:
        match = QUARTER_PATTERN.match(kwartaal)
        if not match or not 2000 <= int(match.group(1)) <= 2100:
            raise FilterError("kwartaal", "Kies een kwartaal uit de lijst.")
        return quarter_period(int(match.group(1)), int(match.group(2))), kwartaal
    if not van and not tot:
        year, quarter = quarter_of(today)
        return quarter_period(year, quarter), quarter_code(year, quarter)
    if not van:
        raise FilterError("van", "Vul ook de begindatum in.")
    if not tot:
        raise FilterError("tot", "Vul ook de einddatum in.")
    start, end = read_date("van", van), read_date("tot", tot)
    if start > end:
        raise FilterError("tot", "De einddatum ligt vóór de begindatum.")
    if (end - start).days > MAX_DAYS:
        raise FilterError("tot", "Kies een periode van hoogstens drie jaar.")
    if start.day != 1:
        raise FilterError("van", "Kies als begindatum de eerste dag van een maand, bijvoorbeeld 2026-07-01.")
    if (end + timedelta(days=1)).day != 1:
        raise FilterError("tot", "Kies als einddatum de laatste dag van een maand, bijvoorbeeld 2026-09-30.")
    return Period(start, end), ""


def period_name(period: Period) -> str:
    year, quarter = quarter_of(period.start)
    if quarter_period(year, quarter) == period:
        return quarter_name(year, quarter)
    return f"{dutch_date(period.start)} tot en met {dutch_date(period.end)}"


def month_label(code: str) -> str:
    """``2026-07`` → ``jul 2026``; other codes as they are."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", code)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return code
    return f"{SHORT_MONTHS[int(match.group(2)) - 1]} {match.group(1)}"


# --- looking figures up ------------------------------------------------------------------------------


def table(published: PublishedReport, key: str) -> PublishedTable | None:
    """The published table ``key``, or None when this report has no such table."""
    return next((t for t in published.tables if t.table.key == key), None)


def statistic(published: PublishedReport, key: str) -> Statistic | None:
    return next((s for s in published.report.statistics if s.key == key), None)


def shown_statistic(published: PublishedReport, key: str) -> str:
    found = statistic(published, key)
    return found.display(published.threshold) if found else "–"


# --- tiles -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    display: str
    note: str = ""


def tiles(published: PublishedReport) -> list[Tile]:
    """The key figures at the top of the dashboard."""
    found = []
    questions = table(published, "questions_by_month")
    if questions:
        found.append(Tile("vragen", "Vragen binnengekomen", questions.total.display))
    for key, label, note in (
        ("waiting_list_size", "Op de wachtlijst", "nu"),
        ("hours_to_assigned_median", "Tijd tot een ondersteuner", "mediaan"),
        ("utilisation_percent", "Bezetting ondersteuners", "actieve trajecten van de capaciteit"),
        ("experience_score_average", "Rapportcijfer van inwoners", "gemiddeld, 1 tot 10"),
    ):
        if statistic(published, key):
            found.append(Tile(key, label, shown_statistic(published, key), note))
    signals = table(published, "signals_by_theme")
    if signals:
        found.append(Tile("signalen", "Signalen", signals.total.display))
    return found


# --- tables ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableView:
    """A table as the page renders it: header, rows of displayed values, an optional totals row."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]
    totals: tuple[str, ...] | None = None
    note: str = ""


def _column_label(pt: PublishedTable, code: str) -> str:
    return "Aantal" if code == SINGLE else pt.table.label(code)


def _row_label(pt: PublishedTable, code: str) -> str:
    label = pt.table.label(code)
    return month_label(code) if label == code else label


def table_view(pt: PublishedTable) -> TableView:
    """Counts with totals; multi-column tables get a total per row."""
    t = pt.table
    many = t.columns != (SINGLE,)
    headers = (t.row_label, *(_column_label(pt, c) for c in t.columns), *(("Totaal",) if many else ()))
    rows = tuple(
        (
            _row_label(pt, r),
            (*(pt.cell(r, c).display for c in t.columns), *((pt.row_totals[r].display,) if many else ())),
        )
        for r in t.rows
    )
    totals = (*(pt.column_totals[c].display for c in t.columns), pt.total.display) if many else (pt.total.display,)
    note = "" if t.additive else "Eén vraag kan bij meer dan één rij horen; het totaal telt elke vraag één keer."
    return TableView(t.key, t.title, headers, rows, totals, note)


def percent(cell: Shown, column_total: Shown) -> str:
    """A shown count as a share of its shown column total; ``<threshold>`` (e.g. ``<10``) for a hidden count."""
    if cell.suppressed or cell.value is None:
        return cell.display
    if column_total.suppressed or not column_total.value:
        return "–"
    return f"{round(100 * cell.value / column_total.value)}%"


def share_view(pt: PublishedTable) -> TableView:
    """Each column as percentages of its own total (representativeness: supported vs took part)."""
    t = pt.table
    headers = (t.row_label, *(_column_label(pt, c) for c in t.columns))
    rows = tuple(
        (_row_label(pt, r), tuple(percent(pt.cell(r, c), pt.column_totals[c]) for c in t.columns)) for r in t.rows
    )
    totals = tuple(pt.column_totals[c].display for c in t.columns)
    note = "Percentages van elke kolom. De onderste rij geeft het aantal mensen in die kolom."
    return TableView(t.key, t.title, headers, rows, (*totals,), note)


#: The tables under the charts, in order; representativeness tables are shown as percentages.
COUNT_TABLES = (
    "questions_by_life_domain",
    "questions_by_channel",
    "questions_by_found_via",
    "questions_by_referrer",
    "questions_by_municipality",
    "questions_by_status",
    "waiting_by_age",
    "declines_by_reason",
    "withdrawals_by_reason",
    "experience_statements",
)
SHARE_TABLES = (
    "representativeness_by_age_band",
    "representativeness_by_life_domain",
    "representativeness_by_municipality",
)


def count_tables(published: PublishedReport, keys: Sequence[str] = COUNT_TABLES) -> list[TableView]:
    return [table_view(pt) for key in keys if (pt := table(published, key))]


def share_tables(published: PublishedReport) -> list[TableView]:
    return [share_view(pt) for key in SHARE_TABLES if (pt := table(published, key))]


def statistics_view(published: PublishedReport) -> TableView:
    rows = tuple((s.title, (s.display(published.threshold),)) for s in published.report.statistics)
    return TableView("statistics", "Kengetallen", ("Kengetal", "Waarde"), rows)


# --- charts ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartView:
    """An SVG chart and the same figures as a table, for the ``<details>`` beside it."""

    key: str
    title: str
    svg: str
    data: TableView


def _bars_view(key: str, title: str, head: tuple[str, str], bars: Sequence[Bar]) -> TableView:
    return TableView(key, title, head, tuple((b.label, (b.display,)) for b in bars))


def questions_chart(published: PublishedReport) -> ChartView | None:
    pt = table(published, "questions_by_month")
    if pt is None:
        return None
    bars = [charts.shown_bar(_row_label(pt, r), pt.row_totals[r]) for r in pt.table.rows]
    title = "Vragen per maand"
    svg = charts.bar_chart("grafiek-vragen", title, bars, published.threshold)
    return ChartView("vragen", title, svg, _bars_view("vragen", title, ("Maand", "Vragen"), bars))


def time_chart(published: PublishedReport) -> ChartView | None:
    series = published.report.trends.get("hours_to_assigned_median")
    if series is None:
        return None
    points = [charts.statistic_bar(month_label(s.key), s, published.threshold) for s in series]
    title = "Tijd tot een ondersteuner per maand (mediaan, in uren)"
    svg = charts.line_chart("grafiek-tijd", title, points, published.threshold)
    return ChartView("tijd", title, svg, _bars_view("tijd", title, ("Maand", "Mediaan"), points))


def utilisation_chart(published: PublishedReport) -> ChartView | None:
    active, capacity = table(published, "assignments_by_organisation"), table(published, "capacity_by_organisation")
    if active is None or capacity is None:
        return None
    organisations = list(dict.fromkeys((*capacity.table.rows, *active.table.rows)))
    rows = [
        Pair(
            capacity.table.label(o) if o in capacity.table.rows else active.table.label(o),
            charts.shown_bar(f"{o}: actief", active.row_totals.get(o, Shown(0))),
            charts.shown_bar(f"{o}: capaciteit", capacity.row_totals.get(o, Shown(0))),
        )
        for o in organisations
    ]
    title = "Bezetting per organisatie: actieve trajecten van de capaciteit"
    svg = charts.part_of_whole_chart("grafiek-bezetting", title, rows, published.threshold)
    data = TableView(
        "bezetting",
        title,
        ("Organisatie", "Actief", "Capaciteit"),
        tuple((r.label, (r.part.display, r.whole.display)) for r in rows),
    )
    return ChartView("bezetting", title, svg, data)


def signals_chart(published: PublishedReport) -> ChartView | None:
    pt = table(published, "signals_by_theme")
    if pt is None:
        return None
    series = [_column_label(pt, c) for c in pt.table.columns]
    rows = [
        Stack(
            _row_label(pt, r),
            tuple(charts.shown_bar(name, pt.cell(r, c)) for name, c in zip(series, pt.table.columns, strict=True)),
        )
        for r in pt.table.rows
        if not (pt.row_totals[r].value == 0 and not pt.row_totals[r].suppressed)
    ]
    title = "Signalen per thema, naar wat ermee gebeurd is"
    svg = charts.stacked_chart("grafiek-signalen", title, rows, series, published.threshold)
    data = TableView(
        "signalen",
        title,
        (pt.table.row_label, *series),
        tuple((r.label, tuple(s.display for s in r.segments)) for r in rows),
    )
    return ChartView("signalen", title, svg, data)


def all_charts(published: PublishedReport) -> list[ChartView]:
    made = (questions_chart(published), time_chart(published), utilisation_chart(published), signals_chart(published))
    return [c for c in made if c is not None]


# --- the summary in words (quarterly report) ---------------------------------------------------------


def in_words(shown: Shown, threshold: int) -> str:
    """A count in a sentence: the number, "minder dan {threshold}" when it is hidden because it is small, or
    "een verborgen aantal" when it is hidden only so that a small count cannot be worked out (it may be large)."""
    if shown.suppression == SECONDARY_REASON:
        return "een verborgen aantal"
    return f"minder dan {threshold}" if shown.suppressed or shown.value is None else str(shown.value)


def _statistic_words(published: PublishedReport, key: str) -> str | None:
    """The statistic's display in a sentence, or None when hidden or not measured."""
    found = statistic(published, key)
    if found is None or found.value is None or found.hidden(published.threshold):
        return None
    return found.display(published.threshold)


def _largest_row(pt: PublishedTable) -> tuple[str, int] | None:
    shown = [(r, pt.row_totals[r].value or 0) for r in pt.table.rows if not pt.row_totals[r].suppressed]
    best = max(shown, key=lambda item: item[1], default=None)
    return (_row_label(pt, best[0]), best[1]) if best and best[1] > 0 else None


def summary(published: PublishedReport, place: str) -> list[str]:
    """A few plain Dutch sentences about the period, built from the published figures only."""
    threshold = published.threshold
    period = period_name(published.report.period)
    lines = []
    questions = table(published, "questions_by_month")
    if questions:
        lines.append(f"In het {period} kwamen {in_words(questions.total, threshold)} vragen binnen in {place}.")
    domains = table(published, "questions_by_life_domain")
    top = _largest_row(domains) if domains else None
    if top:
        lines.append(f"De meeste vragen gingen over {top[0][:1].lower()}{top[0][1:]} ({top[1]}).")
    hours = _statistic_words(published, "hours_to_assigned_median")
    if hours:
        lines.append(f"De helft van de inwoners had binnen {hours} een ondersteuner.")
    elif statistic(published, "hours_to_assigned_median"):
        lines.append(f"Minder dan {threshold} inwoners kregen een ondersteuner; daarom noemen we geen wachttijd.")
    waiting = statistic(published, "waiting_list_size")
    if waiting is not None:
        count = (
            Shown(None, True, threshold, secondary=not waiting.small(threshold))
            if waiting.hidden(threshold)
            else Shown(int(waiting.value or 0))
        )
        lines.append(f"Op de wachtlijst staan nu {in_words(count, threshold)} inwoners.")
    utilisation = _statistic_words(published, "utilisation_percent")
    if utilisation:
        lines.append(f"De ondersteuners zijn voor {utilisation} bezet.")
    score = _statistic_words(published, "experience_score_average")
    if score:
        lines.append(f"Inwoners gaven de ondersteuning gemiddeld een {score}.")
    elif statistic(published, "experience_score_average"):
        lines.append(f"Minder dan {threshold} inwoners deelden hun ervaring; daarom staat hier geen rapportcijfer.")
    signals = table(published, "signals_by_theme")
    if signals:
        answered = signals.column_totals.get("answered")
        text = f"Er kwamen {in_words(signals.total, threshold)} signalen binnen"
        lines.append(text + (f", waarvan {in_words(answered, threshold)} beantwoord." if answered else "."))
    return lines
