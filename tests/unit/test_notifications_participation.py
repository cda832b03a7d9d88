"""The experience invitation: who is invited (and why not), the message itself, and intake's link client."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr

from contracts.events import Reason, SupportEnded
from services.kit.messaging import PermanentError
from services.kit.settings import Settings
from services.notifications.domain import (
    EXPERIENCE_INVITATION_TEMPLATE,
    ExperienceLink,
    Loket,
    ResidentContact,
    dutch_date,
    experience_invitation_context,
    invitation_skip_reason,
    plan_experience_invitation,
    with_loket,
)
from services.notifications.examples import example_context
from services.notifications.invitations import HttpInvitationLinks, InvitationRefused, InvitationsUnavailable
from services.notifications.rendering import SMS_MAX_CHARS, SMS_TEMPLATES, TEMPLATES, render, render_sms

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
#: As long as a real link gets: a long host, ``/ervaring/`` and 32 random bytes, urlsafe (43 characters).
LINK = ExperienceLink(
    "https://samenloket.gemeente-hendrik-ido-ambacht.nl/ervaring/" + "A" * 43, datetime(2025, 5, 2, 9, 0, tzinfo=UTC)
)
EMAIL = ResidentContact("q-1", "r-1", "Anna de Vries", "anna@example.nl", "0612345678", True)
PHONE_ONLY = ResidentContact("q-1", "r-1", "Anna de Vries", None, "0612345678", True)


def ended(reason: str | None = "completed") -> SupportEnded:
    return SupportEnded(
        question_id="q-1",
        assignment_id="a-1",
        supporter_id="s-1",
        organisation="org-mee",
        municipality="GM0590",
        reason=Reason(code=reason, text="Klaar.") if reason else None,
        ended_at=NOW,
    )


# --- the decision: invite or skip -----------------------------------------------------------------


def test_a_resident_with_an_address_and_consent_is_invited() -> None:
    assert invitation_skip_reason(ended(), EMAIL) is None
    assert invitation_skip_reason(ended(reason=None), EMAIL) is None
    assert invitation_skip_reason(ended("resident_stopped"), EMAIL) is None, "their experience counts most"


@pytest.mark.parametrize(
    ("resident", "sms", "why"),
    [
        (None, False, "no contact details"),
        (ResidentContact("q-1", "r-1", "A", "a@example.nl", None, False), False, "no consent"),
        (ResidentContact("q-1", "r-1", "A", "a@example.nl", None, True, "none"), False, "chose no messages"),
        (PHONE_ONLY, False, "no address for the channel"),
    ],
)
def test_skipped_without_contact_consent_or_channel(resident: ResidentContact | None, sms: bool, why: str) -> None:
    reason = invitation_skip_reason(ended(), resident, sms)
    assert reason is not None and why in reason


def test_transferred_support_goes_on_elsewhere_so_nobody_is_invited_yet() -> None:
    reason = invitation_skip_reason(ended("transferred"), EMAIL)
    assert reason is not None and "another organisation" in reason


def test_the_invitation_takes_the_residents_channel() -> None:
    by_mail = plan_experience_invitation(ended(), EMAIL, LINK)
    assert (by_mail.role, by_mail.channel, by_mail.address) == ("resident", "email", "anna@example.nl")
    assert by_mail.template == EXPERIENCE_INVITATION_TEMPLATE and by_mail.resident_ref == "r-1"
    assert invitation_skip_reason(ended(), PHONE_ONLY, sms=True) is None
    by_sms = plan_experience_invitation(ended(), PHONE_ONLY, LINK)
    assert (by_sms.channel, by_sms.address) == ("sms", "0612345678")
    chose_sms = ResidentContact("q-1", "r-1", "A", "a@example.nl", "0611111111", True, "sms")
    assert plan_experience_invitation(ended(), chose_sms, LINK).channel == "sms"


# --- the message ----------------------------------------------------------------------------------


def test_dates_read_as_dutch_words_in_local_time() -> None:
    assert dutch_date(datetime(2025, 5, 2, 9, 0, tzinfo=UTC)) == "2 mei 2025"
    assert dutch_date(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) == "1 januari 2026"


def test_mail_thanks_asks_the_three_statements_links_and_says_it_is_short_anonymous_and_optional() -> None:
    context = with_loket(experience_invitation_context(ended(), EMAIL, LINK), Loket("Samenloket Papendrecht"))
    subject, text, html = render(EXPERIENCE_INVITATION_TEMPLATE, context)
    assert subject == "Hoe was uw cliëntondersteuning? Vertel het ons"
    for part in (text, html):
        assert "Beste Anna de Vries" in part
        assert "Bedankt" in part
        assert "Wist u waar u terecht kon, werd u snel geholpen en stond uw cliëntondersteuner aan uw kant?" in part
        assert "Het kost 2 minuten" in part
        assert "Uw cliëntondersteuner ziet niet wat u invult" in part
        assert "slaat u het gewoon over" in part
        assert "De link werkt tot 2 mei 2025" in part
        assert "Samenloket Papendrecht" in part
    assert LINK.url in text and f'href="{LINK.url}"' in html
    assert html.count(LINK.url) == 3, "a button and the link written out, for mail readers without buttons"
    assert "q-1" not in text, "the question number is not needed here"


@pytest.mark.parametrize(
    "host", ["https://samenloket.example.nl", "https://samenloket.gemeente-hendrik-ido-ambacht.nl"]
)
def test_sms_keeps_the_whole_link_within_160_characters(host: str) -> None:
    link = ExperienceLink(f"{host}/ervaring/" + "A" * 43, LINK.expires_at)
    text = render_sms(EXPERIENCE_INVITATION_TEMPLATE, experience_invitation_context(ended(), PHONE_ONLY, link))
    assert len(text) <= SMS_MAX_CHARS
    assert text.endswith(" " + link.url), "a cut link would not work"
    assert text.startswith("Samenloket: hoe was uw gratis hulp?") and "anoniem" in text.lower()
    if len(link.url) <= 89:
        assert "gratis hulp? 2 minuten, anoniem, overslaan mag." in text


def test_preview_example_exists_for_mail_and_sms() -> None:
    assert EXPERIENCE_INVITATION_TEMPLATE in TEMPLATES and EXPERIENCE_INVITATION_TEMPLATE in SMS_TEMPLATES
    context = example_context(EXPERIENCE_INVITATION_TEMPLATE)
    subject, text, _html = render(EXPERIENCE_INVITATION_TEMPLATE, context)
    assert subject and context["invitation_url"] in text and context["opt_out_url"] in text
    assert context["invitation_url"] in render_sms(EXPERIENCE_INVITATION_TEMPLATE, context)


# --- the link client ------------------------------------------------------------------------------

SETTINGS = Settings(intake_url="http://intake.test/", internal_token=SecretStr("tok"))
URL = "http://intake.test/internal/v1/questions/q%2F1/experience-invitation"


def links(answers: list[httpx.Response], seen: list[httpx.Request]) -> HttpInvitationLinks:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0) if len(answers) > 1 else answers[0]

    return HttpInvitationLinks(SETTINGS, transport=httpx.MockTransport(handle), down_patience=0.5, refused_patience=0.5)


async def test_link_is_asked_with_the_internal_token_and_parsed() -> None:
    seen: list[httpx.Request] = []
    body = {"url": "http://intake.test/ervaring/abc", "expires_at": "2025-05-02T09:00:00Z"}
    client = links([httpx.Response(200, json=body)], seen)
    link = await client.issue("q/1")
    await client.aclose()
    assert link == ExperienceLink("http://intake.test/ervaring/abc", datetime(2025, 5, 2, 9, 0, tzinfo=UTC))
    [request] = seen
    assert (request.method, str(request.url)) == ("POST", URL)
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.headers["X-Purpose"] == "experience-invitation"


async def test_409_not_ended_is_asked_again_a_while_other_refusals_are_final_at_once() -> None:
    seen: list[httpx.Request] = []
    body = {"url": "http://intake.test/ervaring/abc", "expires_at": "2025-05-02T09:00:00Z"}
    not_yet = httpx.Response(409, json={"detail": "Nog niet afgelopen.", "code": "support_not_ended"})
    later = links([not_yet, httpx.Response(200, json=body)], seen)
    assert await later.issue("q/1") is not None and len(seen) == 2

    never = links([not_yet], seen := [])
    with pytest.raises(InvitationRefused, match="support_not_ended: Nog niet afgelopen"):
        await never.issue("q/1")
    assert len(seen) >= 2, "asked again before giving up"

    shared = links([httpx.Response(409, json={"detail": "Al gedeeld.", "code": "already_shared"})], seen := [])
    with pytest.raises(InvitationRefused, match="already_shared"):
        await shared.issue("q/1")
    assert len(seen) == 1, "a final refusal is not asked again"


async def test_unknown_question_down_intake_and_nonsense_answers() -> None:
    assert await links([httpx.Response(404, json={"detail": "unknown"})], []).issue("q/1") is None
    with pytest.raises(InvitationsUnavailable):
        await links([httpx.Response(503)], []).issue("q/1")
    with pytest.raises(InvitationsUnavailable):
        await links([httpx.Response(401)], []).issue("q/1")
    with pytest.raises(PermanentError):
        await links([httpx.Response(200, content=json.dumps({"url": 3}).encode())], []).issue("q/1")
    with pytest.raises(PermanentError):
        await links([httpx.Response(400)], []).issue("q/1")
