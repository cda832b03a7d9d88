"""Choosing together on the coordinators' page (``/overleg/vragen/{id}``), over real HTTP between intake
and matching, real PostgreSQL and a real broker.

A resident asks to meet first and choose together; a coordinator opens the question (its text and,
with consent, the resident's name and phone come from intake, which audits the view), plans the
appointment (the resident's own page shows it), records that it was held, writes down the resident's
own view (a BSN is refused) and assigns a duo by hand: both booked, or nobody when one is full. A key
of another municipality sees none of it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from contracts.events import ConsultationAppointmentHeld, ConsultationAppointmentPlanned, SupporterAssigned
from services.kit import access
from services.kit.dutch import DUTCH_TIME
from services.kit.settings import Settings
from services.matching import handlers, store
from tests.support.harness import eventually
from tests.support.matching import events_about, events_so_far
from tests.support.notifications import MailBox
from tests.support.overleg import (
    INTERNAL,
    ask_to_choose_together,
    coordinator,
    coordinator_key,
    in_consultation,
    post_on_page,
    resident_page,
)
from tests.support.workspace import Platform, add_supporter, platform, staff_key

pytestmark = pytest.mark.integration

#: A BSN that passes the 11-proef (the same as in the privacy tests).
BSN = "111222333"


@pytest.fixture(scope="module")
async def p(settings: Settings, mailbox: MailBox) -> AsyncIterator[Platform]:
    async with platform(settings, mailbox) as running:
        yield running


def page_of(question_id: str) -> str:
    return f"/overleg/vragen/{question_id}"


def next_weekday_at_ten(days: int = 2) -> datetime:
    day = datetime.now(DUTCH_TIME).date() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=DUTCH_TIME)


async def audit_rows(p: Platform, question_id: str) -> list[dict[str, str]]:
    """The audit log's rows of coordinators' reads of the question (notifications reads the contact too)."""
    rows = await p.intake.runtime.db.fetch(
        "SELECT actor, actor_kind, action, purpose FROM audit_log WHERE question_id = $1::uuid"
        " AND actor_kind = 'coordinator' ORDER BY id",
        question_id,
    )
    return [dict(r) for r in rows]


async def test_the_coordinator_reads_the_question_with_consent_and_the_view_is_audited(p: Platform) -> None:
    question_id, person, text = await ask_to_choose_together(p)
    await in_consultation(p, question_id)
    key = await coordinator_key(p)
    async with coordinator(p, key) as browser:
        queue = await browser.get("/overleg")
        assert f'href="/overleg/vragen/{question_id}"' in queue.text
        assert text not in queue.text  # the queue shows no personal data; the question's page does
        assert await audit_rows(p, question_id) == []

        shown = await browser.get(page_of(question_id))
    assert shown.status_code == 200, shown.text
    assert text in shown.text and person["name"] in shown.text and person["phone"] in shown.text
    assert 'href="tel:0698765432"' in shown.text
    reference = await p.intake.runtime.db.fetchval(
        "SELECT reference FROM questions WHERE question_id = $1::uuid", question_id
    )
    assert f"{reference[:4]}-{reference[4:]}" in shown.text
    key_id = key.split("_")[1]  # slk_<key id>_<secret>
    [row] = await audit_rows(p, question_id)
    assert row == {
        "actor": f"regio-overleg/{key_id}",
        "actor_kind": "coordinator",
        "action": "question_and_contact.read",
        "purpose": "consultation_appointment",
    }


async def test_without_consent_the_coordinator_sees_the_reference_only_and_nothing_is_read(p: Platform) -> None:
    question_id, person, text = await ask_to_choose_together(p, share=False)
    await in_consultation(p, question_id)
    async with coordinator(p, await coordinator_key(p)) as browser:
        shown = await browser.get(page_of(question_id))
    assert shown.status_code == 200
    assert text not in shown.text and person["name"] not in shown.text and person["phone"] not in shown.text
    assert 'id="geen-toestemming"' in shown.text and "noem de referentie" in shown.text
    assert await audit_rows(p, question_id) == []


async def test_intake_refuses_the_coordinator_view_of_a_question_not_in_the_consultation(p: Platform) -> None:
    """The internal call itself: only a question in the consultation, only of the key's municipality."""
    question_id, _, _ = await ask_to_choose_together(p, municipality="GM0590")
    await in_consultation(p, question_id)
    url = f"/internal/v1/questions/{question_id}/for-coordinator"
    headers = {**INTERNAL, "X-Purpose": "consultation_appointment"}
    elsewhere = await p.intake.client.get(
        url, params={"coordinator": "regio/k1", "municipality": "GM0505"}, headers=headers
    )
    assert elsewhere.status_code == 404 and elsewhere.json()["detail"]["code"] == "unknown"
    without_purpose = await p.intake.client.get(url, params={"coordinator": "regio/k1"}, headers=INTERNAL)
    assert without_purpose.status_code == 422
    without_token = await p.intake.client.get(
        url, params={"coordinator": "regio/k1"}, headers={"X-Purpose": "consultation_appointment"}
    )
    assert without_token.status_code in (401, 403)
    assert await audit_rows(p, question_id) == []
    here = await p.intake.client.get(url, params={"coordinator": "regio/k1", "municipality": "GM0590"}, headers=headers)
    assert here.status_code == 200 and here.json()["description"]
    await p.intake.runtime.db.execute(
        "UPDATE questions SET status = 'assigned' WHERE question_id = $1::uuid", question_id
    )
    moved_on = await p.intake.client.get(url, params={"coordinator": "regio/k1"}, headers=headers)
    assert moved_on.status_code == 409 and moved_on.json()["detail"]["code"] == "not_in_consultation"
    assert len(await audit_rows(p, question_id)) == 1


