"""What the dashboard and the quarterly report show, in Dutch: pure functions from a published report.

Everything here starts from a :class:`~services.reporting.suppression.PublishedReport`, never from a
raw :class:`~services.reporting.tables.Report`: counts come from the suppressed tables, and
statistics are shown through :meth:`Statistic.display` with the report's threshold. Periods
(quarters, from/to dates) are read and checked here as well, with Dutch messages naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from services.reporting import charts
from services.reporting.charts import Bar, Pair, Stack
from services.reporting.figures.outcomes import DECLINE_TABLES, FIRST_CONTACT_TABLES
from services.reporting.figures.outcomes import OUTCOME_TABLES as OUTCOME_TABLE_KEYS
from services.reporting.filters import month_label, period_name
from services.reporting.suppression import PublishedReport
from services.reporting.tables import (
    SECONDARY,
    SECONDARY_REASON,
    SINGLE,
    SMALL_REASON,
    Period,
    PublishedTable,
    Shown,
    Statistic,
    suppressed_text,
)

# --- looking figures up ------------------------------------------------------------------------------


def table(published: PublishedReport, key: str) -> PublishedTable | None:
    """The published table ``key``, or None when this report has no such table."""
    return next((t for t in published.tables if t.table.key == key), None)


def statistic(published: PublishedReport, key: str) -> Statistic | None:
    return next((s for s in published.report.statistics if s.key == key), None)


#: Statistics that are counts of people: hidden, they read "<10" like every small count.
COUNT_STATISTICS = frozenset({"waiting_list_size"})
#: What a hidden score or median says instead of "<10", which would read as a value (a mark below 10,
#: under 10 hours): too few people were behind it.
TOO_FEW_ANSWERS = "te weinig antwoorden"
TOO_FEW_DATA = "te weinig gegevens"
#: Statistics from residents' answers (the others come from questions and assignments).
ANSWER_STATISTICS = frozenset({"experience_score_average"})


def statistic_text(found: Statistic, threshold: int, unit: bool = True) -> str:
    """A statistic as people read it: "te weinig antwoorden" / "te weinig gegevens" where a small count hid a
    score, median or rate; "minder dan 1 uur" rather than "0 uur"; ``unit=False``: without its unit."""
    if found.suppression(threshold) == SMALL_REASON and found.key not in COUNT_STATISTICS:
        return TOO_FEW_ANSWERS if found.key in ANSWER_STATISTICS else TOO_FEW_DATA
    if found.hidden(threshold) or found.value is None:
        return found.display(threshold)
    if found.unit == "uur" and found.value < 1:
        return "minder dan 1 uur" if unit else "minder dan 1"
    return found.display(threshold) if unit else replace(found, unit="").display(threshold)


def shown_statistic(published: PublishedReport, key: str, unit: bool = True) -> str:
    """The statistic as shown; ``unit=False``: without its unit (a tile says the unit in its note)."""
    found = statistic(published, key)
    if found is None:
        return "–"
    return statistic_text(found, published.threshold, unit)


def past(period: Period, today: date | None) -> bool:
    """Whether ``period`` ended before ``today`` (then capacity, which is known only for today, is not its own)."""
    return today is not None and period.end < today


#: Said wherever a past period shows capacity: only today's capacity is known.
CAPACITY_TODAY = "capaciteit van vandaag, niet van deze periode"


@dataclass(frozen=True)
class Marker:
    """A sign that stands for a figure, and what it means."""

    sign: str
    meaning: str


def markers(threshold: int) -> list[Marker]:
    """The legend of every sign a figure may show instead of a number."""
    return [
        Marker(suppressed_text(threshold), f"minder dan {threshold} mensen; het precieze aantal tonen we niet"),
        Marker(SECONDARY, "verborgen, zodat u een klein aantal niet kunt uitrekenen (het kan groot zijn)"),
        Marker(TOO_FEW_ANSWERS, f"minder dan {threshold} inwoners gaven een cijfer; dan tonen we geen gemiddelde"),
        Marker(TOO_FEW_DATA, f"berekend over minder dan {threshold} mensen; daarom tonen we het niet"),
        Marker("–", "niets gemeten of niets te tellen in deze periode"),
    ]


# --- tiles -------------------------------------------------------------------------------------------

#: Tiles that show the number alone: their unit is a long word, said in the tile's note instead.
BARE_TILES = frozenset({"first_contact_working_days_median"})


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    display: str
    note: str = ""

    @property
    def in_words(self) -> bool:
        """A tile that shows words ("te weinig antwoorden"), not a number: set smaller."""
        return any(ch.isalpha() for ch in self.display.split(" ")[0])


def tiles(published: PublishedReport, today: date | None = None) -> list[Tile]:
    """The key figures at the top of the dashboard; for a period that ended before ``today`` the occupancy
    tile says its capacity is today's."""
    found = []
    questions = table(published, "questions_by_month")
    if questions:
        found.append(Tile("vragen", "Vragen binnengekomen", questions.total.display))
    for key, label, note in (
        ("waiting_list_size", "Op de wachtlijst", "nu"),
        ("hours_to_assigned_median", "Tijd tot een ondersteuner", "mediaan"),
        ("first_contact_within_rate", "Eerste contact binnen 3 werkdagen", "van de koppelingen in deze periode"),
        ("first_contact_working_days_median", "Tijd tot het eerste contact", "werkdagen (mediaan)"),
        ("utilisation_percent", "Bezetting ondersteuners", "actieve trajecten van de capaciteit"),
        ("experience_score_average", "Rapportcijfer van inwoners", "gemiddeld, 1 tot 10"),
    ):
        if statistic(published, key):
            if key == "utilisation_percent" and past(published.report.period, today):
                note = f"{note} ({CAPACITY_TODAY})"
            found.append(Tile(key, label, shown_statistic(published, key, unit=key not in BARE_TILES), note))
    signals = table(published, "signals_by_theme")
    if signals:
        found.append(Tile("signalen", "Signalen", signals.total.display))
    return found


