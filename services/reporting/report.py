"""From the read models to a :class:`~services.reporting.tables.Report`: the figures of one area and period.

Everything is read in one REPEATABLE READ, read-only snapshot, so the tables agree with each other.
Periods are whole calendar months in Dutch time (Europe/Amsterdam): a question received at 00:30 on
1 April counts in April. Only whole months may be asked (:func:`month_error`): two periods a day
apart would otherwise give away one day's questions by category.

What leaves the service is never a :class:`Report` but a suppressed one, built by
:func:`published_reports` / :func:`published_report`: the region and every municipality of the
period are built in one snapshot and suppressed together (``suppression.publish_linked``), so no
combination of the region's and the municipalities' reports reveals a hidden count.

"Now" figures (the waiting list, active assignments, capacity) describe the
moment of the snapshot, whatever the period. The waiting list also counts a question whose every
assignment was declined and that waits again, though its status (from its earliest milestones, see
:mod:`services.reporting.domain`) still says it once got a supporter. The keys of tables and
statistics are an interface: the dashboard, the CSV export and ``StatisticsPublished`` name them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg

from contracts.codes import AGE_BANDS, CHANNELS, LIFE_DOMAINS, MUNICIPALITIES, SUPPORTER_KINDS
from contracts.labels import (
    AGE_BAND_LABELS,
    AGREEMENT_LABELS,
    CHANNEL_LABELS,
    FOUND_VIA_LABELS,
    LIFE_DOMAIN_LABELS,
    QUESTION_STATUS_LABELS,
    SIGNAL_STATUS_LABELS,
    SIGNAL_THEME_LABELS,
    STATEMENT_LABELS,
    SUPPORTER_KIND_LABELS,
)
from contracts.events import ExperienceStatements
from services.kit.db import Conn
from services.kit.dutch import DUTCH_TIME
from services.reporting import suppression
from services.reporting.domain import SIGNAL_STATUSES, STATUSES
from services.reporting.suppression import PublishedReport
from services.reporting.tables import SINGLE, TOTAL, CountTable, Period, Report, Statistic

ZONE = DUTCH_TIME
UNKNOWN = "unknown"
NOT_KNOWN = "Niet bekend"
SELF = "self"

AGREEMENT = ("agree", "neutral", "disagree")
STATEMENTS = tuple(ExperienceStatements.model_fields)
WAITING_AGES = ("lt_1w", "1_2w", "2_4w", "ge_4w")
WAITING_AGE_LABELS = {
    "lt_1w": "Korter dan 1 week",
    "1_2w": "1 tot 2 weken",
    "2_4w": "2 tot 4 weken",
    "ge_4w": "4 weken of langer",
}
PARTICIPATION = ("supported", "took_part")
PARTICIPATION_LABELS = {"supported": "Geholpen", "took_part": "Deden mee"}


@dataclass(frozen=True)
class Window:
    """The query parameters every figure shares: area, the period as moments, and now."""

    area: str | None
    start: datetime
    end: datetime
    period: Period
    now: datetime

    @property
    def args(self) -> tuple[str | None, datetime, datetime]:
        return (self.area, self.start, self.end)


def window(area: str | None, period: Period, now: datetime) -> Window:
    return Window(area, day_start(period.start), day_start(period.end + timedelta(days=1)), period, now)


def day_start(day: date) -> datetime:
    """Midnight of ``day`` in Dutch time."""
    return datetime.combine(day, time(), ZONE)


def months_in(period: Period) -> tuple[str, ...]:
    months = []
    year, month = period.start.year, period.start.month
    while (year, month) <= (period.end.year, period.end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(months)


def quarter_of(day: date) -> Period:
    """The calendar quarter that holds ``day``."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    next_start = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    return Period(start, next_start - timedelta(days=1))


def current_quarter(now: datetime | None = None) -> Period:
    return quarter_of((now or datetime.now(UTC)).astimezone(ZONE).date())


