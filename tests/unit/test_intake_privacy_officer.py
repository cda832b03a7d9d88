"""The privacy officer's pure parts: the retention's cut-off, the look-up's request, the page's words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.intake.privacy_officer import page
from services.intake.privacy_officer.export import ContactDetails, ResidentExport
from services.intake.privacy_officer.lookup import LookupRequest
from services.intake.privacy_officer.retention import cutoff
from services.kit.settings import Settings


def test_the_cutoff_is_the_same_moment_years_earlier() -> None:
    assert cutoff(datetime(2031, 6, 1, 12, 30, tzinfo=UTC), 7) == datetime(2024, 6, 1, 12, 30, tzinfo=UTC)


def test_the_cutoff_of_a_leap_day_is_the_28th() -> None:
    assert cutoff(datetime(2028, 2, 29, 9, 0, tzinfo=UTC), 2) == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)


def test_a_look_up_needs_an_identifier_and_a_right() -> None:
    with pytest.raises(ValidationError, match="email or a phone"):
        LookupRequest(purpose="access")
    with pytest.raises(ValidationError):
        LookupRequest.model_validate({"email": "a@example.nl", "purpose": "curiosity"})
    request = LookupRequest(email="A.deVries@Example.NL", phone="+31 6 1234 5678", purpose="erasure")
    assert request.phone == "+31 6 1234 5678"


def test_an_unknown_code_on_the_page_is_shown_as_it_is() -> None:
    assert page.label(page.MESSAGE_LABELS, "resident_waiting") == "U staat op de wachtlijst"
    assert page.label(page.MESSAGE_LABELS, "a_new_template") == "a_new_template"
    assert page.label(page.MESSAGE_LABELS, None, "geen") == "geen"


def test_a_resident_without_questions_gets_a_page_that_says_so() -> None:
    now = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    export = ResidentExport(
        resident_ref="r",
        generated_at=now,
        contact=ContactDetails(
            name="A", email=None, phone="0612345678", preferred_channel="sms", known_since=now, updated_at=now
        ),
        questions=[],
        messages=[],
        sealed_dead_letters=1,
        audit=[],
        retention_years=0,
    )
    html = page.render(export, Settings()).body.decode()
    for text in ("Wij hebben geen vragen van u.", "Per sms", "Niet bekend", "1 keer", "als u daarom vraagt"):
        assert text in html, text