# --- tables ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableView:
    """A table as the page renders it: header, rows of displayed values, an optional totals row; or, when
    ``empty`` is set, only that sentence (nothing to count)."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]
    totals: tuple[str, ...] | None = None
    note: str = ""
    empty: str = ""


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
    """Each column as a count and, in a column of its own, a percentage of its own total
    (representativeness: supported vs took part)."""
    t = pt.table
    headers = (t.row_label, *(h for c in t.columns for h in (f"{_column_label(pt, c)}: aantal", "%")))
    rows = tuple(
        (
            _row_label(pt, r),
            tuple(v for c in t.columns for v in (pt.cell(r, c).display, percent(pt.cell(r, c), pt.column_totals[c]))),
        )
        for r in t.rows
    )
    totals = tuple(v for c in t.columns for v in (pt.column_totals[c].display, "100%"))
    note = "Het percentage is het deel van de eigen kolom: van alle mensen die werden ondersteund, of die meededen."
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
    "experience_scores_by_organisation",
    "experience_statements_by_organisation",
)
#: The tables of how assignments went (first contact, declines, the end of support), in their own section.
OUTCOME_TABLES = (*FIRST_CONTACT_TABLES, *DECLINE_TABLES, *OUTCOME_TABLE_KEYS)
SHARE_TABLES = (
    "representativeness_by_age_band",
    "representativeness_by_life_domain",
    "representativeness_by_municipality",
)


def count_tables(published: PublishedReport, keys: Sequence[str] = COUNT_TABLES) -> list[TableView]:
    return [table_view(pt) for key in keys if (pt := table(published, key))]


#: What an outcome table says when there is nothing to count in the period.
NOTHING_TO_COUNT = {
    "first_contact_by_organisation": "Er zijn in deze periode geen ondersteuners gekoppeld.",
    "first_contact_by_kind": "Er zijn in deze periode geen ondersteuners gekoppeld.",
    "declines_by_organisation": "Er zijn in deze periode geen koppelingen afgewezen.",
    "declines_by_kind": "Er zijn in deze periode geen koppelingen afgewezen.",
    "outcomes_by_organisation": "Er is in deze periode geen ondersteuning afgerond.",
    "outcomes_by_kind": "Er is in deze periode geen ondersteuning afgerond.",
}


def outcome_tables(published: PublishedReport) -> list[TableView]:
    """First contact, declines and the end of support, per organisation and per supporter kind; a table with
    nothing to count (no rows or no columns) is a sentence."""
    views = []
    for key in OUTCOME_TABLES:
        pt = table(published, key)
        if pt is None:
            continue
        if not pt.table.rows or not pt.table.columns:
            views.append(TableView(key, pt.table.title, (), (), empty=NOTHING_TO_COUNT[key]))
        else:
            views.append(table_view(pt))
    return views


def share_tables(published: PublishedReport) -> list[TableView]:
    return [share_view(pt) for key in SHARE_TABLES if (pt := table(published, key))]


def statistics_view(published: PublishedReport) -> TableView:
    rows = tuple((s.title, (statistic_text(s, published.threshold),)) for s in published.report.statistics)
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


def utilisation_chart(published: PublishedReport, today: date | None = None) -> ChartView | None:
    active, capacity = table(published, "assignments_by_organisation"), table(published, "capacity_by_organisation")
    if active is None or capacity is None:
        return None
    organisations = list(dict.fromkeys((*capacity.table.rows, *active.table.rows)))

    def name(o: str) -> str:
        return capacity.table.label(o) if o in capacity.table.rows else active.table.label(o)

    rows = [
        Pair(
            name(o),
            charts.shown_bar(f"{name(o)}: actief", active.row_totals.get(o, Shown(0))),
            charts.shown_bar(f"{name(o)}: capaciteit", capacity.row_totals.get(o, Shown(0))),
        )
        for o in organisations
    ]
    title = "Bezetting per organisatie: actieve trajecten van de capaciteit"
    if past(published.report.period, today):
        title = f"{title} ({CAPACITY_TODAY})"
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
    title = "Signalen per thema, naar wat ermee gebeurd is"
    return stacked_view(pt, "signalen", "grafiek-signalen", title, published.threshold)


def stacked_view(
    pt: PublishedTable, key: str, chart_id: str, title: str, threshold: int, totals: bool = False
) -> ChartView:
    """A two-dimensional table as stacked bars: one bar per row, one segment per column (empty rows left out);
    ``totals``: the row's total beside each bar instead of its parts."""
    series = [_column_label(pt, c) for c in pt.table.columns]
    rows = [
        Stack(
            _row_label(pt, r),
            tuple(charts.shown_bar(name, pt.cell(r, c)) for name, c in zip(series, pt.table.columns, strict=True)),
            pt.row_totals[r].display if totals else None,
        )
        for r in pt.table.rows
        if not (pt.row_totals[r].value == 0 and not pt.row_totals[r].suppressed)
    ]
    svg = charts.stacked_chart(chart_id, title, rows, series, threshold)
    data = TableView(
        key,
        title,
        (pt.table.row_label, *series),
        tuple((r.label, tuple(s.display for s in r.segments)) for r in rows),
    )
    return ChartView(key, title, svg, data)


