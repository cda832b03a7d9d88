"""Councils read residents' experience texts safely (issue 16), on real PostgreSQL and a real broker.

Texts are screened at submission (names, phone numbers and e-mail addresses masked, the resident
told); a council reads its own area's texts only, grouped by theme and quarter, and only in groups
of at least the suppression threshold; a text that still holds contact data is never shown; erasure
takes a text out of its group.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from contracts.events import AssignmentAccepted, SupportEnded
from services.intake.experiences.reading import period_of
from services.kit import access
from services.kit.settings import Settings
from tests.integration.test_intake_experiences import (
    assigned,
    handled,
    invite,
    open_form,
    path_of,
    person,
    post_form,
    question,
    resident_client,
    send,
    step,
    submit,
)
from tests.support.harness import RunningService, run_service

pytestmark = pytest.mark.integration

THRESHOLD = 3
URL = "/api/v1/council/experiences"


@pytest.fixture(scope="module")
async def intake(settings: Settings) -> AsyncIterator[RunningService]:
    roomy = settings.model_copy(
        update={"web_rate_limit": 1000, "intake_url": "https://loket.example.nl", "suppression_threshold": THRESHOLD}
    )
    async with run_service("intake", roomy) as service:
        yield service


async def key(intake: RunningService, *scopes: str, municipality: str | None = None) -> dict[str, str]:
    async with intake.runtime.db.acquire() as conn:
        made = await access.create_key(conn, f"org-{uuid.uuid4().hex[:8]}", list(scopes), municipality)
    return {"Authorization": f"Bearer {made}"}


@pytest.fixture(scope="module")
async def staff(intake: RunningService) -> dict[str, str]:
    return await key(intake, "staff")


async def share(
    intake: RunningService,
    staff: dict[str, str],
    settings: Settings,
    text: str,
    contact: dict[str, Any] | None = None,
    **more: str,
) -> tuple[str, str]:
    """A resident on debts in GM0590 shares ``text``; the form's redirect and the question id."""
    question_id = await submit(intake, staff, question(contact or person(), life_domains=["debts"]))
    a = assigned(question_id)
    await handled(intake, await send(settings, a, step(AssignmentAccepted, a), step(SupportEnded, a)))
    link = path_of((await invite(intake, question_id)).json()["url"])
    async with resident_client(intake) as browser:
        csrf = await open_form(browser, link)
        shared = await post_form(browser, link, csrf, score="6", text=text, **more)
        assert shared.status_code == 303, shared.text
        return shared.headers["location"], question_id


def debts_texts(body: dict[str, Any]) -> list[str]:
    return [t for g in body["groups"] if g["theme"] == "debts" for t in g["texts"]]


async def test_contact_data_is_masked_and_the_resident_is_told(
    intake: RunningService, staff: dict[str, str], settings: Settings
) -> None:
    text = "Mevrouw Jansen hielp mij goed. Bel haar op 06-12345678 of mail jansen@example.nl."
    location, question_id = await share(intake, staff, settings, text)
    assert location == "/ervaring/bedankt?afgeschermd=name,phone,email"
    async with resident_client(intake) as browser:
        thanks = (await browser.get(location)).text
    assert "In uw tekst stonden namen, telefoonnummers en e-mailadressen." in thanks
    sealed_id, sealed = await intake.runtime.db.fetchrow(
        "SELECT e.experience_id::text, e.text FROM experiences e JOIN question_experiences q USING (experience_id)"
        " WHERE q.question_id = $1",
        uuid.UUID(question_id),
    )
    stored = intake.runtime.container.intake.vault.open_text("experiences", "text", sealed_id, sealed)
    assert stored == "Mevrouw [naam] hielp mij goed. Bel haar op [telefoonnummer] of mail [e-mailadres]."


async def test_a_council_reads_texts_of_its_area_only_in_groups_at_the_threshold(
    intake: RunningService, staff: dict[str, str], settings: Settings
) -> None:
    council = await key(intake, "council", municipality="GM0590")
    elsewhere = await key(intake, "council", municipality="GM0505")
    desk = await key(intake, "municipality", municipality="GM0590")
    # The first test shared one text on debts; one more makes two: below the threshold of three.
    second = f"Het duurde lang voor iemand belde {uuid.uuid4().hex[:6]}."
    _, second_q = await share(intake, staff, settings, second)
    # An old, unscreened text that still holds a phone number: never shown, and it does not count.
    await intake.runtime.db.execute(
        "INSERT INTO experiences (experience_id, municipality, life_domains, score, text, shared_at)"
        " VALUES ($1, 'GM0590', ARRAY['debts'], 5, $2, $3)",
        (legacy := uuid.uuid4()),
        intake.runtime.container.intake.vault.seal_text("experiences", "text", str(legacy), "bel 0612345678"),
        datetime.now(UTC),
    )
    below = (await intake.client.get(URL, headers=council)).json()
    assert below["period"] == period_of(datetime.now(UTC)) and below["threshold"] == THRESHOLD
    assert debts_texts(below) == [] and below["held_back"] >= 1
    assert second not in str(below)

    third = f"Mijn ondersteuner stond naast me {uuid.uuid4().hex[:6]}."
    await share(intake, staff, settings, third)
    shown = (await intake.client.get(URL, headers=council)).json()
    [group] = [g for g in shown["groups"] if g["theme"] == "debts"]
    assert group["size"] == THRESHOLD and second in group["texts"] and third in group["texts"]
    assert not any("0612345678" in t for t in group["texts"])
    assert set(group) == {"theme", "period", "size", "texts"}  # no age band, organisation, score or date

    # Another municipality's council, and the desk, read none of it.
    assert debts_texts((await intake.client.get(URL, headers=elsewhere)).json()) == []
    assert (await intake.client.get(URL, headers=desk)).status_code == 403
    assert (await intake.client.get(URL, params={"period": "2026-Q5"}, headers=council)).status_code == 422

    # Erasure takes the resident's text away: the group falls below the threshold and is hidden again.
    ref = str(
        await intake.runtime.db.fetchval(
            "SELECT resident_ref FROM questions WHERE question_id = $1", uuid.UUID(second_q)
        )
    )
    officer = await key(intake, "privacy-officer")
    assert (await intake.client.delete(f"/api/v1/residents/{ref}", headers=officer)).status_code == 202
    after = (await intake.client.get(URL, headers=council)).json()
    assert debts_texts(after) == []


async def test_ticking_ik_wil_meedenken_on_the_experience_form_joins_the_panel(
    intake: RunningService, staff: dict[str, str], settings: Settings
) -> None:
    _, quiet = await share(intake, staff, settings, "Prima geholpen.")
    _, joining = await share(intake, staff, settings, "Ik denk graag mee.", meedenken="yes")
    members = await intake.runtime.db.fetch(
        "SELECT question_id::text AS q, municipality, life_domains, consent_version FROM panel_members"
        " WHERE question_id = ANY($1::uuid[])",
        [quiet, joining],
    )
    assert [(m["q"], m["municipality"], list(m["life_domains"])) for m in members] == [(joining, "GM0590", ["debts"])]
    assert members[0]["consent_version"]
