"""From the read models to a :class:`~services.reporting.tables.Report`: the figures of one area and period.

Everything is read in one REPEATABLE READ, read-only snapshot, so the tables agree with each other:
the store (:mod:`services.reporting.store`) reads, :mod:`services.reporting.figures` builds the
tables and statistics. Periods are whole calendar months in Dutch time (:mod:`services.reporting.periods`).

What leaves the service is never a :class:`Report` but a suppressed one, built by
:func:`published_reports` / :func:`published_report`: the region and every municipality of the
period are built in one snapshot and suppressed together (``suppression.publish_linked``), so no
combination of the region's and the municipalities' reports reveals a hidden count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

import asyncpg

from services.kit.db import Conn
from services.kit.dutch import today
from services.kit.region import current_region
from services.reporting import suppression
from services.reporting.figures import assignments as assignment_figures
from services.reporting.figures import by_organisation as organisation_figures
from services.reporting.figures import outcomes as outcome_figures
from services.reporting.figures import participation as participation_figures
from services.reporting.figures import questions as question_figures
from services.reporting.figures.advices import AdviceLine, advice_lines
from services.reporting.figures.overview import OverviewFigures, overview_figures
from services.reporting.periods import Window, window
from services.reporting.store import advice as advice_store
from services.reporting.store import assignments, outcomes, participation, questions
from services.reporting.store import overview as overview_store
from services.reporting.store.grouped import AreaReader
from services.reporting.suppression import PublishedReport
from services.reporting.tables import SINGLE, TOTAL, Period, Report

#: Statistics that equal a table figure: hidden wherever linked suppression hides that figure.
MIRRORED_STATISTICS: suppression.Mirrors = {
    "waiting_list_size": ("waiting_by_age", (TOTAL, SINGLE)),
    "utilisation_percent": ("assignments_by_organisation", (TOTAL, TOTAL)),
}


#: Figures of different tables that count the same people: suppressed as one, hidden in all or none.
SAME_COUNTS: tuple[suppression.Same, ...] = (
    # Every question received in the period.
    (
        ("questions_by_month", (TOTAL, SINGLE)),
        ("questions_by_municipality", (TOTAL, SINGLE)),
        ("questions_by_status", (TOTAL, SINGLE)),
    ),
    # Every complete question received in the period.
    (
        ("questions_by_channel", (TOTAL, SINGLE)),
        ("questions_by_referrer", (TOTAL, SINGLE)),
        ("questions_by_found_via", (TOTAL, SINGLE)),
        ("representativeness_by_age_band", (TOTAL, "supported")),
    ),
)


#: Statistics that follow from several figures of a table (a share of its column totals): withheld wherever
#: one of those figures is hidden, so the statistic cannot give a hidden figure away.
DERIVED_STATISTICS: Mapping[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "first_contact_within_rate": (
        "first_contact_by_kind",
        ((TOTAL, "within"), (TOTAL, "later"), (TOTAL, "missing"), (TOTAL, TOTAL)),
    ),
}

#: Names by id of the organisations that rows may name (supporting and referring ones); empty: ids are shown.
Names = Mapping[str, str]


def same_counts(reports: Mapping[str | None, Report]) -> tuple[suppression.Same, ...]:
    """:data:`SAME_COUNTS`, and the counts the tables of how assignments went share in every area: the same
    assignments per organisation and per supporter kind (every column total and the grand total), and the
    declines by reason (one column of the tables per reason)."""
    found: list[suppression.Same] = list(SAME_COUNTS)
    first = next(iter(reports.values()))
    keys = {t.key for t in first.tables}
    for by_organisation, by_kind in (
        outcome_figures.FIRST_CONTACT_TABLES,
        outcome_figures.DECLINE_TABLES,
        outcome_figures.OUTCOME_TABLES,
    ):
        if not {by_organisation, by_kind} <= keys:
            continue
        columns = sorted({c for r in reports.values() for c in r.table(by_organisation).columns})
        for column in (TOTAL, *columns):
            same: list[tuple[str, tuple[str, ...]]] = [(by_organisation, (TOTAL, column)), (by_kind, (TOTAL, column))]
            if by_organisation == "declines_by_organisation" and "declines_by_reason" in keys:
                same.insert(0, ("declines_by_reason", (column, SINGLE)))  # a reason's row; (TOTAL, n) its total
            found.append(tuple(same))
    return tuple(found)


def with_derived_withheld(published: PublishedReport) -> PublishedReport:
    """``published`` with every :data:`DERIVED_STATISTICS` withheld where one of its figures is hidden."""
    hidden: set[str] = set()
    for key, (table_key, keys) in DERIVED_STATISTICS.items():
        found = next((t for t in published.tables if t.table.key == table_key), None)
        if found is None:
            continue
        shown = {(TOTAL, c): s for c, s in found.column_totals.items()} | {(TOTAL, TOTAL): found.total}
        if any(shown[k].suppressed for k in keys if k in shown):
            hidden.add(key)
    if not hidden:
        return published
    statistics = tuple(replace(s, withheld=True) if s.key in hidden else s for s in published.report.statistics)
    return replace(published, report=replace(published.report, statistics=statistics))


async def published_reports(
    pool: asyncpg.Pool, period: Period, threshold: int, *, now: datetime | None = None, names: Names | None = None
) -> dict[str | None, PublishedReport]:
    """The suppressed reports of the region (``None``) and every municipality over ``period``, suppressed
    together so that no combination of them reveals a hidden count. ``names``: organisations' display names."""
    reports = await build_reports(pool, period, now=now, names=names)
    published = suppression.publish_linked(reports, threshold, MIRRORED_STATISTICS, same_counts(reports))
    return {area: with_derived_withheld(p) for area, p in published.items()}


