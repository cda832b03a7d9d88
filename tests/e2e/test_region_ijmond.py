"""End to end in the second shipped region: ``samenloket up --demo --region regions/ijmond.toml``.

The four services run as separate OS processes serving IJmond (Beverwijk, Heemskerk, Velsen): a resident
asks on the form, a supporter of an IJmond organisation gets the question and accepts, support ends, and
the dashboard and quarterly report count it. Every page and mail of the run is then scanned: where people
read, no organisation id and no supporter id appears, only the names of the region file.
"""

from __future__ import annotations

import io
import random
import re
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from csv import DictReader
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from contracts.events import QuestionReceived, SupportEnded, SupporterAssigned
from services.kit.region import Region, load_region
from services.kit.settings import SERVICE_NAMES
from tests.e2e.test_system import demo_key, fetch, form_token, ingest, mails, reader_key, stored, text_of
from tests.support.system import RunningSystem, start_system, stop_system, wait_for

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
IJMOND_FILE = ROOT / "regions" / "ijmond.toml"
IJMOND: Region = load_region(IJMOND_FILE)
#: What people read, by URL (visible text only) and by mail, gathered by the path test for the scan.
READ: dict[str, str] = {}


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    running = start_system(tmp_path_factory.mktemp("samenloket-ijmond"), region=IJMOND_FILE)
    yield running
    stopped = stop_system(running, signal.SIGINT)
    assert stopped.returncode == 0, f"samenloket up exited with {stopped.returncode}\n{running.diagnostics()}"
    assert stopped.watched > len(SERVICE_NAMES) and not stopped.leftovers


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


class _Visible(HTMLParser):
    """The text a person sees on a page: no tags, attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "title"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def readable(text: str) -> str:
    """What a person reads of a mail's text: links are followed, not read."""
    return re.sub(r"https?://\S+", " ", text)


def keep(url: str, response: httpx.Response) -> str:
    assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:300]}"
    READ[url] = visible(response.text)
    return READ[url]