def month_error(period: Period) -> tuple[str, str] | None:
    """``("from" | "to", why)`` when ``period`` is not whole calendar months, else ``None``."""
    if period.start.day != 1:
        return "from", f"'from' ({period.start}) must be the first day of a month"
    if (period.end + timedelta(days=1)).day != 1:
        return "to", f"'to' ({period.end}) must be the last day of a month"
    return None


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
    tables = [
        *await question_tables(conn, win),
        await waiting_by_age(conn, win),
        await assignments_by_organisation(conn, win),
        await capacity_by_organisation(conn, win),
        await declines_by_reason(conn, win),
        await signals_by_theme(conn, win),
        await experience_statements(conn, win),
        *await representativeness(conn, win),
    ]
    statistics = [
        *await speed_statistics(conn, win),
        *await waiting_statistics(conn, win),
        await consultation_rate(conn, win),
        await decline_rate(conn, win),
        await signal_days_to_answer(conn, win),
        await experience_score(conn, win),
        await utilisation(conn, win),
    ]
    trends = {"hours_to_assigned_median": await monthly_hours_to_assigned(conn, win)}
    return Report(win.area, win.period, tuple(tables), tuple(statistics), trends)


# --- questions ------------------------------------------------------------------------------------

#: Questions received in the window, in the area ($1 area, $2 start, $3 end).
_QUESTIONS = (
    "question_facts q WHERE ($1::text IS NULL OR q.municipality = $1) AND q.received_at >= $2 AND q.received_at < $3"
)


async def count_by(conn: Conn, key: str, source: str, *args: Any) -> dict[str, int]:
    """``{key value: count}`` of the rows of ``source`` (a FROM … WHERE … clause); NULL keys are left out."""
    rows = await conn.fetch(f"SELECT {key} AS k, count(*) AS n FROM {source} GROUP BY 1", *args)
    return {row["k"]: row["n"] for row in rows if row["k"] is not None}


async def count_by_pair(
    conn: Conn, row_key: str, column_key: str, source: str, *args: Any
) -> dict[tuple[str, str], int]:
    rows = await conn.fetch(
        f"SELECT {row_key} AS r, {column_key} AS c, count(*) AS n FROM {source} GROUP BY 1, 2", *args
    )
    return {(row["r"], row["c"]): row["n"] for row in rows if row["r"] is not None and row["c"] is not None}


def one_dimensional(
    key: str, title: str, row_label: str, rows: Iterable[str], counts: Mapping[str, int], labels: Mapping[str, str]
) -> CountTable:
    return CountTable(
        key=key,
        title=title,
        row_label=row_label,
        rows=tuple(rows),
        counts={(row, SINGLE): n for row, n in counts.items()},
        labels=dict(labels),
    )


