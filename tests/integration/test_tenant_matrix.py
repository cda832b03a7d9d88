"""The tenant matrix: every route of every service × every kind of caller (issue 14, deliverable 6).

Every route of the four apps is enumerated from ``app.routes`` and must be classified in :data:`DOORS`
(a new route fails :func:`test_every_route_is_classified` until it is): public, a browser's page
behind a session, internal (the internal token only), or a key with one of some scopes. Each route is
then called by no credential, an unknown key, the internal token and a key of every scope of two
organisations in two municipalities (and a regional one), and must answer what its class says:
401 without a valid credential, 403 for a key without the scope (or with a municipality, where only
regional keys may act), past the door (neither 401 nor 403, never a 5xx) otherwise; public routes and
pages answer every caller alike.

Past the door, :func:`test_own_organisation_and_own_municipality` asks for real resources of
organisation A in municipality HERE (a question, a supporter and their assignment, a question in the
joint consultation, a signal, a resident, a report area) with every admitted key: those of the
resource's organisation (where that binds) and municipality (or regional) get it, every other key
gets 404, exactly as for an unknown id (403 for a municipality named in a query).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.kit import access
from services.kit.settings import Settings
from services.matching import handlers
from tests.support.matching import question, supporter_body
from tests.support.matrix import (
    HERE,
    INTERNAL,
    ORG_A,
    PAGE,
    PUBLIC,
    Access,
    Credential,
    Served,
    credentials,
    expected,
    is_api,
    key,
    page_or_key,
    routes_of,
    served,
)

pytestmark = pytest.mark.integration

SERVICES = ("intake", "matching", "notifications", "reporting")
COORDINATOR = key("coordinator", internal=True)
OPERATOR = key("operator", internal=True)
SIGNAL_READERS = ("municipality", "council", "staff", "submit", "read-own", "coordinator")
OFFICER = key("privacy-officer")
DESKS = ("municipality", "council")
REPORT_READERS = key("analyst", "council", "municipality")

#: Every route's door, per service: (method, path) -> Access. The kit's own routes come first.
KIT: dict[tuple[str, str], Access] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/asyncapi.json"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/static/regio.css"): PUBLIC,
    ("GET", "/static/regio-logo.svg"): PUBLIC,
    ("GET", "/static/{name:path}"): PUBLIC,
}
DOORS: dict[str, dict[tuple[str, str], Access]] = {
    "intake": KIT
    | {
        # The resident's and the signal raiser's pages: anyone, with the page's own link or form.
        ("GET", "/"): PUBLIC,
        ("POST", "/"): PUBLIC,
        ("GET", "/bevestiging/{question_id}"): PUBLIC,
        ("GET", "/mijn-vraag"): PUBLIC,
        ("POST", "/mijn-vraag"): PUBLIC,
        ("GET", "/mijn-vraag/{link}"): PUBLIC,
        ("GET", "/mijn-vraag/{link}/intrekken"): PUBLIC,
        ("POST", "/mijn-vraag/{link}/intrekken"): PUBLIC,
        ("POST", "/mijn-vraag/{link}/berichten"): PUBLIC,
        ("GET", "/ervaring/bedankt"): PUBLIC,
        ("GET", "/ervaring/{link}"): PUBLIC,
        ("POST", "/ervaring/{link}"): PUBLIC,
        ("GET", "/signaal"): PUBLIC,
        ("POST", "/signaal"): PUBLIC,
        ("GET", "/signaal/bedankt"): PUBLIC,
        ("GET", "/signaal/{status_token}"): PUBLIC,
        # The API.
        ("POST", "/api/v1/questions"): key("submit", "staff"),
        ("GET", "/api/v1/questions"): key("read-own", "staff"),
        ("GET", "/api/v1/questions/{question_id}"): key("read-own", "staff"),
        ("POST", "/api/v1/questions/{question_id}/withdraw"): key("submit", "staff"),
        ("POST", "/api/v1/questions/{question_id}/close"): key("staff"),
        ("PUT", "/api/v1/webhooks"): key("submit", "read-own"),
        ("GET", "/api/v1/webhooks"): key("submit", "read-own"),
        ("DELETE", "/api/v1/webhooks"): key("submit", "read-own"),
        ("POST", "/api/v1/signals"): key("staff", "submit", "coordinator", "council"),
        ("GET", "/api/v1/signals"): key(*SIGNAL_READERS),
        ("GET", "/api/v1/signals/groups"): key(*SIGNAL_READERS),
        ("GET", "/api/v1/signals/{signal_id}"): key(*SIGNAL_READERS),
        ("POST", "/api/v1/signals/{signal_id}/acknowledge"): key("municipality"),
        ("POST", "/api/v1/signals/{signal_id}/answer"): key("municipality"),
        ("POST", "/api/v1/council/meetings"): key("council"),
        ("GET", "/api/v1/council/meetings"): key("council"),
        ("POST", "/api/v1/council/meetings/{meeting_id}/participants"): key("council"),
        ("POST", "/api/v1/council/meetings/{meeting_id}/outcome"): key("council"),
        ("GET", "/api/v1/council/experiences"): key("council"),
        ("POST", "/api/v1/council/panel/invitations"): key("council"),
        ("GET", "/api/v1/council/panel"): key("council"),
        ("POST", "/api/v1/council/polls"): key("council"),
        ("GET", "/api/v1/council/polls"): key("council"),
        ("GET", "/api/v1/council/polls/{poll_id}"): key("council"),
        ("POST", "/api/v1/advices"): key("council"),
        ("GET", "/api/v1/advices"): key("council", "municipality"),
        ("GET", "/api/v1/advices/{advice_id}"): key("council", "municipality"),
        ("POST", "/api/v1/advices/{advice_id}/answer"): key("council", "municipality"),
        # The signal desk's and the councils' pages: a session after signing in.
        ("GET", "/signalenloket"): PAGE,
        ("GET", "/signalenloket/inloggen"): PAGE,
        ("POST", "/signalenloket/inloggen"): PAGE,
        ("POST", "/signalenloket/uitloggen"): PAGE,
        ("POST", "/signalenloket/signalen/{signal_id}/gelezen"): PAGE,
        ("POST", "/signalenloket/signalen/{signal_id}/antwoord"): PAGE,
        ("GET", "/adviesraad"): PAGE,
        ("GET", "/adviesraad/inloggen"): PAGE,
        ("POST", "/adviesraad/inloggen"): PAGE,
        ("POST", "/adviesraad/uitloggen"): PAGE,
        ("POST", "/adviesraad/adviezen"): PAGE,
        ("POST", "/adviesraad/adviezen/{advice_id}/reactie"): PAGE,
        ("POST", "/adviesraad/meedenken/uitnodigen"): PAGE,
        # A resident joins or leaves the panel from their own page; a poll by its public or personal link.
        ("GET", "/mijn-vraag/{link}/meedenken"): PUBLIC,
        ("POST", "/mijn-vraag/{link}/meedenken"): PUBLIC,
        ("POST", "/mijn-vraag/{link}/meedenken/stoppen"): PUBLIC,
        ("GET", "/peiling/{poll_id}"): PUBLIC,
        ("POST", "/peiling/{poll_id}"): PUBLIC,
        ("GET", "/peiling/{poll_id}/{invitation}/{token}"): PUBLIC,
        ("POST", "/peiling/{poll_id}/{invitation}/{token}"): PUBLIC,
        ("DELETE", "/api/v1/residents/{resident_ref}"): OFFICER,
        ("GET", "/api/v1/audit"): OFFICER,
        ("POST", "/api/v1/residents/lookup"): OFFICER,
        ("GET", "/api/v1/residents/{resident_ref}/export"): OFFICER,
        ("GET", "/api/v1/residents/{resident_ref}/export.html"): OFFICER,
        # Between the services.
        ("GET", "/internal/v1/questions/{question_id}/contact"): INTERNAL,
        ("GET", "/internal/v1/partners/{organisation}/webhook"): INTERNAL,
        ("POST", "/internal/v1/questions/{question_id}/status-link"): INTERNAL,
        ("GET", "/internal/v1/questions/{question_id}/for-supporter"): INTERNAL,
        ("GET", "/internal/v1/questions/{question_id}/for-coordinator"): INTERNAL,
        ("POST", "/internal/v1/questions/{question_id}/experience-invitation"): INTERNAL,
    },
    "matching": KIT
    | {
        # Regional only (a municipality's key: 403), after the body's validation and the own organisation's
        # check (404): see the tenancy test.
        ("POST", "/api/v1/organisations"): COORDINATOR,
        ("GET", "/api/v1/organisations"): COORDINATOR,
        ("GET", "/api/v1/organisations/{organisation}/coordinator"): COORDINATOR,
        ("PUT", "/api/v1/organisations/{organisation}/coordinator"): COORDINATOR,
        ("POST", "/api/v1/supporters"): COORDINATOR,
        ("GET", "/api/v1/supporters"): COORDINATOR,
        ("PUT", "/api/v1/supporters/{supporter_id}"): COORDINATOR,
        ("GET", "/api/v1/supporters/{supporter_id}"): COORDINATOR,
        ("GET", "/api/v1/supporters/{supporter_id}/audit"): COORDINATOR,
        ("GET", "/api/v1/assignments/{question_id}"): COORDINATOR,
        ("POST", "/api/v1/assignments/{question_id}/accept"): COORDINATOR,
        ("POST", "/api/v1/assignments/{question_id}/decline"): COORDINATOR,
        ("POST", "/api/v1/assignments/{question_id}/end"): COORDINATOR,
        ("GET", "/api/v1/consultations"): COORDINATOR,
        ("POST", "/api/v1/consultations/{question_id}/assign"): COORDINATOR,
        ("PUT", "/api/v1/consultations/{question_id}/appointment"): COORDINATOR,
        ("POST", "/api/v1/consultations/{question_id}/appointment/held"): COORDINATOR,
        ("PUT", "/api/v1/consultations/{question_id}/resident-view"): COORDINATOR,
        ("GET", "/internal/v1/supporters/{supporter_id}/contact"): INTERNAL,
        ("GET", "/internal/v1/organisations/{organisation}/coordinator"): INTERNAL,
        ("GET", "/internal/v1/organisations"): INTERNAL,
        ("GET", "/internal/v1/questions/{question_id}/supporters"): INTERNAL,
        # The coordinators' pages (a session from signing in with a coordinator key).
        ("GET", "/overleg"): PAGE,
        ("GET", "/overleg/inloggen"): PAGE,
        ("POST", "/overleg/inloggen"): PAGE,
        ("POST", "/overleg/uitloggen"): PAGE,
        ("GET", "/overleg/vragen/{question_id}"): PAGE,
        ("POST", "/overleg/vragen/{question_id}/afspraak"): PAGE,
        ("POST", "/overleg/vragen/{question_id}/gesprek"): PAGE,
        ("POST", "/overleg/vragen/{question_id}/inwoner"): PAGE,
        ("POST", "/overleg/vragen/{question_id}/kiezen"): PAGE,
        ("POST", "/overleg/vragen/{question_id}/duo"): PAGE,
        ("POST", "/overleg/vragen/{question_id}/toewijzen"): PAGE,
        # The supporters' own pages (a session from a sign-in link by e-mail).
        ("GET", "/mijn-vragen"): PAGE,
        ("GET", "/mijn-vragen/inloggen"): PAGE,
        ("POST", "/mijn-vragen/inloggen"): PAGE,
        ("GET", "/mijn-vragen/inloggen/{token}"): PAGE,
        ("POST", "/mijn-vragen/inloggen/{token}"): PAGE,
        ("POST", "/mijn-vragen/uitloggen"): PAGE,
        ("GET", "/mijn-vragen/{question_id}"): PAGE,
        ("POST", "/mijn-vragen/{question_id}/aannemen"): PAGE,
        ("POST", "/mijn-vragen/{question_id}/afwijzen"): PAGE,
        ("POST", "/mijn-vragen/{question_id}/eerste-contact"): PAGE,
        ("POST", "/mijn-vragen/{question_id}/stoppen"): PAGE,
    },
    "notifications": KIT
    | {
        ("GET", "/api/v1/deliveries"): OPERATOR,
        ("GET", "/api/v1/templates"): OPERATOR,
        ("GET", "/api/v1/templates/{name}/preview"): OPERATOR,
        ("POST", "/api/v1/digests/run"): OPERATOR,
        # A resident's opt-out, by the token in their mail.
        ("GET", "/api/v1/opt-out"): PUBLIC,
        ("POST", "/api/v1/opt-out"): PUBLIC,
        ("POST", "/internal/v1/sign-in-links"): INTERNAL,
        ("POST", "/internal/v1/deliveries/by-question"): INTERNAL,
    },
    "reporting": KIT
    | {
        ("GET", "/api/v1/reports"): REPORT_READERS,
        ("GET", "/api/v1/reports/overview"): REPORT_READERS,
        ("GET", "/api/v1/reports/ingest"): OPERATOR,
        ("GET", "/dashboard"): PAGE,
        ("GET", "/dashboard/inloggen"): PAGE,
        ("POST", "/dashboard/inloggen"): PAGE,
        ("POST", "/dashboard/uitloggen"): PAGE,
        # A session, or a reader's key (the CSV for scripts; the printable quarterly report).
        ("GET", "/dashboard/export.csv"): REPORT_READERS,
        ("GET", "/dashboard/kwartaalrapportage"): page_or_key("analyst", "council", "municipality"),
    },
}

#: What fills a path parameter at the door (an id nobody has; a valid UUID and a valid identifier).
SOME_ID = "0f0e0d0c-0b0a-4098-8765-43210fedcba9"


def concrete(path: str) -> str:
    out, rest = "", path
    while "{" in rest:
        before, _, after = rest.partition("{")
        name, _, rest = after.partition("}")
        out += before + ("some.css" if name.endswith(":path") else SOME_ID)
    return out + rest


@pytest.fixture(scope="module")
async def apps(settings: Settings) -> AsyncIterator[dict[str, Served]]:
    async with AsyncExitStack() as stack:
        yield {name: await stack.enter_async_context(served(name, settings)) for name in SERVICES}


@pytest.fixture(scope="module")
async def callers(apps: dict[str, Served]) -> list[Credential]:
    async with apps["intake"].runtime.db.acquire() as conn:
        return await credentials(conn)


def test_every_route_is_classified(apps: dict[str, Served]) -> None:
    for name, svc in apps.items():
        found = {(method, path) for method, path, _ in routes_of(svc.app)}
        assert found == set(DOORS[name]), (
            f"{name}: classify the new routes {sorted(found - set(DOORS[name]))} in DOORS;"
            f" gone: {sorted(set(DOORS[name]) - found)}"
        )


async def call(svc: Served, method: str, path: str, api: bool, who: Credential) -> Any:
    headers = who.headers
    if api:
        body = {} if method in ("POST", "PUT", "DELETE") else None
        return await svc.client.request(method, path, json=body, headers=headers)
    return await svc.client.request(method, path, data={} if method == "POST" else None, headers=headers)


@pytest.mark.parametrize("service", SERVICES)
async def test_every_route_answers_every_caller_as_its_door_says(
    apps: dict[str, Served], callers: list[Credential], service: str
) -> None:
    svc = apps[service]
    wrong: list[str] = []
    calls = 0
    for method, path, route in routes_of(svc.app):
        rule = DOORS[service][(method, path)]
        url = concrete(path)
        api = is_api(route)
        first = await call(svc, method, url, api, callers[0])
        for who in callers:
            answer = first if who is callers[0] else await call(svc, method, url, api, who)
            calls += 1
            want = expected(rule, who)
            got = answer.status_code
            fine = got < 500 and (
                (want == "same" and got == first.status_code)
                or (want == "in" and got not in (401, 403))
                or want == str(got)
            )
            if rule.kind == "page" and want == "same" and method == "GET" and got == 200:
                fine = fine and "inloggen" in answer.text.lower()  # the sign-in, never the content
            if not fine:
                wrong.append(f"{method} {path} by {who.name}: {got}, expected {want}")
    assert not wrong, f"{len(wrong)} of {calls} calls:\n" + "\n".join(wrong)


# --- past the door: own organisation, own municipality ------------------------------------------------


@dataclass(frozen=True)
class Owned:
    """A route about a real resource of organisation A in municipality HERE: who of the admitted keys
    may have it (``allowed``); every other admitted key gets ``refused`` (404: as an unknown id)."""

    service: str
    method: str
    path: str
    allowed: Callable[[Credential], bool]
    body: dict[str, Any] | None = None
    refused: int = 404
    #: The first admitted caller removes the resource (erasure): later ones may find it gone (404).
    removes: bool = False
    #: What a key of the resource's own organisation gets when it is refused (None: ``refused``).
    own_elsewhere: int | None = None


def here(who: Credential) -> bool:
    """The key's municipality is the resource's, or the key is regional."""
    return who.municipality in (None, HERE)


def own(who: Credential) -> bool:
    return who.organisation == ORG_A


async def resources(apps: dict[str, Served]) -> dict[str, str]:
    """A question referred by organisation A in HERE and a signal its staff raised there (intake);
    organisation A's supporter serving HERE, a
    question assigned to them and one in the joint consultation (matching)."""
    intake, matching = apps["intake"], apps["matching"]
    async with intake.runtime.db.acquire() as conn:
        submit = await access.create_key(conn, ORG_A, ["submit"], municipality=HERE)
        staff = await access.create_key(conn, ORG_A, ["staff"], municipality=HERE)
    raised = await intake.client.post(
        "/api/v1/signals",
        headers={"Authorization": f"Bearer {staff}"},
        json={
            "theme": "waiting_times",
            "life_domain": "youth",
            "municipality": HERE,
            "level": "local",
            "text": "Gezinnen wachten maanden op jeugdhulp.",
        },
    )
    assert raised.status_code == 202, raised.text
    asked = await intake.client.post(
        "/api/v1/questions",
        headers={"Authorization": f"Bearer {submit}", "Idempotency-Key": uuid.uuid4().hex},
        json={
            "municipality": HERE,
            "life_domains": ["wmo"],
            "description": "Ik zoek hulp bij de aanvraag voor begeleiding van mijn zoon.",
            "preferred_supporter_kind": "any",
            "languages": ["nl"],
            "postcode": "3311",
            "channel": "partner",
            "contact": {"name": "A. de Vries", "email": "a.devries@example.nl", "phone": "0612345678"},
            "consent": {"share_with_supporter": True},
        },
    )
    assert asked.status_code == 202, asked.text
    question_id = asked.json()["question_id"]
    resident = await intake.runtime.db.fetchval(
        "SELECT resident_ref FROM questions WHERE question_id = $1::uuid", question_id
    )

    internal = {"Authorization": "Bearer test-internal-token"}
    made = await matching.client.post(
        "/api/v1/organisations",
        json={"id": ORG_A, "name": "Organisatie A", "decides_on_provisions": False},
        headers=internal,
    )
    assert made.status_code == 201, made.text
    supporter = supporter_body(HERE, organisation=ORG_A, capacity=5)
    registered = await matching.client.post("/api/v1/supporters", json=supporter, headers=internal)
    assert registered.status_code == 201, registered.text
    assigned, consulted = question(HERE), question(HERE, languages=["ar"])
    async with matching.runtime.db.acquire() as conn, conn.transaction():
        for received in (assigned, consulted):
            await handlers.match_question(conn, received, matching.runtime.source)
    assert await matching.runtime.db.fetchval(
        "SELECT 1 FROM assignments WHERE question_id = $1", assigned.question_id
    ), "the supporter got the question"
    assert await matching.runtime.db.fetchval(
        "SELECT 1 FROM consultations WHERE question_id = $1", consulted.question_id
    )
    return {
        "question_id": question_id,
        "resident_ref": str(resident),
        "supporter_id": supporter["supporter_id"],
        "assigned": assigned.question_id,
        "consulted": consulted.question_id,
        "organisation": ORG_A,
        "signal_id": raised.json()["signal_id"],
    }


SOON = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()
OWNED: list[Owned] = [
    # intake: staff read every question of their municipality, partners those they referred.
    Owned("intake", "GET", "/api/v1/questions/{question_id}", lambda w: here(w) and (w.scope == "staff" or own(w))),
    Owned("intake", "GET", "/api/v1/residents/{resident_ref}/export", here),
    Owned("intake", "GET", "/api/v1/residents/{resident_ref}/export.html", here),
    # A local signal: the desk and the council of its municipality (or the region's), and the organisation
    # that raised it; the desk acknowledges and answers it.
    Owned("intake", "GET", "/api/v1/signals/{signal_id}", lambda w: here(w) and (w.scope in DESKS or own(w))),
    Owned("intake", "POST", "/api/v1/signals/{signal_id}/acknowledge", here),
    Owned("intake", "POST", "/api/v1/signals/{signal_id}/answer", here, {"text": "We kijken ernaar."}),
    # Its referrer or staff withdraw a question, staff close it, the privacy officer erases its resident.
    Owned(
        "intake",
        "POST",
        "/api/v1/questions/{question_id}/withdraw",
        lambda w: here(w) and (w.scope == "staff" or own(w)),
        {"reason": "Niet meer nodig."},
    ),
    Owned("intake", "POST", "/api/v1/questions/{question_id}/close", here),
    Owned("intake", "DELETE", "/api/v1/residents/{resident_ref}", here, removes=True),
    # matching: a coordinator's key has its own organisation's supporters serving its municipality.
    Owned("matching", "GET", "/api/v1/supporters/{supporter_id}", lambda w: here(w) and own(w)),
    Owned("matching", "GET", "/api/v1/supporters/{supporter_id}/audit", lambda w: here(w) and own(w)),
    Owned("matching", "PUT", "/api/v1/supporters/{supporter_id}", lambda w: here(w) and own(w), {"capacity": 5}),
    # ... and its municipality's assignments and consultation (every organisation's: the joint consultation).
    Owned("matching", "GET", "/api/v1/assignments/{assigned}", here),
    Owned("matching", "POST", "/api/v1/assignments/{assigned}/accept", here, {}),
    Owned("matching", "PUT", "/api/v1/consultations/{consulted}/appointment", here, {"planned_for": SOON}),
    Owned("matching", "PUT", "/api/v1/consultations/{consulted}/resident-view", here, {"text": "Zij wil hulp thuis."}),
    Owned("matching", "POST", "/api/v1/consultations/{consulted}/appointment/held", here),
    Owned(
        "matching", "POST", "/api/v1/consultations/{assigned}/assign", here, {"supporter_id": "s-x", "reason": "omdat"}
    ),
    Owned("matching", "GET", "/api/v1/consultations?municipality=" + HERE, here, refused=403),
    Owned("matching", "GET", "/api/v1/supporters?municipality=" + HERE, here, refused=403),
    # An organisation's escalation address: its own regional key only (its municipality's keys: 403).
    Owned(
        "matching",
        "GET",
        "/api/v1/organisations/{organisation}/coordinator",
        lambda w: own(w) and w.municipality is None,
        own_elsewhere=403,
    ),
    # Organisations are regional: a municipality's key registers none.
    Owned(
        "matching",
        "POST",
        "/api/v1/organisations",
        lambda w: w.municipality is None,
        {"id": "tenant-c", "name": "Organisatie C", "decides_on_provisions": False},
        refused=403,
    ),
    # reporting: a municipality's figures for its own keys and the regional ones.
    Owned("reporting", "GET", "/api/v1/reports?municipality=" + HERE, here, refused=403),
    Owned("reporting", "GET", "/api/v1/reports/overview?municipality=" + HERE, here, refused=403),
]


async def test_own_organisation_and_own_municipality(apps: dict[str, Served], callers: list[Credential]) -> None:
    ids = await resources(apps)
    wrong: list[str] = []
    calls = 0
    routes = {(s, m, p) for s, svc in apps.items() for m, p, _ in routes_of(svc.app)}
    for owned in OWNED:
        path = owned.path.format(**ids)
        template = owned.path.split("?")[0]
        for name in ("assigned", "consulted"):
            template = template.replace("{" + name + "}", "{question_id}")
        assert (owned.service, owned.method, template) in routes, template
        rule = DOORS[owned.service][(owned.method, template)]
        svc = apps[owned.service]
        done = False
        for who in sorted(callers, key=owned.allowed):  # the refused first, while the resource is there
            if who.scope is None or expected(rule, who) != "in":
                continue  # the door test covers those
            answer = await svc.client.request(owned.method, path, json=owned.body, headers=who.headers)
            calls += 1
            got = answer.status_code
            if owned.allowed(who):
                fine = (got < 500 and got not in (401, 403, 404)) or (owned.removes and done and got == 404)
                done = True
            elif owned.own_elsewhere is not None and own(who):
                fine = got == owned.own_elsewhere
            else:
                fine = got == owned.refused
            if not fine:
                wrong.append(f"{owned.method} {owned.path} by {who.name}: {got} {answer.text[:120]}")
    assert calls > 50
    assert not wrong, f"{len(wrong)} of {calls} calls:\n" + "\n".join(wrong)
