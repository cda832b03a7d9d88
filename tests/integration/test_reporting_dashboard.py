"""The dashboard, its CSV export and the quarterly report with real keys, events, database and broker.

One reporting service for the module; the events of tests.support.reporting_events go in once.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from services.kit import access
from services.kit.settings import Settings
from tests.support.harness import RunningService, eventually, run_service
from tests.support.reporting_events import seed_quarters
from tests.support.reporting_names import names_server

pytestmark = pytest.mark.integration

EXPORT = "/dashboard/export.csv"
Q2 = {"kwartaal": "2026-K2"}


@dataclass
class Keys:
    region: str  # analyst for the whole region
    dordrecht: str  # analyst limited to GM0505
    council: str  # council of the region
    partner: str  # a partner's submit key: no reports


@pytest.fixture(scope="module")
async def reporting(settings: Settings) -> AsyncIterator[RunningService]:
    with names_server(settings.internal_token.get_secret_value()) as matching:  # organisations' display names
        async with run_service("reporting", settings.model_copy(update={"matching_url": matching.url})) as service:
            yield service


@pytest.fixture(scope="module")
async def keys(reporting: RunningService, settings: Settings) -> Keys:
    async with reporting.runtime.db.acquire() as conn:
        made = Keys(
            region=await access.create_key(conn, "regio-analyse", ["analyst"]),
            dordrecht=await access.create_key(conn, "dordrecht-bi", ["analyst"], municipality="GM0505"),
            council=await access.create_key(conn, "clientenraad", ["council"]),
            partner=await access.create_key(conn, "huisarts", ["submit"]),
        )
    await seed_quarters(settings)

    async def all_counted() -> bool:
        rows = await export_rows(reporting.client, made.region, {"kwartaal": "2026-K3", "gemeente": "GM0505"})
        late = await export_rows(reporting.client, made.region, {**Q2, "gemeente": "GM0505"})
        return figure(rows, "questions_by_month", "total") == "11" and (
            figure(late, "statistics", "hours_to_assigned_median", "value") not in ("–", "<10")
            and figure(late, "questions_by_month", "total") == "19"
            and figure(late, "first_contact_by_organisation", "total", "total") == "12"
        )

    await eventually(all_counted, timeout=60, interval=0.3)
    return made


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def export_rows(client: httpx.AsyncClient, key: str, params: dict[str, str]) -> list[dict[str, str]]:
    response = await client.get(EXPORT, params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


def figure(rows: list[dict[str, str]], table: str, row: str, column: str = "n") -> str:
    return next(r["waarde"] for r in rows if (r["tabel"], r["rij"], r["kolom"]) == (table, row, column))


async def test_the_export_needs_a_report_readers_key_and_keeps_to_its_municipality(
    reporting: RunningService, keys: Keys
) -> None:
    client = reporting.client
    assert (await client.get(EXPORT)).status_code == 401
    assert (await client.get(EXPORT, headers=bearer("slk_000000000000_" + "x" * 43))).status_code == 401
    refused = await client.get(EXPORT, headers=bearer(keys.partner))
    assert refused.status_code == 403 and "analyst" in refused.text

    other_town = await client.get(EXPORT, params={"gemeente": "GM0642"}, headers=bearer(keys.dordrecht))
    assert other_town.status_code == 403 and "GM0505" in other_town.text
    own = await client.get(EXPORT, params={**Q2, "gemeente": "GM0505"}, headers=bearer(keys.dordrecht))
    assert own.status_code == 200
    # Without a municipality, a Dordrecht key gets Dordrecht: the same file.
    assert (await client.get(EXPORT, params=Q2, headers=bearer(keys.dordrecht))).content == own.content

    for params, field in (
        ({"gemeente": "GM9999"}, "gemeente"),
        ({"kwartaal": "2026-K7"}, "kwartaal"),
        ({"van": "2026-04-01"}, "tot"),
        ({"van": "2026-06-01", "tot": "2026-04-01"}, "tot"),
        ({"van": "2026-04-02", "tot": "2026-04-30"}, "van"),  # whole months only
        ({"van": "2026-04-01", "tot": "2026-04-29"}, "tot"),
    ):
        bad = await client.get(EXPORT, params=params, headers=bearer(keys.region))
        assert bad.status_code == 422, params
        assert [e["field"] for e in bad.json()["errors"]] == [field]


async def test_the_csv_shows_big_numbers_and_hides_small_ones(reporting: RunningService, keys: Keys) -> None:
    response = await reporting.client.get(EXPORT, params={**Q2, "gemeente": "GM0505"}, headers=bearer(keys.council))
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="samenloket-GM0505-2026-04-01-2026-06-30.csv"'
    )
    rows = await export_rows(reporting.client, keys.council, {**Q2, "gemeente": "GM0505"})
    assert figure(rows, "questions_by_month", "2026-04") == "12"
    assert figure(rows, "questions_by_month", "2026-05") == "<10"
    assert figure(rows, "questions_by_month", "2026-06") == "<10"
    assert figure(rows, "questions_by_month", "total") == "19"
    # Wmo: Dordrecht 12, Zwijndrecht 2 (hidden), the region 14: linked across the reports, Dordrecht's 12 and
    # the region's 14 are never both shown. The municipality carries the hiding, marked "×" (not small).
    region_rows = await export_rows(reporting.client, keys.council, Q2)
    wmo = (figure(rows, "questions_by_life_domain", "wmo"), figure(region_rows, "questions_by_life_domain", "wmo"))
    assert wmo == ("×", "14")
    median = figure(rows, "statistics", "hours_to_assigned_median", "value")
    assert re.fullmatch(r"\d+(,\d+)?", median), median  # 12 assignments: shown, with a decimal comma

    people = {"questions_by_month", "questions_by_life_domain", "questions_by_channel", "questions_by_status"}
    for row in rows:
        if row["tabel"] in people and row["waarde"] not in ("<10", "×"):
            assert int(row["waarde"]) == 0 or int(row["waarde"]) >= 10, row
    assert {r["titel"] for r in rows if r["tabel"] == "questions_by_month"} != {"questions_by_month"}

    zwijndrecht = await export_rows(reporting.client, keys.region, {**Q2, "gemeente": "GM0642"})
    assert figure(zwijndrecht, "questions_by_month", "total") == "<10"
    custom = await export_rows(reporting.client, keys.region, {"van": "2026-04-01", "tot": "2026-04-30"})
    assert figure(custom, "questions_by_month", "2026-04") == "25"  # Dordrecht 12 + Zwijndrecht 2 + Papendrecht 11


async def sign_in(client: httpx.AsyncClient, key: str, back: str = "/dashboard") -> httpx.Response:
    page = await client.get("/dashboard/inloggen", params={"terug": back})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    return await client.post("/dashboard/inloggen", data={"csrf_token": token.group(1), "api_key": key, "terug": back})


async def test_staff_sign_in_and_see_the_figures_of_their_area(reporting: RunningService, keys: Keys) -> None:
    transport = httpx.ASGITransport(app=reporting.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://reporting.test") as browser:
        first = await browser.get("/dashboard", params=Q2)
        assert first.status_code == 200 and "Inloggen op het dashboard" in first.text
        assert first.headers["content-security-policy"].startswith("default-src 'self'")

        refused = await sign_in(browser, keys.partner)
        assert refused.status_code == 401 and "rapportages" in refused.text

        done = await sign_in(browser, keys.dordrecht, back="/dashboard?kwartaal=2026-K2")
        assert done.status_code == 303 and done.headers["location"] == "/dashboard?kwartaal=2026-K2"
        cookie = next(c for c in done.headers.get_list("set-cookie") if c.startswith("dashboard_sessie="))
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/dashboard" in cookie
        assert keys.dordrecht not in cookie

        page = await browser.get("/dashboard", params=Q2)
        assert page.status_code == 200
        assert "Cijfers van <strong>Dordrecht</strong> over <strong>2e kwartaal 2026</strong>" in page.text
        assert re.search(r'data-tile="vragen">\s*<span class="tile-label">[^<]+</span>\s*<strong[^>]*>19<', page.text)
        assert page.text.count("<svg") >= 4 and 'class="bar suppressed"' in page.text
        assert '<option value="GM0642"' not in page.text  # this key may choose Dordrecht only

        other = await browser.get("/dashboard", params={"gemeente": "GM0642"})
        assert other.status_code == 403 and "alleen de cijfers van Dordrecht" in other.text
        bad = await browser.get("/dashboard", params={"van": "2026-13-01", "tot": "2026-12-31"})
        assert bad.status_code == 422 and "jjjj-mm-dd" in bad.text and 'aria-invalid="true"' in bad.text

        # The session also opens the export; a forged sign-out form changes nothing.
        assert (await browser.get(EXPORT, params=Q2)).status_code == 200
        forged = await browser.post("/dashboard/uitloggen", data={"csrf_token": "1700000000.x.deadbeef"})
        assert forged.status_code == 403
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        out = await browser.post("/dashboard/uitloggen", data={"csrf_token": token.group(1)})
        assert out.status_code == 303
        assert "Inloggen" in (await browser.get("/dashboard")).text
        assert (await browser.get(EXPORT)).status_code == 401


async def test_the_quarterly_report_says_it_in_words(reporting: RunningService, keys: Keys) -> None:
    client = reporting.client
    url = "/dashboard/kwartaalrapportage"
    page = await client.get(
        url, params={"jaar": "2026", "kwartaal": "2", "gemeente": "GM0505"}, headers=bearer(keys.council)
    )
    assert page.status_code == 200
    assert "In het 2e kwartaal 2026 kwamen 19 vragen binnen in Dordrecht." in page.text
    assert "De helft van de inwoners had binnen" in page.text
    assert page.text.count('class="sheet"') >= 5

    small = await client.get(
        url, params={"jaar": "2026", "kwartaal": "2", "gemeente": "GM0642"}, headers=bearer(keys.region)
    )
    assert "kwamen minder dan 10 vragen binnen in Zwijndrecht." in small.text
    later = await client.get(
        url, params={"jaar": "2026", "kwartaal": "3", "gemeente": "GM0505"}, headers=bearer(keys.region)
    )
    assert "In het 3e kwartaal 2026 kwamen 11 vragen binnen in Dordrecht." in later.text

    assert (
        await client.get(url, params={"jaar": "2026", "kwartaal": "5"}, headers=bearer(keys.region))
    ).status_code == 422
    limited = await client.get(
        url, params={"jaar": "2026", "kwartaal": "2", "gemeente": "GM0642"}, headers=bearer(keys.dordrecht)
    )
    assert limited.status_code == 403
    assert "Inloggen" in (await client.get(url)).text


async def test_the_dashboard_shows_first_contact_declines_and_ends_with_organisations_by_name(
    reporting: RunningService, keys: Keys
) -> None:
    transport = httpx.ASGITransport(app=reporting.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://reporting.test") as browser:
        assert (await sign_in(browser, keys.dordrecht, back="/dashboard?kwartaal=2026-K2")).status_code == 303
        page = (await browser.get("/dashboard", params=Q2)).text
    assert '<h2 id="kop-contact">Eerste contact en afloop</h2>' in page
    for key in (
        "first_contact_by_organisation",
        "first_contact_by_kind",
        "declines_by_organisation",
        "declines_by_kind",
        "outcomes_by_organisation",
        "outcomes_by_kind",
    ):
        assert f'data-table="{key}"' in page, key
    contact = page[page.index('data-table="first_contact_by_organisation"') :]
    contact = contact[: contact.index("</table>")]
    assert '<th scope="row">MEE Plus</th>' in contact and "mee-plus" not in contact
    assert "Binnen 3 werkdagen" in contact and "Nog binnen termijn" in contact
    assert re.search(
        r'data-tile="first_contact_within_rate">\s*<span class="tile-label">Eerste contact binnen 3 werkdagen', page
    )
    assert re.search(r"<strong[^>]*>100 %</strong>", page)
    tile = re.search(r'data-tile="first_contact_working_days_median">(.*?)</li>', page, re.S)
    assert tile and ">1,5<" in tile.group(1) and "werkdagen (mediaan)" in tile.group(1)  # 0, 1, 2, 3 thrice
    # Nothing declined or ended in this quarter: a sentence, not an empty table.
    assert "Er zijn in deze periode geen koppelingen afgewezen." in page
    assert "Er is in deze periode geen ondersteuning afgerond." in page
    # The capacity chart and its table name the organisation too; the CSV keeps the id as the code.
    assert "MEE Plus: actief" in page and "mee-plus" not in page
    rows = await export_rows(reporting.client, keys.region, {**Q2, "gemeente": "GM0505"})
    mee = next(r for r in rows if r["tabel"] == "first_contact_by_organisation" and r["kolom"] == "within")
    assert (mee["rij"], mee["rij_naam"], mee["kolom_naam"], mee["waarde"]) == (
        "mee-plus",
        "MEE Plus",
        "Binnen 3 werkdagen",
        "12",
    )