async def test_planning_the_appointment_shows_it_on_the_residents_page_until_it_is_held(
    p: Platform, settings: Settings
) -> None:
    question_id, _, _ = await ask_to_choose_together(p)
    await in_consultation(p, question_id)
    mine = await resident_page(p, question_id)
    before = await p.intake.client.get(mine)
    assert "Wij maken een afspraak om samen te kiezen" in before.text

    moment = next_weekday_at_ten()
    async with coordinator(p, await coordinator_key(p)) as browser:
        planned = await post_on_page(
            browser,
            page_of(question_id),
            f"{page_of(question_id)}/afspraak",
            {"datum": moment.date().isoformat(), "tijd": "10:00"},
        )
        assert planned.status_code == 303, planned.text
        assert planned.headers["location"].endswith("?gedaan=afspraak#afspraak")
        after = await browser.get(planned.headers["location"])
        assert "De afspraak is opgeslagen" in after.text
        assert 'id="gesprek-gehouden"' in after.text

        [event] = await events_about(settings, question_id, ConsultationAppointmentPlanned.ce_type)
        assert datetime.fromisoformat(event.data["planned_for"]) == moment
        assert set(event.data) == {"question_id", "municipality", "planned_for", "planned_at"}

        async def shown() -> str | None:
            page = (await p.intake.client.get(mine)).text
            return page if "U heeft een afspraak op" in page else None

        page = await eventually(shown, timeout=30)
        weekday = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag")[moment.weekday()]
        assert f"U heeft een afspraak op {weekday} {moment.day} " in str(page)
        assert "10:00 uur om samen te kiezen" in str(page)
        assert "Afspraak gemaakt om samen te kiezen" in str(page)

        held = await post_on_page(browser, page_of(question_id), f"{page_of(question_id)}/gesprek", {})
        assert held.status_code == 303, held.text
        again = await post_on_page(browser, page_of(question_id), f"{page_of(question_id)}/gesprek", {})
        assert again.status_code == 409 and "al vastgelegd" in again.text
        queue = await browser.get("/overleg")
        assert "Gesprek gehouden" in queue.text

    [held_event] = await events_about(settings, question_id, ConsultationAppointmentHeld.ce_type)
    assert datetime.fromisoformat(held_event.data["planned_for"]) == moment

    async def talked() -> bool:
        return "U heeft met ons gesproken" in (await p.intake.client.get(mine)).text

    await eventually(talked, timeout=30)