async def question_tables(conn: Conn, win: Window) -> list[CountTable]:
    args = win.args
    months = months_in(win.period)
    by_month = await count_by(
        conn, "to_char(q.received_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM')", _QUESTIONS, *args
    )
    by_domain = await count_by(conn, "d", _QUESTIONS.replace("q WHERE", "q, unnest(q.life_domains) d WHERE"), *args)
    with_domains = await conn.fetchval(f"SELECT count(*) FROM {_QUESTIONS} AND q.life_domains IS NOT NULL", *args)
    complete = f"{_QUESTIONS} AND q.complete"
    by_channel = await count_by(conn, "q.channel", complete, *args)
    by_referrer = await count_by(conn, f"coalesce(q.referrer, '{SELF}')", complete, *args)
    by_found_via = await count_by(conn, f"coalesce(q.found_via, '{UNKNOWN}')", complete, *args)
    by_municipality = await count_by(conn, "q.municipality", _QUESTIONS, *args)
    by_status = await count_by(conn, "q.status", _QUESTIONS, *args)
    referrers = [*sorted(set(by_referrer) - {SELF}), SELF]
    areas = [win.area] if win.area else list(MUNICIPALITIES)
    return [
        one_dimensional("questions_by_month", "Vragen per maand", "Maand", months, by_month, {}),
        CountTable(
            key="questions_by_life_domain",
            title="Vragen per leefgebied",
            row_label="Leefgebied",
            rows=tuple(LIFE_DOMAINS),
            counts={(d, SINGLE): n for d, n in by_domain.items()},
            labels=LIFE_DOMAIN_LABELS,
            additive=False,
            row_totals={d: by_domain.get(d, 0) for d in LIFE_DOMAINS},
            column_totals={SINGLE: with_domains},
            grand_total=with_domains,
        ),
        one_dimensional("questions_by_channel", "Vragen per kanaal", "Kanaal", CHANNELS, by_channel, CHANNEL_LABELS),
        one_dimensional(
            "questions_by_referrer",
            "Vragen per verwijzer",
            "Verwijzer",
            referrers,
            by_referrer,
            {SELF: "Zelf aangemeld"},
        ),
        one_dimensional(
            "questions_by_found_via",
            "Hoe vonden inwoners ons?",
            "Gevonden via",
            (*FOUND_VIA_LABELS, UNKNOWN),
            by_found_via,
            FOUND_VIA_LABELS | {UNKNOWN: NOT_KNOWN},
        ),
        one_dimensional(
            "questions_by_municipality", "Vragen per gemeente", "Gemeente", areas, by_municipality, MUNICIPALITIES
        ),
        one_dimensional(
            "questions_by_status", "Vragen per stand van zaken", "Stand", STATUSES, by_status, QUESTION_STATUS_LABELS
        ),
    ]


#: Questions on the waiting list now: waiting and not taken further. A question whose assignments were
#: all declined is waiting again, whatever its earliest milestones say.
_WAITING_NOW = (
    "question_facts q WHERE ($1::text IS NULL OR q.municipality = $1)"
    " AND q.waiting_since IS NOT NULL AND q.ended_at IS NULL"
    " AND (q.consultation_at IS NULL OR q.consultation_at < q.waiting_since)"
    " AND NOT EXISTS (SELECT 1 FROM assignment_facts a WHERE a.question_id = q.question_id"
    " AND a.state IN ('assigned', 'accepted', 'ended'))"
)
_WAITING_SINCE = "coalesce(q.waiting_since, q.received_at)"


async def waiting_by_age(conn: Conn, win: Window) -> CountTable:
    bucket = (
        f"CASE WHEN $2::timestamptz - {_WAITING_SINCE} < interval '7 days' THEN 'lt_1w'"
        f" WHEN $2::timestamptz - {_WAITING_SINCE} < interval '14 days' THEN '1_2w'"
        f" WHEN $2::timestamptz - {_WAITING_SINCE} < interval '28 days' THEN '2_4w' ELSE 'ge_4w' END"
    )
    counts = await count_by(conn, bucket, _WAITING_NOW, win.area, win.now)
    return one_dimensional(
        "waiting_by_age",
        "Wachtlijst nu: hoe lang wachten inwoners al?",
        "Wacht al",
        WAITING_AGES,
        counts,
        WAITING_AGE_LABELS,
    )


async def waiting_statistics(conn: Conn, win: Window) -> list[Statistic]:
    row = await conn.fetchrow(
        f"SELECT count(*) AS n, percentile_cont(0.5) WITHIN GROUP"
        f" (ORDER BY extract(epoch FROM $2::timestamptz - {_WAITING_SINCE}) / 86400) AS median FROM {_WAITING_NOW}",
        win.area,
        win.now,
    )
    assert row is not None
    n = row["n"]
    return [
        Statistic("waiting_list_size", "Inwoners op de wachtlijst", float(n), (n,)),
        Statistic("waiting_days_median", "Wachttijd tot nu (mediaan)", rounded(row["median"]), (n,), "dagen"),
    ]