async def published_report(
    pool: asyncpg.Pool,
    area: str | None,
    period: Period,
    threshold: int,
    *,
    now: datetime | None = None,
    names: Names | None = None,
) -> PublishedReport:
    """The suppressed report of ``area``: its slice of :func:`published_reports`."""
    return (await published_reports(pool, period, threshold, now=now, names=names))[area]


async def build_reports(
    pool: asyncpg.Pool, period: Period, *, now: datetime | None = None, names: Names | None = None
) -> dict[str | None, Report]:
    """The raw reports of the region (``None``) and every municipality, from one snapshot."""
    moment = now or datetime.now(UTC)
    areas = (None, *current_region().municipality_names)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        reader = AreaReader(conn)
        # Every area's report side by side: each statement runs once for all of them, grouped by area.
        built = await reader.each(
            areas, lambda area: report_of(cast(Conn, reader), window(area, period, moment), names)
        )
    return dict(zip(areas, built, strict=True))


async def build_reports_one_by_one(
    pool: asyncpg.Pool, period: Period, *, now: datetime | None = None, names: Names | None = None
) -> dict[str | None, Report]:
    """What :func:`build_reports` answers, read area by area (each statement once per area): the rule the
    grouped reading must equal (its test compares them)."""
    moment = now or datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        return {
            area: await report_of(conn, window(area, period, moment), names)
            for area in (None, *current_region().municipality_names)
        }


async def build_report(
    pool: asyncpg.Pool, area: str | None, period: Period, *, now: datetime | None = None, names: Names | None = None
) -> Report:
    """Every table and statistic for ``area`` (a CBS code; ``None``: the region) over ``period``.

    Raw counts: suppress them with the other areas' reports (:func:`published_report`) before they
    leave the service.
    """
    win = window(area, period, now or datetime.now(UTC))
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        return await report_of(conn, win, names)


