"""Small-number suppression: what of a report may be shown without revealing a count below the threshold.

Pure rules, no I/O. Every dashboard, export, quarterly report and ``StatisticsPublished`` goes through
:func:`publish` (or :func:`publish_linked`); nothing renders a raw
:class:`~services.reporting.tables.CountTable`. The modules: ``table`` (a table as figures and the
lines between them), ``single`` (one table: primary and secondary suppression, by cost),
``attacker`` (the linear-programming check of what can still be worked out), ``linked`` (areas and
tables suppressed together) and ``cells`` (the published figures as ``StatisticsPublished`` cells).

**Primary suppression.** In a table of people every count with ``0 < n < threshold`` is hidden:
cells, row totals, column totals and the grand total alike. Zero is shown (it reveals nobody).
Tables that do not count people (``people=False``) are shown as they are.

**Secondary suppression.** A hidden count must not be derivable from what is shown. A table is a
set of *lines*: each row with its row total, each column with its column total, and the totals
row / column with the grand total. In an additive line the parts add up to the total, so a line
with exactly one hidden figure gives it away; the first pass hides a second figure in every such
line (the cheapest shown non-zero one, see below) and repeats until stable.

**Two markers, and an attacker who reads them.** A figure hidden because it is small shows
``<threshold>`` (``<10``); a figure hidden only so that a small one cannot be worked out shows ``×``
(CBS's sign for "geheim"), since it may be large and ``<10`` would be untrue. So the attacker knows
a small hidden figure lies in ``[1, threshold − 1]`` and a secondary one in ``[threshold, ∞)`` (zero is
always shown, except in the one case below). Two hidden cells whose sum is 2 are both 1; a secondary
figure in a line whose other hidden figure is small and whose total is ``threshold + 1`` is pinned to
the threshold; a 2×2 block of hidden cells can be pinned by the totals around it. So the second pass
asks a linear program for the range every hidden figure can take given everything shown and those
bounds (:meth:`AttackerSystem.feasible_range`), and while some figure has only one possible whole value
it hides one more figure in a line of that figure and starts over. This terminates: every round hides
one more figure, and it stops when every figure is hidden.

A small total over as many non-zero small parts as it can hold (``<5`` over four ``<5``) pins them all to
1 even when all non-zero figures are hidden: only then a zero is hidden too, shown as ``<threshold``
(true: it is fewer), and the check no longer assumes a ``<threshold`` figure is non-zero
(:func:`zeros_hidden`). With no zero at all (a table of ``threshold − 1`` people, one per row) every
figure is hidden and the markers still tell each row is 1: the one case honest markers cannot protect.

**Cost.** Which figure goes second is chosen by cost (:func:`cost`): a municipality's figure before the
region's, a figure of one table before one other tables show too (``same``: the number of questions is
the total of several tables, hidden in all of them or in none), a cell before a total (a grand total
last), and among those the smallest. The region's report, read most, keeps its totals and most cells;
the municipalities carry the hiding.

**Non-additive tables** (one person counted in several columns, e.g. a question with two life
domains) have row totals and a grand total that are counts of their own, not sums. Those figures
get primary suppression like any other count. For the lines the attacker knows less: every part
is at most the total, and the total is at most the sum of the parts (everyone is counted in at
least one part). When the figures of such a line happen to add up anyway, we treat the line as an
equation: that gives the attacker more than they can know, so it only errs on the safe side. The
range check works with these inequalities too, so "one hidden cell whose line pins it" is caught
there.

**Linked across areas** (:func:`publish_linked`). The same people are in the region's report and
in their municipality's report, so one table key is suppressed for all areas at once: its figures
are keyed ``(area, row, column)`` and the relations are every area's own lines plus one line per
figure across areas (the region's figure is the sum of the municipalities' figures; a row a
municipality's table does not have counts zero there). When the region holds people of no
municipality the figures do not add up and the line gives only what still holds (the region's
figure is at least each municipality's). Primary suppression, the second-in-line pass and the
range check then run on that joint system, so a figure hidden in one report cannot be derived from
any combination of the published reports of that period. Each report gets its area's slice.

Statistics join where they can be differenced. A rate (``counts == (part, rest)``) times its
base (usually shown elsewhere) gives the part, so its part and rest are suppressed across areas
as a table of their own and the rate is withheld wherever one of them is hidden. A statistic that
*is* a count shown in a table (the waiting list size is the waiting list table's total) is
withheld wherever that figure is hidden (``mirrors``). Medians, p90s and averages reveal no count
by differencing (they are not sums), so they keep their own rule: hidden when ``n`` is small.

The same count in two tables (the number of questions is the total of "per maand", "per gemeente"
and "per stand") is declared by the caller (``same``): those tables are suppressed as one system,
with a line ``figure = figure`` per area, so the count is hidden in all of them or in none.

**What remains.** (1) Counts that are the same but not declared so are linked only through
primary suppression (it depends on the value alone): a secondarily hidden figure may still be
shown in another, undeclared table. (2) Periods: only whole months may be asked (see
``services.reporting.periods``). Reports of overlapping month ranges are suppressed each on their
own, so differencing them (Q1 − January − February = March) is consistent with March's own
suppressed report but is not checked against it: linking every range an audience may ask for is
not feasible. Category tables of a range can therefore reveal a month's small count that March's
own report hides. Only the quarterly ``StatisticsPublished`` leaves the organisation; dashboards
and the API are for named keys.
"""

from services.reporting.suppression.cells import STATISTICS_TABLE, cells
from services.reporting.suppression.linked import Mirrors, Same, publish_linked, suppress_linked
from services.reporting.suppression.single import publish, suppress
from services.reporting.suppression.table import PublishedReport

__all__ = [
    "STATISTICS_TABLE",
    "Mirrors",
    "PublishedReport",
    "Same",
    "cells",
    "publish",
    "publish_linked",
    "suppress",
    "suppress_linked",
]