def first_contact_chart(published: PublishedReport) -> ChartView | None:
    pt = table(published, "first_contact_by_organisation")
    if pt is None or not pt.table.rows:
        return None
    title = "Eerste contact per organisatie: binnen 3 werkdagen of later"
    return stacked_view(pt, "eerste-contact", "grafiek-eerste-contact", title, published.threshold, totals=True)


def all_charts(published: PublishedReport, today: date | None = None) -> list[ChartView]:
    made = (
        questions_chart(published),
        time_chart(published),
        utilisation_chart(published, today),
        first_contact_chart(published),
        signals_chart(published),
    )
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
    return statistic_text(found, published.threshold)


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
    lines += first_contact_summary(published)
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


def first_contact_summary(published: PublishedReport) -> list[str]:
    """How soon supporters first reached residents, in a sentence or two (only figures that may be shown)."""
    threshold = published.threshold
    lines = []
    share = _statistic_words(published, "first_contact_within_rate")
    if share:
        lines.append(f"Bij {share} van de koppelingen was er binnen 3 werkdagen contact met de inwoner.")
    elif (found := statistic(published, "first_contact_within_rate")) is not None and found.counts != (0, 0):
        lines.append(
            "Hoeveel inwoners binnen 3 werkdagen contact hadden, noemen we niet: het gaat om te weinig mensen."
        )
    days = _statistic_words(published, "first_contact_working_days_median")
    if days:
        lines.append(f"De helft van de inwoners had binnen {days} contact met hun ondersteuner.")
    elif (found := statistic(published, "first_contact_working_days_median")) is not None and found.small(threshold):
        lines.append(
            f"Minder dan {threshold} inwoners hadden al contact; daarom noemen we geen tijd tot het eerste contact."
        )
    return lines
