"""The report API: suppressed figures for analysts, councils and the municipality (API keys).

``GET /api/v1/reports`` gives every table and statistic of one area and period, as the audience may
see them: a count of fewer people than the threshold shows as ``"<10"`` (``"<threshold>"``) with
``value`` null, and so does any figure from which such a count could be derived.
``GET /api/v1/reports/overview`` gives a few all-time figures, suppressed the same way. Figures about
people are only ever given to a report key, and always suppressed: no token or scope reads them raw.

``GET /api/v1/reports/ingest`` is operational (scope ``operator`` or the services' internal token):
how many events of each type reporting stored and the newest event time, so the benchmark and the
end-to-end check can see that reporting caught up without reading figures (``ingest.py``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from contracts.codes import LIFE_DOMAINS
from services.kit import access
from services.kit.access import Principal
from services.kit.http import same_secret
from services.kit.runtime import Runtime
from services.reporting import periods, report, suppression
from services.reporting.audience import READERS, resolve_area
from services.reporting.figures.advices import AdviceLine
from services.reporting.figures.overview import OverviewFigures
from services.reporting.ingest import Ingest, ingest
from services.reporting.organisations import OrganisationNames
from services.reporting.tables import SINGLE, CountTable, Period, PublishedTable, Shown, Statistic, Suppression

#: The longest period one request may ask for.
MAX_DAYS = 3 * 366

MunicipalityParam = Annotated[
    str | None,
    Query(description="CBS code, e.g. GM0505; leave out for the whole region", examples=["GM0505"]),
]


# --- response models --------------------------------------------------------------------------------


class Figure(BaseModel):
    value: float | None = Field(description="null when suppressed or not measured")
    display: str = Field(
        description="as shown to people: the number, '<threshold>' (e.g. '<10') when small, '×' when hidden only so "
        "that a small figure cannot be worked out, '–' when not measured"
    )
    suppressed: bool
    suppression: Suppression | None = Field(default=None, description="why hidden: small or secondary; null when shown")


class Category(BaseModel):
    code: str
    label: str


class Cell(Figure):
    row: str
    column: str


class TableOut(BaseModel):
    key: str = Field(description="stable key, e.g. questions_by_life_domain")
    title: str
    row_label: str
    column_label: str | None
    rows: list[Category]
    columns: list[Category] = Field(description="one column 'n' for a one-dimensional table")
    people: bool = Field(description="false: not a count of people (capacity, signals); shown as it is")
    cells: list[Cell]
    row_totals: dict[str, Figure]
    column_totals: dict[str, Figure]
    total: Figure


class StatisticOut(Figure):
    key: str
    title: str
    unit: str


class PeriodOut(BaseModel):
    start: date
    end: date = Field(description="last day (inclusive)")


class ReportOut(BaseModel):
    municipality: str | None = Field(description="CBS code; null means the whole region")
    period: PeriodOut
    threshold: int = Field(description="counts of fewer people than this are suppressed")
    tables: list[TableOut]
    statistics: list[StatisticOut]
    trends: dict[str, list[StatisticOut]]
    advices: list[AdviceLine] = Field(default_factory=list, description="councils' advices given or answered")


class QuestionFigures(BaseModel):
    total: int | None = Field(description="questions known, partial ones included; null when suppressed")
    by_life_domain: dict[str, int | None] = Field(description="questions per life domain (a question may have several)")


class Overview(BaseModel):
    municipality: str | None = Field(description="the municipality asked for; null means the whole region")
    questions: QuestionFigures
    assigned: int | None = Field(description="questions that got a supporter (accepted and closed ones included)")
    waiting: int | None = Field(description="questions whose current status is waiting")
    consultation: int | None = Field(description="questions waiting for a joint consultation")
    signals: int = Field(description="signals raised (reports, not people: never suppressed)")
    median_minutes_received_to_assigned: float | None = Field(
        description="median minutes from receipt to first assignment; null when nothing is assigned or suppressed"
    )
    suppressed: list[str] = Field(default_factory=list, description="figures hidden as '<threshold>' (null above)")
    threshold: int = Field(description="counts of fewer people than this are suppressed")


# --- rendering ----------------------------------------------------------------------------------------


def figure(shown: Shown) -> Figure:
    return Figure(
        value=None if shown.suppressed else shown.value,
        display=shown.display,
        suppressed=shown.suppressed,
        suppression=shown.suppression,
    )


def table_out(published: PublishedTable) -> TableOut:
    table = published.table
    return TableOut(
        key=table.key,
        title=table.title,
        row_label=table.row_label,
        column_label=table.column_label,
        rows=[Category(code=r, label=table.label(r)) for r in table.rows],
        columns=[Category(code=c, label=table.label(c)) for c in table.columns],
        people=table.people,
        cells=[Cell(row=r, column=c, **figure(shown).model_dump()) for (r, c), shown in published.cells.items()],
        row_totals={r: figure(shown) for r, shown in published.row_totals.items()},
        column_totals={c: figure(shown) for c, shown in published.column_totals.items()},
        total=figure(published.total),
    )


def statistic_out(statistic: Statistic, threshold: int) -> StatisticOut:
    hidden = statistic.hidden(threshold)
    return StatisticOut(
        key=statistic.key,
        title=statistic.title,
        unit=statistic.unit,
        value=None if hidden else statistic.value,
        display=statistic.display(threshold),
        suppressed=hidden,
        suppression=statistic.suppression(threshold),
    )


def report_out(published: suppression.PublishedReport, advices: list[AdviceLine] | None = None) -> ReportOut:
    source, threshold = published.report, published.threshold
    return ReportOut(
        municipality=source.area,
        period=PeriodOut(start=source.period.start, end=source.period.end),
        threshold=threshold,
        tables=[table_out(t) for t in published.tables],
        statistics=[statistic_out(s, threshold) for s in source.statistics],
        trends={key: [statistic_out(s, threshold) for s in series] for key, series in source.trends.items()},
        advices=advices or [],
    )


def requested_period(start: date | None, end: date | None) -> Period:
    """The period asked for; missing ends come from the current quarter. 422 naming the field when wrong."""
    quarter = periods.current_quarter()
    period = Period(start or quarter.start, end or quarter.end)
    if period.start > period.end:
        raise invalid("from", f"'from' ({period.start}) is after 'to' ({period.end})")
    if (period.end - period.start).days >= MAX_DAYS:
        raise invalid("to", f"the period may be at most {MAX_DAYS} days long")
    if (wrong := periods.month_error(period)) is not None:
        raise invalid(*wrong)
    return period


def invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", field), "msg": message, "type": "value_error"}])


# --- the overview -------------------------------------------------------------------------------------


def overview_tables(figures: OverviewFigures) -> tuple[CountTable, CountTable]:
    """The overview's counts as tables, so suppression sees how they add up."""
    other = figures.total - figures.assigned - figures.waiting - figures.consultation
    by_status = CountTable(
        key="overview_status",
        title="Vragen",
        row_label="Stand",
        rows=("assigned", "waiting", "consultation", "other"),
        counts={
            ("assigned", SINGLE): figures.assigned,
            ("waiting", SINGLE): figures.waiting,
            ("consultation", SINGLE): figures.consultation,
            ("other", SINGLE): other,
        },
    )
    by_domain = CountTable(
        key="overview_life_domains",
        title="Vragen per leefgebied",
        row_label="Leefgebied",
        rows=tuple(LIFE_DOMAINS),
        counts={(d, SINGLE): figures.by_life_domain.get(d, 0) for d in LIFE_DOMAINS},
        additive=False,
        row_totals={d: figures.by_life_domain.get(d, 0) for d in LIFE_DOMAINS},
        column_totals={SINGLE: figures.with_life_domains},
        grand_total=figures.with_life_domains,
    )
    return by_status, by_domain