async def test_the_appointment_form_answers_dutch_field_errors(p: Platform) -> None:
    question_id, _, _ = await ask_to_choose_together(p)
    await in_consultation(p, question_id)
    action = f"{page_of(question_id)}/afspraak"
    async with coordinator(p, await coordinator_key(p)) as browser:
        empty = await post_on_page(browser, page_of(question_id), action, {"datum": "", "tijd": ""})
        assert empty.status_code == 422
        assert "<title>Fout: " in empty.text and 'error-summary" role="alert"' in empty.text
        assert 'href="#datum"' in empty.text and 'href="#tijd"' in empty.text
        assert "Vul de datum van de afspraak in" in empty.text and "Vul de tijd van de afspraak in" in empty.text
        assert 'aria-invalid="true"' in empty.text

        wrong = await post_on_page(browser, page_of(question_id), action, {"datum": "31-02-2027", "tijd": "25:00"})
        assert wrong.status_code == 422
        assert "Deze datum bestaat niet" in wrong.text and "Deze tijd klopt niet" in wrong.text
        assert 'value="31-02-2027"' in wrong.text  # what was typed comes back

        yesterday = (datetime.now(DUTCH_TIME) - timedelta(days=1)).date().isoformat()
        past = await post_on_page(browser, page_of(question_id), action, {"datum": yesterday, "tijd": "10:00"})
        assert past.status_code == 422 and "al voorbij" in past.text

        not_planned = await post_on_page(browser, page_of(question_id), f"{page_of(question_id)}/gesprek", {})
        assert not_planned.status_code == 409 and "Plan eerst de afspraak" in not_planned.text

        forged = await browser.post(action, data={"csrf_token": "1700000000.x.deadbeef", "datum": "", "tijd": ""})
        assert forged.status_code == 403
    assert (
        await p.matching.runtime.db.fetchval(
            "SELECT count(*) FROM consultation_meetings WHERE question_id = $1", question_id
        )
        == 0
    )


async def test_the_residents_own_view_stays_in_matching_and_a_bsn_is_refused(p: Platform, settings: Settings) -> None:
    question_id, _, _ = await ask_to_choose_together(p)
    await in_consultation(p, question_id)
    action = f"{page_of(question_id)}/inwoner"
    async with coordinator(p, await coordinator_key(p)) as browser:
        with_bsn = await post_on_page(
            browser, page_of(question_id), action, {"inwoner_wens": f"Wil iemand die thuis komt, BSN {BSN}."}
        )
        assert with_bsn.status_code == 422
        assert "Schrijf geen burgerservicenummer (BSN) in de notitie." in with_bsn.text
        assert 'href="#inwoner_wens"' in with_bsn.text
        assert (
            await p.matching.runtime.db.fetchval(
                "SELECT count(*) FROM consultation_meetings WHERE question_id = $1", question_id
            )
            == 0
        )
        too_short = await post_on_page(browser, page_of(question_id), action, {"inwoner_wens": "ja"})
        assert too_short.status_code == 422 and "minstens 5 tekens" in too_short.text

        view = "Wil een vrouw die ook Turks spreekt; liefst iemand met ervaring met mantelzorg."
        saved = await post_on_page(browser, page_of(question_id), action, {"inwoner_wens": view})
        assert saved.status_code == 303, saved.text
        shown = await browser.get(saved.headers["location"])
        assert "Wat de inwoner wil, is opgeslagen." in shown.text and view in shown.text

    meeting = await store.get_meeting(p.matching.runtime.db, question_id)
    assert meeting is not None and meeting.resident_view == view
    assert (meeting.view_by or "").startswith("regio-overleg/")
    # Never on a topic: nothing matching published about the question carries the note.
    published = await events_so_far(settings, question_id, ConsultationAppointmentPlanned.ce_type)
    assert all(view not in json.dumps(e.data) for e in published)
    outbox = await p.matching.runtime.db.fetch("SELECT convert_from(value, 'UTF8') AS p FROM outbox")
    assert all(view not in r["p"] for r in outbox)

    # The API refuses a BSN as well; the question ending forgets the note.
    api = await p.matching.client.put(
        f"/api/v1/consultations/{question_id}/resident-view", json={"text": f"BSN {BSN}"}, headers=INTERNAL
    )
    assert api.status_code == 422 and "text" in api.text
    withdrawn = await p.intake.client.post(
        f"/api/v1/questions/{question_id}/withdraw",
        json={"reason": "De inwoner heeft al hulp.", "reason_code": "helped_elsewhere"},
        headers={"Authorization": f"Bearer {await staff_key(p)}"},
    )
    assert withdrawn.status_code == 200, withdrawn.text

    async def forgotten() -> bool:
        found = await store.get_meeting(p.matching.runtime.db, question_id)
        return found is not None and found.resident_view is None

    await eventually(forgotten, timeout=30)


