"""The reporting dashboard for staff, in Dutch: ``/dashboard``, its CSV export and the quarterly report.

Server-rendered with Jinja2, plain HTML, no JavaScript: filters are a GET form (so a URL can be
shared), charts are inline SVG (``charts.py``). Staff sign in with an API key of a report reader
(``analyst``, ``council`` or ``municipality``); sign-in, the server-side session, CSRF and the layout
come from the web kit (:mod:`services.kit.web.staff`); the CSV export and the quarterly report also
take the key in the ``Authorization`` header, for scripts. A key tied to a municipality sees that municipality only
(``audience.resolve_area``). Every figure shown comes from ``report.published_report`` (suppressed
together with the other areas' reports of the period): small counts are ``<10`` (``<threshold>``) on
the page, in the charts, in the CSV and in the sentences of the report.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from services.kit.access import Principal, bearer
from services.kit.dutch import dutch_date, today
from services.kit.region import current_region
from services.kit.runtime import Runtime
from services.kit.web.staff import PageSet, StaffPages
from services.kit.web.templates import environment as page_environment
from services.reporting import export, filters, views
from services.reporting.audience import READERS, resolve_area
from services.reporting.organisations import OrganisationNames
from services.reporting.report import advices as report_advices
from services.reporting.report import published_report
from services.reporting.suppression import PublishedReport
from services.reporting.tables import Period, suppressed_text

PATH: Final = "/dashboard"
REGION_NAME: Final = "de hele regio"


def page_set(threshold: int) -> PageSet:
    return PageSet(
        path=PATH,
        audience="dashboard",
        name="Dashboard",
        scopes=READERS,
        login_heading="Inloggen op het dashboard",
        login_intro=(
            "Op het dashboard ziet u hoeveel inwoners een vraag stelden, hoe snel zij hulp kregen en wat zij "
            f"ervan vonden. Kleine aantallen (minder dan {threshold}) tonen we niet, zodat niemand herkenbaar is.",
        ),
        wrong_key="Deze sleutel werkt niet, of hoort niet bij iemand die rapportages mag lezen.",
        back_text="Terug naar het dashboard",
    )


def place_name(area: str | None) -> str:
    return current_region().municipality_name(area) if area else REGION_NAME


@lru_cache(maxsize=1)
def environment() -> Environment:
    return page_environment("services.reporting", layout="staff.html", filters={"place_name": place_name})


def here(request: Request) -> str:
    """The path and query of this request: where to come back to after signing in."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def choices(principal: Principal) -> list[tuple[str, str]]:
    """The areas this key may choose: its own municipality, or the region and every municipality."""
    if principal.municipality:
        return [(principal.municipality, place_name(principal.municipality))]
    served = current_region().municipality_names
    return [("", "Hele regio"), *sorted(served.items(), key=lambda item: item[1])]


def requested_area(gemeente: str | None) -> str | None:
    """The municipality asked for (``None`` or ``""``: the region); an unknown code is a filter error."""
    if not gemeente:
        return None
    if not current_region().serves(gemeente):
        raise filters.FilterError("gemeente", "Kies een gemeente uit de lijst.")
    return gemeente


class Pages(StaffPages):
    """The dashboard pages of one reporting process: figures on top of the kit's staff pages."""

    def __init__(
        self, rt: Runtime, pages: PageSet, env: Environment, organisations: OrganisationNames | None = None
    ) -> None:
        super().__init__(rt, pages, env)
        #: Organisations' display names (from matching); None: the ids are shown.
        self.organisations = organisations

    async def reader(self, request: Request) -> Principal | None:
        """The signed-in reader, or the reader of the key in the Authorization / X-API-Key header."""
        principal = await self.principal(request)
        if principal is not None:
            return principal
        key = bearer(request.headers.get("authorization"), request.headers.get("x-api-key"))
        return await self.sessions.authenticate(key) if key else None

    async def published(self, area: str | None, period: Period) -> PublishedReport:
        names = await self.organisations.names() if self.organisations else {}
        return await published_report(self.rt.db, area, period, self.threshold, names=names)

    @property
    def threshold(self) -> int:
        return self.rt.settings.suppression_threshold

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return super().render(request, template, status_code, suppressed=suppressed_text(self.threshold), **context)