# --- speed ----------------------------------------------------------------------------------------


async def speed_statistics(conn: Conn, win: Window) -> list[Statistic]:
    found = []
    for milestone, what in (("assigned_at", "assigned"), ("accepted_at", "accepted")):
        n, median, p90 = await hours_percentiles(conn, win, milestone)
        title = "een ondersteuner" if what == "assigned" else "de start van de ondersteuning"
        found += [
            Statistic(f"hours_to_{what}_median", f"Uren tot {title} (mediaan)", median, (n,), "uur"),
            Statistic(f"hours_to_{what}_p90", f"Uren tot {title} (9 van de 10 binnen)", p90, (n,), "uur"),
        ]
    return found


async def hours_percentiles(conn: Conn, win: Window, milestone: str) -> tuple[int, float | None, float | None]:
    hours = f"extract(epoch FROM q.{milestone} - q.received_at) / 3600"
    row = await conn.fetchrow(
        f"SELECT count(*) AS n, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {hours}) AS p"
        f" FROM {_QUESTIONS} AND q.{milestone} IS NOT NULL",
        *win.args,
    )
    assert row is not None
    percentiles = row["p"] or [None, None]
    return row["n"], rounded(percentiles[0]), rounded(percentiles[1])


async def monthly_hours_to_assigned(conn: Conn, win: Window) -> tuple[Statistic, ...]:
    rows = await conn.fetch(
        "SELECT to_char(q.received_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM') AS month, count(*) AS n,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM q.assigned_at - q.received_at) / 3600) AS m"
        f" FROM {_QUESTIONS} AND q.assigned_at IS NOT NULL GROUP BY 1",
        *win.args,
    )
    by_month = {row["month"]: row for row in rows}
    trend = []
    for month in months_in(win.period):
        row = by_month.get(month)
        n, median = (row["n"], rounded(row["m"])) if row else (0, None)
        trend.append(Statistic(month, f"Uren tot een ondersteuner (mediaan), {month}", median, (n,), "uur"))
    return tuple(trend)


async def consultation_rate(conn: Conn, win: Window) -> Statistic:
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE q.consultation_at IS NOT NULL) AS with_c,"
        f" count(*) FILTER (WHERE q.consultation_at IS NULL) AS without_c FROM {_QUESTIONS}",
        *win.args,
    )
    assert row is not None
    return rate("consultation_rate", "Vragen naar gezamenlijk overleg", row["with_c"], row["without_c"])


def rate(key: str, title: str, part: int, rest: int) -> Statistic:
    total = part + rest
    value = rounded(100 * part / total) if total else None
    return Statistic(key, title, value, (part, rest), "%")


# --- assignments and capacity ---------------------------------------------------------------------

_ACTIVE = (
    "assignment_facts a WHERE ($1::text IS NULL OR a.municipality = $1)"
    " AND a.state IN ('assigned', 'accepted') AND a.supporter_kind IS NOT NULL"
)
_AVAILABLE = (
    "supporter_facts s WHERE ($1::text IS NULL OR $1 = ANY(s.municipalities))"
    " AND (s.availability = 'active' OR s.paused_until <= $2)"
)


async def assignments_by_organisation(conn: Conn, win: Window) -> CountTable:
    counts = await count_by_pair(conn, "a.organisation", "a.supporter_kind", _ACTIVE, win.area)
    return CountTable(
        key="assignments_by_organisation",
        title="Lopende ondersteuning per organisatie",
        row_label="Organisatie",
        rows=tuple(sorted({org for org, _ in counts})),
        columns=SUPPORTER_KINDS,
        column_label="Soort ondersteuner",
        counts=counts,
        labels=SUPPORTER_KIND_LABELS,
    )