async def duo_pair(p: Platform, municipality: str = "GM0505", partner_capacity: int = 3) -> tuple[str, str]:
    pro = await add_supporter(p, name="Bram Visser", municipalities=[municipality], life_domains=["wmo"])
    partner = await add_supporter(
        p,
        name="Sanne de Boer",
        kind="experience_expert",
        organisation="ouders",
        municipalities=[municipality],
        life_domains=["participation"],
        capacity=partner_capacity,
    )
    return pro.id, partner.id


async def test_a_duo_is_assigned_by_hand_and_both_are_booked(p: Platform, settings: Settings) -> None:
    pro, partner = await duo_pair(p)
    question_id, _, _ = await ask_to_choose_together(p)
    await in_consultation(p, question_id)
    reason = "Samen gekozen: de inwoner wil een beroepskracht en iemand die zelf mantelzorger was."
    db = p.matching.runtime.db
    async with coordinator(p, await coordinator_key(p)) as browser:
        page = await browser.get(page_of(question_id))
        assert f'<option value="{pro}"' in page.text and f'<option value="{partner}"' in page.text
        missing = await post_on_page(
            browser, page_of(question_id), f"{page_of(question_id)}/duo", {"duo_beroepskracht": pro, "duo_reden": ""}
        )
        assert missing.status_code == 422
        assert "Kies een vrijwilliger of ervaringsdeskundige." in missing.text and "minstens 5 tekens" in missing.text
        two_pros = await post_on_page(
            browser,
            page_of(question_id),
            f"{page_of(question_id)}/duo",
            {"duo_beroepskracht": pro, "duo_partner": pro, "duo_reden": reason},
        )
        assert two_pros.status_code == 422 and "samen zijn zij het duo" in two_pros.text
        assert await db.fetchval("SELECT count(*) FROM assignments WHERE question_id = $1", question_id) == 0

        chosen = await post_on_page(
            browser,
            page_of(question_id),
            f"{page_of(question_id)}/duo",
            {"duo_beroepskracht": pro, "duo_partner": partner, "duo_reden": reason},
        )
        assert chosen.status_code == 303, chosen.text
        queue = await browser.get(chosen.headers["location"])
        assert "is toegewezen aan Bram Visser (MEE Plus) en Sanne de Boer (Ouderplatform ZHZ)" in queue.text

    rows = await db.fetch(
        "SELECT supporter_id, role, partner_id, override_reason, status FROM assignments WHERE question_id = $1"
        " ORDER BY role",
        question_id,
    )
    assert [(r["supporter_id"], r["role"], r["partner_id"]) for r in rows] == [
        (pro, "lead", partner),
        (partner, "partner", pro),
    ]
    assert all(r["override_reason"] == reason and r["status"] == "assigned" for r in rows)
    booked = await db.fetch("SELECT id, active_cases FROM supporters WHERE id = ANY($1::text[])", [pro, partner])
    assert {r["id"]: r["active_cases"] for r in booked} == {pro: 1, partner: 1}
    assert await db.fetchval("SELECT count(*) FROM consultations WHERE question_id = $1", question_id) == 0
    events = await events_about(settings, question_id, SupporterAssigned.ce_type, count=2)
    assert {(e.data["supporter_id"], e.data["partner_supporter_id"]) for e in events} == {
        (pro, partner),
        (partner, pro),
    }
    assert all(e.data["reasons"][0]["code"] == "manual_override" and reason not in json.dumps(e.data) for e in events)