@asynccontextmanager
async def signed_in(base: str, path: str, key: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser signed in on a staff page set (``/overleg``, ``/dashboard``) with an API key."""
    async with httpx.AsyncClient(base_url=base, timeout=10.0) as browser:
        login = await browser.get(f"{path}/inloggen")
        sent = await browser.post(
            f"{path}/inloggen", data={"csrf_token": form_token(login.text), "api_key": key, "terug": path}
        )
        assert sent.status_code == 303, sent.text
        yield browser


async def test_a_resident_of_velsen_is_supported_by_an_ijmond_organisation_and_counted_in_ijmonds_report(
    system: RunningSystem, http: httpx.AsyncClient
) -> None:
    intake, matching, reporting = system.url("intake"), system.url("matching"), system.url("reporting")
    tag = uuid.uuid4().hex[:10]
    email = f"ijmond-{tag}@example.nl"
    async with httpx.AsyncClient(base_url=intake, timeout=10.0) as browser:
        form = await browser.get("/")
        page = keep(f"{intake}/", form)
        assert "Samenloket IJmond" in page and IJMOND.loket.phone in page
        assert all(name in page for name in ("Beverwijk", "Heemskerk", "Velsen")) and "Dordrecht" not in page
        theme = await browser.get("/static/regio.css")
        assert "#0b5563" in theme.text.lower() and "#f39200" in theme.text.lower()
        fields = {
            "csrf_token": form_token(form.text),
            "life_domains": "wmo",
            "description": f"Ik zoek hulp bij mijn aanvraag voor de Wmo, kenmerk {tag}.",
            "preferred_supporter_kind": "any",
            "language": "nl",
            "meeting_preference": "home",
            "name": f"Inwoner Velsen {tag}",
            "email": email,
            "phone": f"06{random.randint(10_000_000, 99_999_999)}",
            "postcode": "1971 AB",
            "consent": "ja",
        }
        elsewhere = await browser.post("/", data=fields | {"municipality": "GM0505"})
        assert elsewhere.status_code == 422
        refused = visible(elsewhere.text)
        assert "Samenloket IJmond helpt alleen inwoners van Beverwijk, Heemskerk en Velsen." in refused
        sent = await browser.post("/", data=fields | {"municipality": "GM0453"})
        assert sent.status_code == 303, sent.text
        confirmation = await browser.get(sent.headers["location"])
        keep(f"{intake}{sent.headers['location']}", confirmation)
    qid = sent.headers["location"].rsplit("/", 1)[1]

    # A partner's question for Dordrecht is refused with its own code: IJmond does not serve it.
    partner = {**{k: fields[k] for k in ("description",)}, "municipality": "GM0505", "life_domains": ["wmo"]}
    partner |= {"postcode": "3311", "channel": "partner", "consent": {"share_with_supporter": True}}
    partner |= {"contact": {"name": "P. Elders", "email": f"elders-{tag}@example.nl"}}
    answer = await http.post(f"{intake}/api/v1/questions", json=partner, headers=demo_key(system))
    assert answer.status_code == 422 and answer.json()["errors"][0]["code"] == "municipality_not_served"

    async def supporter() -> tuple[str, str, str] | None:
        rows = await fetch(
            system.database_url,
            "SELECT s.id, s.email, s.organisation FROM matching.assignments a"
            " JOIN matching.supporters s ON s.id = a.supporter_id WHERE a.question_id::text = $1",
            qid,
        )
        return (rows[0]["id"], rows[0]["email"], rows[0]["organisation"]) if rows else None

    supporter_id, supporter_email, organisation = await wait_for(supporter, timeout=40, what=f"{qid} assigned")
    assert organisation in {o.id for o in IJMOND.organisations}
    assert supporter_id.startswith(organisation)

    def both_told() -> list[EmailMessage] | None:
        found = mails(system.mail_folder)
        to_supporter = [m for m in found if supporter_email in str(m["To"])]
        to_resident = [m for m in found if email in str(m["To"]) and "Uw cliëntondersteuner is" in text_of(m)]
        return [*to_supporter, *to_resident] if to_supporter and to_resident else None

    told = await wait_for(both_told, timeout=40, what="the supporter's and the resident's mails")
    resident_mail = next(m for m in told if email in str(m["To"]) and "Uw cliëntondersteuner is" in text_of(m))
    assert f"van {IJMOND.organisation_names[organisation]}" in text_of(resident_mail)
    assert "Samenloket IJmond" in text_of(resident_mail)

    assignments = f"{matching}/api/v1/assignments/{qid}"
    accepted = await http.post(f"{assignments}/accept", headers=demo_key(system))
    assert accepted.status_code == 200, accepted.text
    ended = await http.post(f"{assignments}/end", json={"reason_code": "completed"}, headers=demo_key(system))
    assert ended.status_code == 200, ended.text

    async def counted() -> bool:
        body = await ingest(http, system)
        return all(stored(body, t.ce_type) >= 1 for t in (QuestionReceived, SupporterAssigned, SupportEnded))

    await wait_for(counted, timeout=40, what="reporting stored the question, the assignment and the end")
    analyst = reader_key(system, "analyst")["Authorization"].removeprefix("Bearer ")
    async with signed_in(reporting, "/dashboard", analyst) as dashboard:
        front = keep(f"{reporting}/dashboard", await dashboard.get("/dashboard"))
        assert "IJmond" in front and "Dordrecht" not in front
        velsen = keep(f"{reporting}/dashboard?gemeente=GM0453", await dashboard.get("/dashboard?gemeente=GM0453"))
        assert "Velsen" in velsen
        quarter = await dashboard.get("/dashboard/kwartaalrapportage")
        report = keep(f"{reporting}/dashboard/kwartaalrapportage", quarter)
        assert any(o.name in report for o in IJMOND.organisations), report[:2000]
        csv = await dashboard.get("/dashboard/export.csv")
        assert csv.status_code == 200
        # The rij and kolom columns hold the codes of the API (to join with it); people read the names.
        rows = list(DictReader(io.StringIO(csv.text.removeprefix("\ufeff")), delimiter=";"))
        READ[f"{reporting}/dashboard/export.csv"] = " ".join(
            f"{r['titel']} {r['rij_naam']} {r['kolom_naam']}" for r in rows
        )
        assert any(o.name in READ[f"{reporting}/dashboard/export.csv"] for o in IJMOND.organisations)
    desk = reader_key(system, "desk")["Authorization"].removeprefix("Bearer ")
    async with signed_in(reporting, "/dashboard", desk) as dashboard:
        own = keep(f"{reporting}/dashboard (desk)", await dashboard.get("/dashboard"))
        assert "Velsen" in own  # the demo desk of IJmond is Velsen's (demo.desk)
    coordinator = demo_key(system)["Authorization"].removeprefix("Bearer ")
    async with signed_in(matching, "/overleg", coordinator) as overleg:
        keep(f"{matching}/overleg", await overleg.get("/overleg"))
    for path in ("/signaal", "/privacy"):
        found = await http.get(f"{intake}{path}")
        if found.status_code == 200:
            keep(f"{intake}{path}", found)
    for message in mails(system.mail_folder):
        READ[f"mail {message['Message-ID']}: {message['Subject']}"] = readable(text_of(message))
    assert len(READ) >= 10


async def test_no_page_or_mail_of_the_run_shows_an_organisation_or_supporter_id_where_people_read(
    system: RunningSystem,
) -> None:
    """Ids stay in APIs and links; people read "MEE & de Wering" and "Karin de Vries"."""
    assert READ, "the path test gathers what people read; it runs first"
    supporter_ids = [r["id"] for r in await fetch(system.database_url, "SELECT id FROM matching.supporters")]
    organisation_ids = [o.id for o in IJMOND.organisations] + [r.id for r in IJMOND.referrers]
    assert len(supporter_ids) >= 40
    found = [
        f"{where}: {needle}"
        for where, text in READ.items()
        for needle in (*organisation_ids, *supporter_ids)
        if re.search(rf"(?<![\w-]){re.escape(needle)}(?![\w-])", text)
    ]
    assert not found, "\n".join(found)