async def capacity_by_organisation(conn: Conn, win: Window) -> CountTable:
    rows = await conn.fetch(
        f"SELECT s.organisation AS r, s.kind AS c, sum(s.capacity) AS n FROM {_AVAILABLE} GROUP BY 1, 2",
        win.area,
        today(win),
    )
    counts = {(row["r"], row["c"]): int(row["n"]) for row in rows}
    return CountTable(
        key="capacity_by_organisation",
        title="Plaatsen bij beschikbare ondersteuners",
        row_label="Organisatie",
        rows=tuple(sorted({org for org, _ in counts})),
        columns=SUPPORTER_KINDS,
        column_label="Soort ondersteuner",
        counts=counts,
        labels=SUPPORTER_KIND_LABELS,
        people=False,
    )


async def utilisation(conn: Conn, win: Window) -> Statistic:
    active = await conn.fetchval(f"SELECT count(*) FROM {_ACTIVE}", win.area)
    capacity = await conn.fetchval(f"SELECT coalesce(sum(s.capacity), 0) FROM {_AVAILABLE}", win.area, today(win))
    value = rounded(100 * active / capacity) if capacity else None
    return Statistic("utilisation_percent", "Bezetting van de ondersteuners", value, (active,), "%")


def today(win: Window) -> date:
    return win.now.astimezone(ZONE).date()


_DECLINED = (
    "assignment_facts a WHERE ($1::text IS NULL OR a.municipality = $1) AND a.declined_at >= $2 AND a.declined_at < $3"
)


async def declines_by_reason(conn: Conn, win: Window) -> CountTable:
    rows = await conn.fetch(
        f"SELECT a.decline_code AS code, min(a.decline_text) AS text, count(*) AS n FROM {_DECLINED} GROUP BY 1",
        *win.args,
    )
    return one_dimensional(
        "declines_by_reason",
        "Afgewezen koppelingen per reden",
        "Reden",
        sorted(row["code"] for row in rows),
        {row["code"]: row["n"] for row in rows},
        {row["code"]: row["text"] for row in rows},
    )


async def decline_rate(conn: Conn, win: Window) -> Statistic:
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE a.declined_at IS NOT NULL) AS declined,"
        " count(*) FILTER (WHERE a.declined_at IS NULL) AS kept FROM assignment_facts a"
        " WHERE ($1::text IS NULL OR a.municipality = $1) AND a.assigned_at >= $2 AND a.assigned_at < $3",
        *win.args,
    )
    assert row is not None
    return rate("decline_rate", "Koppelingen die werden afgewezen", row["declined"], row["kept"])


# --- signals --------------------------------------------------------------------------------------

_SIGNALS = "signal_facts s WHERE ($1::text IS NULL OR s.municipality = $1) AND s.raised_at >= $2 AND s.raised_at < $3"


async def signals_by_theme(conn: Conn, win: Window) -> CountTable:
    counts = await count_by_pair(conn, "s.theme", "s.status", _SIGNALS, *win.args)
    return CountTable(
        key="signals_by_theme",
        title="Signalen per thema",
        row_label="Thema",
        rows=tuple(SIGNAL_THEME_LABELS),
        columns=SIGNAL_STATUSES,
        column_label="Stand",
        counts=counts,
        labels=SIGNAL_THEME_LABELS | SIGNAL_STATUS_LABELS,
        people=False,
    )


async def signal_days_to_answer(conn: Conn, win: Window) -> Statistic:
    median = await conn.fetchval(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.answered_at - s.raised_at) / 86400)"
        f" FROM {_SIGNALS} AND s.answered_at IS NOT NULL",
        *win.args,
    )
    return Statistic(
        "signal_days_to_answer_median", "Dagen tot een antwoord op een signaal (mediaan)", rounded(median), (), "dagen"
    )


# --- experiences and representativeness ----------------------------------------------------------

_EXPERIENCES = (
    "experience_facts e WHERE ($1::text IS NULL OR e.municipality = $1) AND e.shared_at >= $2 AND e.shared_at < $3"
)


