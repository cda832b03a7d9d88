"""What an attacker reads off a published table, shared by the suppression tests' attackers.

Written independently of ``services.reporting.suppression``: only the published figures and their
markers are used.
"""

from __future__ import annotations

from services.reporting.tables import SINGLE, TOTAL, PublishedTable, Shown

#: An upper bound far above any count, so that the attacker's linear programs are never unbounded.
FAR = 1e6


def shown_figures(published: PublishedTable) -> dict[tuple[str, str], Shown]:
    """Every figure of a published table as shown, totals keyed ``(row, "total")``, ``("total", column)``."""
    seen: dict[tuple[str, str], Shown] = dict(published.cells)
    if published.table.columns == (SINGLE,):
        seen[(TOTAL, SINGLE)] = published.total
        return seen
    seen.update({(r, TOTAL): shown for r, shown in published.row_totals.items()})
    seen.update({(TOTAL, c): shown for c, shown in published.column_totals.items()})
    seen[(TOTAL, TOTAL)] = published.total
    return seen


def published_figures(published: PublishedTable) -> dict[tuple[str, str], int | None]:
    """Every figure of a published table as shown; ``None`` when hidden."""
    return {key: shown.value for key, shown in shown_figures(published).items()}


def marker_range(shown: Shown) -> tuple[float, float]:
    """What a hidden figure's marker tells the attacker: ``<10`` is 1 to 9, ``×`` is 10 or more."""
    if shown.display == "×":
        return (shown.threshold, FAR)
    assert shown.display == f"<{shown.threshold}", shown.display
    return (1, shown.threshold - 1)