async def test_a_duo_with_a_full_member_books_nobody(p: Platform) -> None:
    pro, partner = await duo_pair(p, partner_capacity=1)
    db = p.matching.runtime.db
    async with db.acquire() as conn, conn.transaction():
        assert await store.book_capacity(conn, partner)  # now full
    question_id, _, _ = await ask_to_choose_together(p)
    await in_consultation(p, question_id)
    async with coordinator(p, await coordinator_key(p)) as browser:
        page = await browser.get(page_of(question_id))
        assert f'<option value="{partner}" disabled' in page.text
        refused = await post_on_page(
            browser,
            page_of(question_id),
            f"{page_of(question_id)}/duo",
            {"duo_beroepskracht": pro, "duo_partner": partner, "duo_reden": "Samen gekozen met de inwoner."},
        )
    assert refused.status_code == 409
    assert "Sanne de Boer: " in refused.text and "plek" in refused.text
    assert await db.fetchval("SELECT count(*) FROM assignments WHERE question_id = $1", question_id) == 0
    assert await db.fetchval("SELECT active_cases FROM supporters WHERE id = $1", pro) == 0
    assert await db.fetchval("SELECT active_cases FROM supporters WHERE id = $1", partner) == 1
    assert await db.fetchval("SELECT count(*) FROM consultations WHERE question_id = $1", question_id) == 1


async def test_two_duos_racing_for_the_last_place_book_it_once(p: Platform) -> None:
    """Under the SQL guard, concurrent hand assignments never overbook: one duo wins the partner's last
    place, the other books nobody (its professional's place is not kept)."""
    pro, partner = await duo_pair(p, partner_capacity=1)
    other_pro = (await add_supporter(p, name="Karin Jansen", life_domains=["wmo"])).id
    first, _, _ = await ask_to_choose_together(p)
    second, _, _ = await ask_to_choose_together(p)
    await in_consultation(p, first)
    await in_consultation(p, second)
    rt = p.matching.runtime

    async def assign(question_id: str, professional: str) -> str:
        try:
            async with rt.db.acquire() as conn, conn.transaction():
                await handlers.assign_duo_by_hand(
                    conn, question_id, (partner, professional), "Samen gekozen.", "regio/k", rt.source
                )
        except handlers.Conflict as exc:
            return exc.code
        return "assigned"

    outcomes = await asyncio.gather(assign(first, pro), assign(second, other_pro))
    assert sorted(outcomes) == ["assigned", "no_capacity"]
    cases = await rt.db.fetch(
        "SELECT id, active_cases FROM supporters WHERE id = ANY($1::text[])", [pro, partner, other_pro]
    )
    counts = {r["id"]: r["active_cases"] for r in cases}
    assert counts[partner] == 1 and counts[pro] + counts[other_pro] == 1