async def experience_statements(conn: Conn, win: Window) -> CountTable:
    counts: dict[tuple[str, str], int] = {}
    for statement in STATEMENTS:
        for answer, n in (await count_by(conn, f"e.{statement}", _EXPERIENCES, *win.args)).items():
            counts[(statement, answer)] = n
    answered_any = " OR ".join(f"e.{s} = $4" for s in STATEMENTS)
    column_totals = {
        answer: await conn.fetchval(f"SELECT count(*) FROM {_EXPERIENCES} AND ({answered_any})", *win.args, answer)
        for answer in AGREEMENT
    }
    any_answer = " OR ".join(f"e.{s} IS NOT NULL" for s in STATEMENTS)
    grand_total = await conn.fetchval(f"SELECT count(*) FROM {_EXPERIENCES} AND ({any_answer})", *win.args)
    return CountTable(
        key="experience_statements",
        title="Wat inwoners vinden van de ondersteuning",
        row_label="Stelling",
        rows=STATEMENTS,
        columns=AGREEMENT,
        column_label="Antwoord",
        counts=counts,
        labels=STATEMENT_LABELS | AGREEMENT_LABELS,
        additive=False,
        row_totals={s: sum(counts.get((s, a), 0) for a in AGREEMENT) for s in STATEMENTS},
        column_totals=column_totals,
        grand_total=grand_total,
    )


async def experience_score(conn: Conn, win: Window) -> Statistic:
    row = await conn.fetchrow(f"SELECT count(*) AS n, avg(e.score) AS average FROM {_EXPERIENCES}", *win.args)
    assert row is not None
    return Statistic("experience_score_average", "Rapportcijfer (gemiddeld)", rounded(row["average"]), (row["n"],))


#: Residents who took part in council meetings held in the period ($2 first day, $3 last day).
_RESIDENT_PARTICIPANTS = """
SELECT p->>'age_band' AS age_band,
       ARRAY(SELECT jsonb_array_elements_text(p->'life_domains')) AS life_domains,
       coalesce(p->>'municipality', m.municipality) AS municipality
  FROM meeting_facts m, jsonb_array_elements(m.participants) p
 WHERE p->>'role' = 'resident' AND m.held_on >= $2 AND m.held_on <= $3
   AND ($1::text IS NULL OR coalesce(p->>'municipality', m.municipality) = $1)
"""


@dataclass(frozen=True)
class Person:
    """One counted person, coarsely: what representativeness compares."""

    age_band: str | None
    life_domains: tuple[str, ...]
    municipality: str | None


async def representativeness(conn: Conn, win: Window) -> list[CountTable]:
    supported = [
        Person(r["age_band"], tuple(r["life_domains"] or ()), r["municipality"])
        for r in await conn.fetch(
            f"SELECT q.age_band, q.life_domains, q.municipality FROM {_QUESTIONS} AND q.complete", *win.args
        )
    ]
    took_part = [
        Person(r["age_band"], tuple(r["life_domains"]), r["municipality"])
        for r in await conn.fetch(f"SELECT e.age_band, e.life_domains, e.municipality FROM {_EXPERIENCES}", *win.args)
    ]
    took_part += [
        Person(r["age_band"], tuple(r["life_domains"]), r["municipality"])
        for r in await conn.fetch(_RESIDENT_PARTICIPANTS, win.area, win.period.start, win.period.end)
    ]
    groups = {"supported": supported, "took_part": took_part}
    areas = [win.area] if win.area else list(MUNICIPALITIES)
    return [
        participation_table(
            "representativeness_by_age_band",
            "Wie deden mee, naar leeftijd",
            "Leeftijd",
            (*AGE_BANDS, UNKNOWN),
            AGE_BAND_LABELS | {UNKNOWN: NOT_KNOWN},
            groups,
            lambda p: (p.age_band or UNKNOWN,),
        ),
        participation_table(
            "representativeness_by_life_domain",
            "Wie deden mee, naar leefgebied",
            "Leefgebied",
            tuple(LIFE_DOMAINS),
            LIFE_DOMAIN_LABELS,
            groups,
            lambda p: p.life_domains,
        ),
        participation_table(
            "representativeness_by_municipality",
            "Wie deden mee, naar gemeente",
            "Gemeente",
            tuple(areas),
            MUNICIPALITIES,
            groups,
            lambda p: (p.municipality,) if p.municipality else (),
        ),
    ]


