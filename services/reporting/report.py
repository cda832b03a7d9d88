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

from datetime import UTC, datetime

import asyncpg

from contracts.codes import MUNICIPALITIES
from services.kit.db import Conn
from services.reporting import suppression
from services.reporting.figures import assignments as assignment_figures
from services.reporting.figures import participation as participation_figures
from services.reporting.figures import questions as question_figures
from services.reporting.figures.overview import OverviewFigures, overview_figures
from services.reporting.periods import Window, window
from services.reporting.store import assignments, participation, questions
from services.reporting.store import overview as overview_store
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


async def published_reports(
    pool: asyncpg.Pool, period: Period, threshold: int, *, now: datetime | None = None
) -> dict[str | None, PublishedReport]:
    """The suppressed reports of the region (``None``) and every municipality over ``period``, suppressed
    together so that no combination of them reveals a hidden count."""
    reports = await build_reports(pool, period, now=now)
    return suppression.publish_linked(reports, threshold, MIRRORED_STATISTICS, SAME_COUNTS)


async def published_report(
    pool: asyncpg.Pool, area: str | None, period: Period, threshold: int, *, now: datetime | None = None
) -> PublishedReport:
    """The suppressed report of ``area``: its slice of :func:`published_reports`."""
    return (await published_reports(pool, period, threshold, now=now))[area]


async def build_reports(pool: asyncpg.Pool, period: Period, *, now: datetime | None = None) -> dict[str | None, Report]:
    """The raw reports of the region (``None``) and every municipality, from one snapshot."""
    moment = now or datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        return {area: await report_of(conn, window(area, period, moment)) for area in (None, *MUNICIPALITIES)}


async def build_report(pool: asyncpg.Pool, area: str | None, period: Period, *, now: datetime | None = None) -> Report:
    """Every table and statistic for ``area`` (a CBS code; ``None``: the region) over ``period``.

    Raw counts: suppress them with the other areas' reports (:func:`published_report`) before they
    leave the service.
    """
    win = window(area, period, now or datetime.now(UTC))
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        return await report_of(conn, win)


async def report_of(conn: Conn, win: Window) -> Report:
    """The report of ``win``, read on ``conn`` (in the caller's snapshot)."""
    area, args = win.area, win.args
    tables = [
        *question_figures.question_tables(win, await questions.question_counts(conn, *args)),
        question_figures.waiting_by_age(await questions.waiting_by_age(conn, area, win.now)),
        assignment_figures.assignments_by_organisation(await assignments.active_by_organisation(conn, area)),
        assignment_figures.capacity_by_organisation(await assignments.capacity_by_organisation(conn, area, win.today)),
        assignment_figures.declines_by_reason(await assignments.declines_by_reason(conn, *args)),
        assignment_figures.withdrawals_by_reason(await assignments.withdrawals_by_reason(conn, *args)),
        participation_figures.signals_by_theme(await participation.signals_by_theme(conn, *args)),
        participation_figures.experience_statements(
            await participation.answers(conn, *args),
            await participation.sharing_answer(conn, *args),
            await participation.answering(conn, *args),
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
        return {area: await overview_of(conn, area) for area in (None, *MUNICIPALITIES)}


async def overview_of(conn: Conn, area: str | None) -> OverviewFigures:
    return overview_figures(
        await overview_store.questions(conn, area),
        await overview_store.by_life_domain(conn, area),
        await overview_store.signals(conn, area),
    )