async def test_a_key_of_another_municipality_gets_404_everywhere(p: Platform) -> None:
    pro, partner = await duo_pair(p)
    question_id, _, text = await ask_to_choose_together(p)
    await in_consultation(p, question_id)
    elsewhere = await coordinator_key(p, municipality="GM0642")
    moment = next_weekday_at_ten()
    async with coordinator(p, elsewhere) as browser:
        queue = await browser.get("/overleg")
        assert question_id not in queue.text
        page = await browser.get(page_of(question_id))
        assert page.status_code == 404 and text not in page.text
        token_page = "/overleg"
        steps = {
            "afspraak": {"datum": moment.date().isoformat(), "tijd": "10:00"},
            "gesprek": {},
            "inwoner": {"inwoner_wens": "Wil iemand die thuis komt."},
            "kiezen": {"supporter_id": pro, "reason": "Samen gekozen met de inwoner."},
            "duo": {"duo_beroepskracht": pro, "duo_partner": partner, "duo_reden": "Samen gekozen met de inwoner."},
        }
        for step, data in steps.items():
            answer = await post_on_page(browser, token_page, f"{page_of(question_id)}/{step}", data)
            assert answer.status_code == 404, (step, answer.status_code)
    headers = {"Authorization": f"Bearer {elsewhere}"}
    api = p.matching.client
    planned = await api.put(
        f"/api/v1/consultations/{question_id}/appointment", json={"planned_for": moment.isoformat()}, headers=headers
    )
    assert planned.status_code == 404
    duo = await api.post(
        f"/api/v1/consultations/{question_id}/assign",
        json={"supporter_id": pro, "partner_supporter_id": partner, "reason": "Samen gekozen."},
        headers=headers,
    )
    assert duo.status_code == 404
    db = p.matching.runtime.db
    assert await db.fetchval("SELECT count(*) FROM consultation_meetings WHERE question_id = $1", question_id) == 0
    assert await db.fetchval("SELECT count(*) FROM assignments WHERE question_id = $1", question_id) == 0
    assert await audit_rows(p, question_id) == []

    # The question's own municipality: the same API calls work.
    own = {"Authorization": f"Bearer {await coordinator_key(p, municipality='GM0505')}"}
    planned = await api.put(
        f"/api/v1/consultations/{question_id}/appointment", json={"planned_for": moment.isoformat()}, headers=own
    )
    assert planned.status_code == 200, planned.text
    assert datetime.fromisoformat(planned.json()["planned_for"]) == moment
    duo = await api.post(
        f"/api/v1/consultations/{question_id}/assign",
        json={"supporter_id": partner, "partner_supporter_id": pro, "reason": "Samen gekozen."},
        headers=own,
    )
    assert duo.status_code == 201, duo.text
    assert duo.json()["supporter_id"] == pro  # the professional leads, whichever order was sent


async def test_erasing_the_resident_clears_their_own_view_in_matching(p: Platform) -> None:
    question_id, _, _ = await ask_to_choose_together(p)
    await in_consultation(p, question_id)
    view = "Wil liefst een ervaringsdeskundige die zelf mantelzorger was."
    async with coordinator(p, await coordinator_key(p)) as browser:
        saved = await post_on_page(
            browser, page_of(question_id), f"{page_of(question_id)}/inwoner", {"inwoner_wens": view}
        )
        assert saved.status_code == 303, saved.text
    ref = await p.intake.runtime.db.fetchval(
        "SELECT resident_ref FROM questions WHERE question_id = $1::uuid", question_id
    )
    async with p.intake.runtime.db.acquire() as conn:
        officer = await access.create_key(conn, "privacy", ["privacy-officer"])
    erased = await p.intake.client.delete(f"/api/v1/residents/{ref}", headers={"Authorization": f"Bearer {officer}"})
    assert erased.status_code in (200, 202), erased.text

    async def forgotten() -> bool:
        found = await store.get_meeting(p.matching.runtime.db, question_id)
        return found is not None and found.resident_view is None

    await eventually(forgotten, timeout=30)
    assert (
        await p.matching.runtime.db.fetchval(
            "SELECT count(*) FROM consultation_meetings WHERE resident_view LIKE $1", f"%{view}%"
        )
        == 0
    )