def suppressed_overview(area: str | None, every_area: dict[str | None, OverviewFigures], threshold: int) -> Overview:
    """The overview of ``area``, suppressed together with every other area's, so that the region's figures
    and the municipalities' cannot be combined into a hidden count."""
    figures = every_area[area]
    status_tables, domain_tables = ({a: overview_tables(f)[i] for a, f in every_area.items()} for i in range(2))
    by_status = suppression.suppress_linked(status_tables, threshold)[area]
    by_domain = suppression.suppress_linked(domain_tables, threshold)[area]
    median = Statistic(
        "median_minutes_received_to_assigned",
        "Minuten tot een ondersteuner (mediaan)",
        figures.median_minutes_received_to_assigned,
        (figures.assigned_measured,),
    )
    shown = {
        "questions.total": by_status.total,
        "assigned": by_status.cell("assigned"),
        "waiting": by_status.cell("waiting"),
        "consultation": by_status.cell("consultation"),
    } | {f"questions.by_life_domain.{d}": by_domain.cell(d) for d in LIFE_DOMAINS}
    hidden = [name for name, s in shown.items() if s.suppressed]
    if median.hidden(threshold):
        hidden.append("median_minutes_received_to_assigned")

    def value(name: str) -> int | None:
        return None if shown[name].suppressed else shown[name].value

    return Overview(
        municipality=area,
        questions=QuestionFigures(
            total=value("questions.total"),
            by_life_domain={d: value(f"questions.by_life_domain.{d}") for d in LIFE_DOMAINS},
        ),
        assigned=value("assigned"),
        waiting=value("waiting"),
        consultation=value("consultation"),
        signals=figures.signals,
        median_minutes_received_to_assigned=None if median.hidden(threshold) else median.value,
        suppressed=hidden,
        threshold=threshold,
    )