def router(rt: Runtime, organisations: OrganisationNames | None = None) -> APIRouter:
    pages = Pages(rt, page_set(rt.settings.suppression_threshold), environment(), organisations)
    web = APIRouter(tags=["dashboard"], include_in_schema=False)
    web.include_router(pages.router())

    @web.get(PATH, response_class=HTMLResponse)
    async def dashboard(
        request: Request,
        gemeente: str | None = None,
        kwartaal: str | None = None,
        van: str | None = None,
        tot: str | None = None,
    ) -> HTMLResponse:
        principal = await pages.principal(request)
        if principal is None:
            return pages.login(request, back=here(request))
        typed = {"gemeente": gemeente or "", "kwartaal": kwartaal or "", "van": van or "", "tot": tot or ""}
        context: dict[str, Any] = {
            "principal": principal,
            "areas": choices(principal),
            "quarters": filters.recent_quarters(today()),
            "typed": typed,
            "errors": {},
        }
        try:
            area = resolve_area(principal, requested_area(gemeente))
            period, chosen = filters.read_period(kwartaal, van, tot, today())
        except filters.FilterError as exc:
            context["errors"] = {exc.field: exc.message}
            return pages.render(request, "dashboard.html", 422, title="Fout: Dashboard – Samenloket", **context)
        except HTTPException as exc:
            message = f"Met deze sleutel ziet u alleen de cijfers van {place_name(principal.municipality)}."
            return pages.refuse(request, exc.status_code, message, principal)
        published = await pages.published(area, period)
        typed.update(gemeente=area or "", kwartaal=chosen, van="" if chosen else typed["van"])
        typed["tot"] = "" if chosen else typed["tot"]
        query = urlencode({k: v for k, v in typed.items() if v})
        year, quarter = filters.quarter_of(period.start)
        return pages.render(
            request,
            "dashboard.html",
            title="Dashboard – Samenloket",
            place=place_name(area),
            period_name=filters.period_name(period),
            threshold=published.threshold,
            tiles=views.tiles(published, today()),
            charts=views.all_charts(published, today()),
            markers=views.markers(published.threshold),
            tables=views.count_tables(published),
            outcomes=views.outcome_tables(published),
            shares=views.share_tables(published),
            statistics=views.statistics_view(published),
            export_url=f"{PATH}/export.csv" + (f"?{query}" if query else ""),
            report_url=f"{PATH}/kwartaalrapportage?"
            + urlencode({"jaar": year, "kwartaal": quarter, **({"gemeente": area} if area else {})}),
            **context,
        )

    @web.get(f"{PATH}/export.csv")
    async def export_csv(
        request: Request,
        gemeente: str | None = None,
        kwartaal: str | None = None,
        van: str | None = None,
        tot: str | None = None,
    ) -> Response:
        principal = await api_reader(pages, request)
        try:
            area = resolve_area(principal, requested_area(gemeente))
            period, _ = filters.read_period(kwartaal, van, tot, today())
        except filters.FilterError as exc:
            raise RequestValidationError(
                [{"loc": ("query", exc.field), "msg": exc.message, "type": "value_error"}]
            ) from None
        published = await pages.published(area, period)
        name = export.file_name(area, period)
        return Response(
            export.csv_text(published).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )

    @web.get(f"{PATH}/kwartaalrapportage", response_class=HTMLResponse)
    async def quarterly_report(
        request: Request, jaar: str | None = None, kwartaal: str | None = None, gemeente: str | None = None
    ) -> HTMLResponse:
        principal = await pages.reader(request)
        if principal is None:
            return pages.login(request, back=here(request))
        try:
            year, quarter = read_quarter(jaar, kwartaal)
            area = resolve_area(principal, requested_area(gemeente))
        except filters.FilterError as exc:
            return pages.refuse(request, 422, f"{exc.message} ({exc.field})", principal)
        except HTTPException as exc:
            message = f"Met deze sleutel ziet u alleen de cijfers van {place_name(principal.municipality)}."
            return pages.refuse(request, exc.status_code, message, principal)
        published = await pages.published(area, filters.quarter_period(year, quarter))
        names = await pages.organisations.names() if pages.organisations else {}
        advices = await report_advices(pages.rt.db, area, filters.quarter_period(year, quarter), names)
        place = place_name(area)
        return pages.render(
            request,
            "report.html",
            title=f"Kwartaalrapportage {filters.quarter_name(year, quarter)} – {place}",
            principal=principal,
            place=place,
            period_name=filters.quarter_name(year, quarter),
            made_on=dutch_date(today()),
            threshold=published.threshold,
            summary=views.summary(published, place),
            tiles=views.tiles(published, today()),
            charts={c.key: c for c in views.all_charts(published, today())},
            markers=views.markers(published.threshold),
            dashboard_url=f"{PATH}?"
            + urlencode({"kwartaal": filters.quarter_code(year, quarter), **({"gemeente": area} if area else {})}),
            tables={t.key: t for t in views.count_tables(published)},
            outcomes=views.outcome_tables(published),
            shares=views.share_tables(published),
            statistics=views.statistics_view(published),
            advices=advices,
        )

    return web


async def api_reader(pages: Pages, request: Request) -> Principal:
    """The reader of a session or API key; 401 without a valid key, 403 for a key that may not read reports."""
    principal = await pages.reader(request)
    if principal is not None:
        return principal
    key = bearer(request.headers.get("authorization"), request.headers.get("x-api-key"))
    keys = pages.rt.keys
    if key and keys and await keys.authenticate(key) is not None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"Deze sleutel mag geen rapportages lezen. / This key lacks the scope: one of {', '.join(READERS)}.",
        )
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "Geen geldige API-sleutel. / No valid API key (Authorization: Bearer slk_…).",
        headers={"WWW-Authenticate": "Bearer"},
    )


def read_quarter(jaar: str | None, kwartaal: str | None) -> tuple[int, int]:
    """The report's ``jaar`` (2000–2100) and ``kwartaal`` (1–4); the current quarter when both are left out."""
    if not jaar and not kwartaal:
        return filters.quarter_of(today())
    if not jaar or not jaar.isdigit() or not 2000 <= int(jaar) <= 2100:
        raise filters.FilterError("jaar", "Vul een jaar in, bijvoorbeeld 2026.")
    if not kwartaal or kwartaal not in ("1", "2", "3", "4"):
        raise filters.FilterError("kwartaal", "Kies kwartaal 1, 2, 3 of 4.")
    return int(jaar), int(kwartaal)
