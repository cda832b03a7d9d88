"""The CSV export: Dutch Excel reads it, one row per published cell, no small count in it."""

from __future__ import annotations

import csv
import io

import pytest

from services.reporting import export
from services.reporting.suppression import cells, publish
from tests.support.reporting_sample import PERIOD, SMALL_COUNTS, sample_report


def parse(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


@pytest.mark.parametrize("threshold", [5, 10])
def test_the_csv_parses_has_one_row_per_published_cell_and_hides_small_counts(threshold: int) -> None:
    published = publish(sample_report(), threshold)
    text = export.csv_text(published)
    assert "\r\n" in text
    parsed = parse(text)
    assert list(parsed[0]) == list(export.HEADER)
    rows, notes = parsed[:-2], parsed[-2:]
    published_cells = cells(published)
    assert len(rows) == len(published_cells)
    assert [(r["tabel"], r["rij"], r["kolom"]) for r in rows] == [(c.table, c.row, c.column) for c in published_cells]
    # The notes at the end explain both markers in Dutch.
    assert [(n["tabel"], n["rij"], n["rij_naam"]) for n in notes] == [
        ("toelichting", "small", f"<{threshold}: minder dan {threshold} mensen."),
        ("toelichting", "secondary", "×: verborgen, zodat u een klein aantal niet kunt uitrekenen."),
    ]

    people = {pt.table.key for pt in published.tables if pt.table.people}
    hidden_text = f"<{threshold}"  # "<10" at the default threshold, "<5" at 5
    for row in rows:
        if row["tabel"] in people and row["waarde"] not in (hidden_text, "×"):
            value = int(row["waarde"])
            assert value == 0 or value >= threshold, row
    hidden = [r for r in rows if r["waarde"] == hidden_text]
    assert hidden, "the sample has small counts"
    by_cell = {(c.table, c.row, c.column): c for c in published_cells}
    for row in rows:  # "<10" only for a small count, "×" only for one hidden beside it
        cell = by_cell[(row["tabel"], row["rij"], row["kolom"])]
        marker = {"small": hidden_text, "secondary": "×", None: row["waarde"]}[cell.suppression]
        assert row["waarde"] == marker, row
    assert not [r for r in rows if r["waarde"].startswith("<") and r["waarde"] != hidden_text]
    august = next(r for r in rows if (r["tabel"], r["rij"]) == ("questions_by_month", "2026-08"))
    assert august["waarde"] == hidden_text and august["rij_naam"] == "2026-08"

    # Tables that do not count people keep their small numbers, as they are.
    signal = next(
        r for r in rows if (r["tabel"], r["rij"], r["kolom"]) == ("signals_by_theme", "rules", "acknowledged")
    )
    assert (signal["waarde"], signal["rij_naam"], signal["kolom_naam"]) == ("1", "Regels", "in behandeling")


def test_names_totals_and_statistics_are_in_dutch_with_a_decimal_comma() -> None:
    rows = parse(export.csv_text(publish(sample_report(), 10)))
    by_key = {(r["tabel"], r["rij"], r["kolom"]): r for r in rows}
    total = by_key[("questions_by_month", "total", "n")]
    assert (total["titel"], total["rij_naam"], total["kolom_naam"], total["waarde"]) == (
        "Vragen per maand",
        "Totaal",
        "Aantal",
        "50",
    )
    wmo = by_key[("questions_by_life_domain", "wmo", "n")]
    assert (wmo["rij_naam"], wmo["waarde"]) == ("Hulp en zorg thuis (Wmo)", "30")
    median = by_key[("statistics", "hours_to_assigned_median", "value")]
    assert (median["titel"], median["rij_naam"], median["kolom_naam"], median["waarde"]) == (
        "Kengetallen",
        "Tijd tot een ondersteuner (mediaan)",
        "uur",
        "12,5",
    )
    assert by_key[("statistics", "experience_score_average", "value")]["waarde"] == "<10"  # 7 people
    assert by_key[("statistics", "waiting_list_size", "value")]["waarde"] == "<10"


def test_no_small_true_value_hides_behind_a_suppressed_cell() -> None:
    text = export.csv_text(publish(sample_report(), 10))
    for row in parse(text):
        if row["tabel"] in ("questions_by_month", "questions_by_life_domain", "representativeness_by_age_band"):
            assert row["waarde"] not in {str(n) for n in SMALL_COUNTS}, row


def test_the_file_name_says_the_area_and_the_period() -> None:
    assert export.file_name("GM0505", PERIOD) == "samenloket-GM0505-2026-07-01-2026-09-30.csv"
    assert export.file_name(None, PERIOD) == "samenloket-regio-2026-07-01-2026-09-30.csv"


def test_labels_excel_would_run_as_a_formula_are_quoted() -> None:
    assert export.safe_text('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert [export.safe_text(t) for t in ("+31", "-1", "@a", "Wmo", "2026-04")] == [
        "'+31",
        "'-1",
        "'@a",
        "Wmo",
        "2026-04",
    ]