# --- the router ---------------------------------------------------------------------------------------


#: Any key that may read reports.
reader = access.require(*READERS)


#: Operational endpoints (no figures about people): an operator's key.
operator = access.require("operator")


async def operator_or_internal(
    request: Request,
    authorization: str | None = Header(default=None),
    x_api_key: str | None = Header(default=None),
) -> None:
    """Admit the services' internal token (bench, end-to-end check), else an API key with scope ``operator``."""
    runtime: Runtime = request.app.state.runtime
    token = runtime.settings.internal_token.get_secret_value()
    if token and authorization is not None and same_secret(authorization, f"Bearer {token}"):
        return
    await operator(request, authorization, x_api_key)


Reader = Annotated[Principal, Depends(reader)]
FromParam = Annotated[
    date | None, Query(alias="from", description="first day of a month; default: this quarter's first")
]
ToParam = Annotated[
    date | None, Query(alias="to", description="last day of a month (inclusive); default: this quarter's last")
]


def router(runtime: Runtime, organisations: OrganisationNames | None = None) -> APIRouter:
    threshold = runtime.settings.suppression_threshold
    api = APIRouter(prefix="/api/v1/reports", tags=["reports"])

    @api.get("", response_model=ReportOut, summary="Every figure of one area and period, suppressed")
    async def full_report(
        principal: Reader, municipality: MunicipalityParam = None, start: FromParam = None, end: ToParam = None
    ) -> ReportOut:
        area = resolve_area(principal, municipality)
        period = requested_period(start, end)
        names = await organisations.names() if organisations else {}
        published = await report.published_report(runtime.db, area, period, threshold, names=names)
        return report_out(published, await report.advices(runtime.db, area, period, names))

    @api.get("/overview", response_model=Overview, summary="A few all-time figures, suppressed")
    async def overview(principal: Reader, municipality: MunicipalityParam = None) -> Overview:
        area = resolve_area(principal, municipality)
        return suppressed_overview(area, await report.overviews(runtime.db), threshold)

    @api.get(
        "/ingest",
        response_model=Ingest,
        summary="Events stored per type and the newest event time (operators; no figures about people)",
        dependencies=[Depends(operator_or_internal)],
    )
    async def ingest_status() -> Ingest:
        return await ingest(runtime.db)

    return api
