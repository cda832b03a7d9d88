"""The CSV export of a published report: one row per published cell, for Dutch Excel.

Semicolons between fields and a decimal comma (what Excel expects with Dutch regional settings), a
UTF-8 byte order mark so Excel reads "é" and "–" correctly, and CRLF line ends. The rows are
exactly the published cells (:func:`services.reporting.suppression.cells`): a small figure is ``<10``
(``<threshold>``), a figure hidden only so that a small one cannot be worked out is ``×``, and no true value
of a hidden figure is in the file. Two note rows (table ``toelichting``) at the end explain both markers in
Dutch. Labels that Excel would take for a formula are quoted.
"""

from __future__ import annotations

import csv
import io

from contracts.events import StatisticCell
from services.reporting.suppression import STATISTICS_TABLE, PublishedReport, cells
from services.reporting.tables import SECONDARY, SINGLE, TOTAL, Period, suppressed_text

BOM = "\ufeff"
HEADER = ("tabel", "titel", "rij", "rij_naam", "kolom", "kolom_naam", "waarde")
#: The ``tabel`` of the note rows that explain the markers.
NOTES_TABLE = "toelichting"


def value_text(cell: StatisticCell) -> str:
    """The cell's value for Excel: its marker (``<threshold>`` or ``×``) when suppressed, whole numbers plain,
    else a decimal comma."""
    if cell.suppressed or cell.value is None:
        return cell.display
    if float(cell.value).is_integer():
        return str(int(cell.value))
    return f"{cell.value:.2f}".rstrip("0").replace(".", ",")


def safe_text(text: str) -> str:
    """Text Excel will not run as a formula: a leading ``=``, ``+``, ``-``, ``@`` or tab gets a quote before it."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t") else text


def _names(published: PublishedReport, cell: StatisticCell) -> tuple[str, str, str]:
    """Dutch ``(title, row name, column name)`` of a cell."""
    if cell.table == STATISTICS_TABLE:
        found = next((s for s in published.report.statistics if s.key == cell.row), None)
        title = found.title if found else cell.row
        return "Kengetallen", title, found.unit if found and found.unit else "waarde"
    pt = next((t for t in published.tables if t.table.key == cell.table), None)
    if pt is None:
        return cell.table, cell.row, cell.column
    table = pt.table

    def name(code: str) -> str:
        return "Totaal" if code == TOTAL else "Aantal" if code == SINGLE else table.label(code)

    return table.title, name(cell.row), name(cell.column)


def rows(published: PublishedReport) -> list[tuple[str, ...]]:
    """The export's rows (without the header)."""
    found: list[tuple[str, ...]] = []
    for cell in cells(published):
        title, row_name, column_name = _names(published, cell)
        texts = (cell.table, title, cell.row, row_name, cell.column, column_name)
        found.append((*(safe_text(t) for t in texts), value_text(cell)))
    return found


def notes(threshold: int) -> list[tuple[str, ...]]:
    """The rows that explain the markers, shaped like the other rows (the marker as the row code)."""
    explained = (
        ("small", f"{suppressed_text(threshold)}: minder dan {threshold} mensen."),
        ("secondary", f"{SECONDARY}: verborgen, zodat u een klein aantal niet kunt uitrekenen."),
    )
    return [(NOTES_TABLE, "Toelichting", code, text, "", "", "") for code, text in explained]


def csv_text(published: PublishedReport) -> str:
    """The whole file, byte order mark included."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(HEADER)
    writer.writerows(rows(published))
    writer.writerows(notes(published.threshold))
    return BOM + buffer.getvalue()


def file_name(area: str | None, period: Period) -> str:
    """E.g. ``samenloket-GM0505-2026-07-01-2026-09-30.csv``; ``regio`` for the whole region."""
    return f"samenloket-{area or 'regio'}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
