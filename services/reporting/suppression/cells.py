"""A published report as ``StatisticsPublished`` cells: every figure as it may be shown, tables first."""

from __future__ import annotations

from contracts.events import StatisticCell
from services.reporting.suppression.table import Key, PublishedReport, one_dimensional
from services.reporting.tables import SINGLE, TOTAL, PublishedTable, Shown, Statistic

#: The ``table`` of statistics in :func:`cells`, and the ``column`` they use.
STATISTICS_TABLE = "statistics"

STATISTICS_COLUMN = "value"


def cells(published: PublishedReport) -> list[StatisticCell]:
    """Every figure of ``published`` as ``StatisticsPublished`` cells, tables first, then statistics.

    A one-dimensional table gives ``(row, "n")`` per row and ``("total", "n")``; a two-dimensional one
    gives every cell, ``(row, "total")``, ``("total", column)`` and ``("total", "total")``.
    """
    result = [cell for table in published.tables for cell in table_cells(table)]
    result.extend(statistic_cell(s, published.threshold) for s in published.report.statistics)
    return result


def table_cells(published: PublishedTable) -> list[StatisticCell]:
    table = published.table
    figures_shown: list[tuple[Key, Shown]] = [(key, shown) for key, shown in published.cells.items()]
    if one_dimensional(table):
        figures_shown.append(((TOTAL, SINGLE), published.total))
    else:
        figures_shown += [((r, TOTAL), shown) for r, shown in published.row_totals.items()]
        figures_shown += [((TOTAL, c), shown) for c, shown in published.column_totals.items()]
        figures_shown.append(((TOTAL, TOTAL), published.total))
    return [
        StatisticCell(
            table=table.key,
            row=row,
            column=column,
            value=None if shown.suppressed else shown.value,
            display=shown.display,
            suppressed=shown.suppressed,
            suppression=shown.suppression,
        )
        for (row, column), shown in figures_shown
    ]


def statistic_cell(statistic: Statistic, threshold: int) -> StatisticCell:
    hidden = statistic.hidden(threshold)
    return StatisticCell(
        table=STATISTICS_TABLE,
        row=statistic.key,
        column=STATISTICS_COLUMN,
        value=None if hidden else statistic.value,
        display=statistic.display(threshold),
        suppressed=hidden,
        suppression=statistic.suppression(threshold),
    )