async def report_of(conn: Conn, win: Window, names: Names | None = None) -> Report:
    """The report of ``win``, read on ``conn`` (in the caller's snapshot); ``names`` name organisations."""
    area, args = win.area, win.args
    names = names or {}
    tables = [
        *question_figures.question_tables(win, await questions.question_counts(conn, *args), names),
        question_figures.waiting_by_age(await questions.waiting_by_age(conn, area, win.now)),
        assignment_figures.assignments_by_organisation(await assignments.active_by_organisation(conn, area), names),
        assignment_figures.capacity_by_organisation(
            await assignments.capacity_by_organisation(conn, area, win.today), names
        ),
        assignment_figures.declines_by_reason(await assignments.declines_by_reason(conn, *args)),
        *outcome_figures.first_contact_tables(
            await outcomes.first_contact_by_organisation(conn, *args, win.today),
            await outcomes.first_contact_by_kind(conn, *args, win.today),
            names,
        ),
        *outcome_figures.decline_tables(
            await outcomes.declines_by_organisation(conn, *args),
            await outcomes.declines_by_kind(conn, *args),
            await outcomes.decline_texts(conn, *args),
            names,
        ),
        *outcome_figures.outcome_tables(
            await outcomes.outcomes_by_organisation(conn, *args), await outcomes.outcomes_by_kind(conn, *args), names
        ),
        assignment_figures.withdrawals_by_reason(await assignments.withdrawals_by_reason(conn, *args)),
        participation_figures.signals_by_theme(await participation.signals_by_theme(conn, *args)),
        participation_figures.experience_statements(
            await participation.answers(conn, *args),
            await participation.sharing_answer(conn, *args),
            await participation.answering(conn, *args),
        ),
        *organisation_figures.experience_tables(
            await participation.scores_by_organisation(conn, *args),
            await participation.statements_by_organisation(conn, *args),
            names,
        ),
        *participation_figures.representativeness(
            area,
            await questions.supported_people(conn, *args),
            [
                *await participation.sharing_people(conn, *args),
                *await participation.meeting_residents(conn, area, win.period.start, win.period.end),
            ],
        ),
    ]
    statistics = [
        *question_figures.speed_statistics(
            await questions.hours_to_assigned(conn, *args), await questions.hours_to_accepted(conn, *args)
        ),
        *question_figures.waiting_statistics(*await questions.waiting_now(conn, area, win.now)),
        question_figures.consultation_rate(*await questions.consultations(conn, *args)),
        assignment_figures.decline_rate(*await assignments.declines(conn, *args)),
        *outcome_figures.first_contact_statistics(*await outcomes.first_contact(conn, *args, win.today)),
        participation_figures.signal_days_to_answer(await participation.days_to_answer(conn, *args)),
        participation_figures.experience_score(*await participation.score(conn, *args)),
        assignment_figures.utilisation(
            await assignments.active(conn, area), await assignments.capacity(conn, area, win.today)
        ),
    ]
    monthly = await questions.monthly_hours_to_assigned(conn, *args)
    trends = {"hours_to_assigned_median": question_figures.monthly_hours_to_assigned(win, monthly)}
    return Report(win.area, win.period, tuple(tables), tuple(statistics), trends)


# --- the all-time overview (GET /api/v1/reports/overview) -----------------------------------------


async def overview(pool: asyncpg.Pool, area: str | None) -> OverviewFigures:
    """All-time figures for one municipality, or the region; one read-only snapshot."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        return await overview_of(conn, area)


async def overviews(pool: asyncpg.Pool) -> dict[str | None, OverviewFigures]:
    """All-time figures of the region (``None``) and every municipality, from one snapshot: what linked
    suppression of the overview needs (the region's figures are the sum of the municipalities')."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        figures: dict[str | None, OverviewFigures] = {None: await overview_of(conn, None)}
        questions = await overview_store.questions_by_area(conn)
        domains = await overview_store.by_life_domain_by_area(conn)
        signals = await overview_store.signals_by_area(conn)
    for area in current_region().municipality_names:
        figures[area] = overview_figures(
            questions.get(area, overview_store.NO_QUESTIONS), domains.get(area, {}), signals.get(area, 0)
        )
    return figures


async def overview_of(conn: Conn, area: str | None) -> OverviewFigures:
    return overview_figures(
        await overview_store.questions(conn, area),
        await overview_store.by_life_domain(conn, area),
        await overview_store.signals(conn, area),
    )


# --- councils' advices (listed, not counted) ---------------------------------------------------------


async def advices(pool: asyncpg.Pool, area: str | None, period: Period, names: Names | None = None) -> list[AdviceLine]:
    """The advices given or answered in ``period`` in ``area`` (a municipality: with the region's)."""
    rows = await advice_store.advices_of(pool, area, period.start, period.end)
    return advice_lines(rows, names or {}, today())
