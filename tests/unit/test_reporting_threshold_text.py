"""A suppressed figure says the configured threshold: "<5" at threshold 5, "<10" by default, everywhere."""

from __future__ import annotations

import re

import pytest

from services.reporting import charts, export, views, web
from services.reporting.suppression import cells, publish
from services.reporting.tables import DEFAULT_THRESHOLD, SUPPRESSED, Shown, Statistic, suppressed_text
from tests.support.reporting_sample import sample_report


def test_the_default_threshold_still_shows_less_than_ten() -> None:
    assert DEFAULT_THRESHOLD == 10
    assert SUPPRESSED == suppressed_text(10) == "<10"
    assert Shown(None, suppressed=True).display == "<10"
    assert Statistic("s", "S", 4.0, (3,)).display(10) == "<10"


def test_shown_and_statistics_say_the_threshold_they_were_hidden_with() -> None:
    assert Shown(None, suppressed=True, threshold=5).display == "<5"
    assert Shown(7, threshold=5).display == "7"
    median = Statistic("median", "Mediaan", 12.5, (4,), unit="uur")
    assert median.display(5) == "<5"
    assert median.display(4) == "12,5 uur"
    assert views.percent(Shown(None, suppressed=True, threshold=5), Shown(40)) == "<5"
    assert views.in_words(Shown(None, suppressed=True, threshold=5), 5) == "minder dan 5"


def all_texts(threshold: int) -> dict[str, list[str]]:
    """Every place a published figure is put into words, for the sample report at ``threshold``."""
    published = publish(sample_report(), threshold)
    table_texts = [v for view in views.count_tables(published) for _, row in view.rows for v in row]
    share_texts = [v for view in views.share_tables(published) for _, row in view.rows for v in row]
    chart_views = views.all_charts(published)
    return {
        "tiles": [t.display for t in views.tiles(published)],
        "tables": table_texts + [v for view in views.count_tables(published) for v in view.totals or ()],
        "shares": share_texts,
        "statistics": [row[0] for _, row in views.statistics_view(published).rows],
        "chart data": [v for c in chart_views for _, row in c.data.rows for v in row],
        "chart svg": [c.svg for c in chart_views],
        "cells": [c.display for c in cells(published)],
        "csv": [export.csv_text(published)],
        "summary": views.summary(published, "Dordrecht"),
    }


@pytest.mark.parametrize("threshold", [5, 10])
def test_every_rendering_of_a_hidden_figure_says_the_threshold(threshold: int) -> None:
    texts = all_texts(threshold)
    hidden, other = f"<{threshold}", "<10" if threshold != 10 else "<5"
    for place in ("tiles", "tables", "statistics", "chart data", "cells"):
        assert hidden in texts[place], f"no hidden figure in the {place}: {texts[place]}"
    for place in ("tiles", "tables", "shares", "statistics", "chart data", "cells"):
        assert other not in texts[place], f"{other} in the {place}: {texts[place]}"
    for svg in texts["chart svg"]:
        assert other not in svg
    assert any(hidden.replace("<", "&lt;") in svg for svg in texts["chart svg"])
    assert hidden in texts["csv"][0] and other not in texts["csv"][0]
    sentences = " ".join(texts["summary"])
    assert f"minder dan {threshold} " in sentences or f"Minder dan {threshold} " in sentences, sentences
    assert not re.search(rf"minder dan (?!{threshold}\b)\d+", sentences, re.IGNORECASE), sentences


def test_a_hatched_bar_names_the_threshold_in_its_tooltip() -> None:
    bar = charts.shown_bar("aug", Shown(None, suppressed=True, threshold=5))
    assert (bar.value, bar.display, bar.suppressed) == (None, "<5", True)
    svg = charts.bar_chart("c", "Vragen", [bar, charts.Bar("jul", 40.0, "40")], threshold=5)
    assert "<title>aug: &lt;5 (te weinig om te tonen)</title>" in svg


def test_the_page_marks_hidden_figures_at_any_threshold() -> None:
    published = publish(sample_report(), 5)
    template = web.environment().from_string(
        '{% from "_figures.html" import data_table with context %}{{ data_table(view) }}'
    )
    html = template.render(view=views.count_tables(published, ("questions_by_month",))[0], suppressed="<5")
    assert re.findall(r'<td class="hidden-figure">([^<]*)</td>', html) == ["&lt;5", "×"], (
        html
    )  # aug 3 small, sep 7 beside it
    assert re.findall(r"<td>([^<]*)</td>", html) == ["40", "50"], html


def test_a_figure_hidden_beside_a_small_one_says_so_everywhere() -> None:
    """A secondary figure may be large: it shows "×", never an untrue "<10"."""
    shown = Shown(None, suppressed=True, threshold=10, secondary=True)
    assert (shown.display, shown.suppression) == ("×", "secondary")
    assert views.in_words(shown, 10) == "een verborgen aantal"
    bar = charts.shown_bar("sep", shown)
    assert (bar.value, bar.display, bar.suppressed) == (None, "×", True)
    svg = charts.bar_chart("c", "Vragen", [bar, charts.Bar("jul", 40.0, "40")], threshold=10)
    assert 'class="bar suppressed"' in svg
    assert "<title>sep: × (verborgen, zodat u een klein aantal niet kunt uitrekenen)</title>" in svg
    withheld = Statistic("rate", "Naar overleg", 30.0, (12, 28), "%", withheld=True)
    assert (withheld.display(10), withheld.suppression(10)) == ("×", "secondary")
    assert Statistic("s", "S", 4.0, (3,), withheld=True).display(10) == "<10"  # small wins: it is small