def participation_table(
    key: str,
    title: str,
    row_label: str,
    rows: tuple[str, ...],
    labels: Mapping[str, str],
    groups: Mapping[str, list[Person]],
    categories: Any,
) -> CountTable:
    """People supported and people who took part, by a category (a person may have several).

    Column totals count each person once, even when they fall in several rows.
    """
    counts: dict[tuple[str, str], int] = {}
    column_totals: dict[str, int] = {}
    for column, people in groups.items():
        counted = 0
        for person in people:
            found = [c for c in categories(person) if c in rows]
            counted += bool(found)
            for category in found:
                counts[(category, column)] = counts.get((category, column), 0) + 1
        column_totals[column] = counted
    return CountTable(
        key=key,
        title=title,
        row_label=row_label,
        rows=rows,
        columns=PARTICIPATION,
        column_label="Groep",
        counts=counts,
        labels=dict(labels) | PARTICIPATION_LABELS,
        additive=False,
        row_totals={row: sum(counts.get((row, c), 0) for c in PARTICIPATION) for row in rows},
        column_totals=column_totals,
        grand_total=sum(column_totals.values()),
    )


def rounded(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


# --- the all-time overview (GET /api/v1/reports/overview) -----------------------------------------


@dataclass(frozen=True)
class OverviewFigures:
    total: int
    by_life_domain: dict[str, int]
    with_life_domains: int
    assigned: int
    waiting: int
    consultation: int
    signals: int
    assigned_measured: int
    median_minutes_received_to_assigned: float | None


_OVERVIEW_QUESTIONS = """
SELECT count(*) AS total,
       count(*) FILTER (WHERE life_domains IS NOT NULL) AS with_life_domains,
       count(*) FILTER (WHERE status IN ('assigned', 'accepted', 'closed')) AS assigned,
       count(*) FILTER (WHERE status = 'waiting') AS waiting,
       count(*) FILTER (WHERE status = 'consultation') AS consultation,
       count(*) FILTER (WHERE assigned_at IS NOT NULL AND received_at IS NOT NULL) AS measured,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM assigned_at - received_at) / 60)
           FILTER (WHERE assigned_at IS NOT NULL AND received_at IS NOT NULL) AS median_minutes
  FROM question_facts
 WHERE $1::text IS NULL OR municipality = $1
"""

_OVERVIEW_DOMAINS = """
SELECT domain, count(*) AS n
  FROM question_facts, unnest(life_domains) AS domain
 WHERE $1::text IS NULL OR municipality = $1
 GROUP BY domain
"""


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
    questions = await conn.fetchrow(_OVERVIEW_QUESTIONS, area)
    domains = await conn.fetch(_OVERVIEW_DOMAINS, area)
    signals = await conn.fetchval(
        "SELECT count(*) FROM signal_facts WHERE raised_at IS NOT NULL AND ($1::text IS NULL OR municipality = $1)",
        area,
    )
    assert questions is not None
    return OverviewFigures(
        total=questions["total"],
        by_life_domain={row["domain"]: row["n"] for row in domains},
        with_life_domains=questions["with_life_domains"],
        assigned=questions["assigned"],
        waiting=questions["waiting"],
        consultation=questions["consultation"],
        signals=signals,
        assigned_measured=questions["measured"],
        median_minutes_received_to_assigned=rounded(questions["median_minutes"]),
    )
