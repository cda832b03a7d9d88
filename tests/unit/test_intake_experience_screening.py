"""Screening and grouping of experience texts (issue 16): pure rules."""

from __future__ import annotations

from datetime import UTC, datetime

from services.intake.experiences.reading import OpenedText, period_bounds, readable_groups
from services.intake.experiences.screening import screen, still_reaches_someone


def test_names_phone_numbers_and_addresses_are_masked() -> None:
    s = screen("Dhr. P. de Vries belde van 078 770 80 90; mail: p.devries@example.nl. Ze heet Fatima El Amrani.")
    assert s.text == "Dhr. [naam] belde van [telefoonnummer]; mail: [e-mailadres]. Ze heet [naam]."
    assert s.masked == ("name", "phone", "email")


def test_ordinary_words_and_small_numbers_stay() -> None:
    text = "Het duurde 3 weken. Ze heet eigenlijk anders. Mevrouw was vriendelijk, cijfer 8 van 10 in 2026."
    assert screen(text).text == text and screen(text).masked == ()
    assert not still_reaches_someone(text)


def test_a_text_with_contact_data_left_is_caught_at_reading() -> None:
    for text in ("mail me op piet at example dot nl @ once", "bel 0612345678", "nummer 111222333"):
        assert still_reaches_someone(text), text


def opened(n: int, theme: str, text: str, when: datetime) -> OpenedText:
    return OpenedText(f"e{n}", (theme,), when, text)


def test_groups_below_the_threshold_are_held_back_and_unreadable_texts_do_not_count() -> None:
    july = datetime(2026, 7, 2, tzinfo=UTC)
    texts = [opened(i, "wmo", f"Goed geholpen {i}", july) for i in range(3)]
    texts += [opened(10, "debts", "Lang gewacht", july), opened(11, "debts", "Fijn", july)]
    texts += [opened(12, "debts", "bel 0612345678", july)]
    texts += [opened(20, "wmo", "Vorig kwartaal", datetime(2026, 6, 30, tzinfo=UTC))]
    reading = readable_groups(texts, 3)
    assert [(g.theme, g.period, g.size) for g in reading.groups] == [("wmo", "2026-Q3", 3)]
    assert reading.held_back == 2  # debts in Q3 (two readable texts) and wmo in Q2


def test_quarters() -> None:
    assert [str(d) for d in period_bounds("2026-Q4")] == ["2026-10-01", "2027-01-01"]
    assert [str(d) for d in period_bounds("2026-Q1")] == ["2026-01-01", "2026-04-01"]
