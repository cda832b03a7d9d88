"""What the dashboard and the quarterly report show: periods, tiles, tables, charts and sentences."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from contracts.codes import LIFE_DOMAINS
from services.kit.access import Principal
from services.reporting import filters, views, web
from services.reporting.suppression import publish
from services.reporting.tables import Period, Statistic
from tests.support.reporting_sample import SMALL_COUNTS, sample_report

TODAY = date(2026, 11, 23)


def test_a_quarter_wins_then_own_dates_then_the_current_quarter() -> None:
    assert filters.read_period("2026-K3", "2026-01-01", "2026-01-31", TODAY) == (
        Period(date(2026, 7, 1), date(2026, 9, 30)),
        "2026-K3",
    )
    assert filters.read_period("", "2026-01-01", "2026-02-28", TODAY) == (
        Period(date(2026, 1, 1), date(2026, 2, 28)),
        "",
    )
    assert filters.read_period(None, None, None, TODAY) == (Period(date(2026, 10, 1), date(2026, 12, 31)), "2026-K4")
    assert filters.quarter_period(2024, 1) == Period(date(2024, 1, 1), date(2024, 3, 31))
    assert filters.recent_quarters(TODAY, 3) == [
        ("2026-K4", "4e kwartaal 2026"),
        ("2026-K3", "3e kwartaal 2026"),
        ("2026-K2", "2e kwartaal 2026"),
    ]
    assert filters.recent_quarters(date(2026, 2, 1), 2)[1] == ("2025-K4", "4e kwartaal 2025")


@pytest.mark.parametrize(
    ("kwartaal", "van", "tot", "field"),
    [
        ("2026-K5", None, None, "kwartaal"),
        ("2026-3", None, None, "kwartaal"),
        ("", "2026-01-01", None, "tot"),
        ("", None, "2026-01-01", "van"),
        ("", "1-1-2026", "2026-02-01", "van"),
        ("", "2026-03-01", "2026-02-01", "tot"),
        ("", "2020-01-01", "2026-02-01", "tot"),
        ("", "2026-01-15", "2026-02-28", "van"),
        ("", "2026-01-01", "2026-02-27", "tot"),
        ("", "2024-02-01", "2024-02-28", "tot"),
    ],
)
def test_a_bad_filter_names_its_field_in_dutch(kwartaal: str, van: str | None, tot: str | None, field: str) -> None:
    with pytest.raises(filters.FilterError) as caught:
        filters.read_period(kwartaal, van, tot, TODAY)
    assert caught.value.field == field
    assert caught.value.message.endswith(".")


def test_tiles_and_tables_show_only_published_figures() -> None:
    published = publish(sample_report(), 10)
    tiles = {t.key: t.display for t in views.tiles(published)}
    assert tiles == {
        "vragen": "50",
        "waiting_list_size": "<10",
        "hours_to_assigned_median": "12,5 uur",
        "utilisation_percent": "58,7 %",
        "experience_score_average": "te weinig antwoorden",  # "<10" would read as a mark below 10
        "signalen": "7",
    }
    [domains] = views.count_tables(published, ["questions_by_life_domain"])
    assert domains.headers == ("Leefgebied", "Aantal")
    assert ("Hulp en zorg thuis (Wmo)", ("30",)) in domains.rows
    assert (LIFE_DOMAINS["debts"], ("<10",)) in domains.rows
    assert domains.totals == ("67",) and "meer dan één" in domains.note
    for view in views.count_tables(published, ["questions_by_month", "questions_by_life_domain"]):
        shown = [v for _, values in view.rows for v in values] + list(view.totals or ())
        assert not {str(n) for n in SMALL_COUNTS} & set(shown)


def test_representativeness_is_shown_as_a_share_of_each_column() -> None:
    [ages] = views.share_tables(publish(sample_report(), 10))
    # Counts and percentages in columns of their own.
    assert ages.headers == ("Leeftijd", "ondersteund: aantal", "%", "deden mee: aantal", "%")
    rows = dict(ages.rows)
    assert rows["27_44"] == ("30", "30%", "15", "47%")  # 30 of 100 supported, 15 of 32 took part
    assert rows["45_66"] == ("×", "×", "<10", "<10")  # 7 took part: small; the 50 beside it hides it
    assert rows["18 tot en met 26"] == ("×", "×", "×", "×")  # 20 and 10 close the lines of the 50 and the 7
    assert ages.totals == ("100", "100%", "32", "100%")


def test_charts_carry_titles_and_a_data_table() -> None:
    published = publish(sample_report(), 10)
    made = {c.key: c for c in views.all_charts(published)}
    assert set(made) == {"vragen", "tijd", "bezetting", "signalen"}
    assert made["vragen"].data.rows == (("jul 2026", ("40",)), ("aug 2026", ("<10",)), ("sep 2026", ("<10",)))
    assert made["tijd"].data.rows[1] == ("aug 2026", ("<10",))
    assert "99" not in made["tijd"].svg
    assert made["bezetting"].data.rows == (("MEE Plus", ("27", "40")), ("Sociaal Wijkteam", ("0", "6")))
    assert made["signalen"].data.rows == (("Wachttijden", ("4", "0", "2")), ("Regels", ("0", "1", "0")))
    for chart in made.values():
        assert chart.svg.startswith("<svg") and f'aria-label="{chart.title}' in chart.svg


def test_the_summary_says_it_in_words_and_small_numbers_as_less_than() -> None:
    lines = views.summary(publish(sample_report(), 10), "Dordrecht")
    text = " ".join(lines)
    assert lines[0] == "In het 3e kwartaal 2026 kwamen 50 vragen binnen in Dordrecht."
    assert "De meeste vragen gingen over hulp en zorg thuis (Wmo) (30)." in lines
    assert "De helft van de inwoners had binnen 12,5 uur een ondersteuner." in lines
    assert "Op de wachtlijst staan nu minder dan 10 inwoners." in lines
    assert "Minder dan 10 inwoners deelden hun ervaring" in text and "7,8" not in text
    assert "Er kwamen 7 signalen binnen, waarvan 2 beantwoord." in lines
    assert (
        filters.period_name(Period(date(2026, 1, 15), date(2026, 2, 20)))
        == "15 januari 2026 tot en met 20 februari 2026"
    )


def test_the_pages_go_back_only_to_the_dashboard_and_read_the_quarter_strictly() -> None:
    assert web.page_set(10).safe_return("/dashboard?kwartaal=2026-K2") == "/dashboard?kwartaal=2026-K2"
    for elsewhere in ("https://evil.example/", "//evil.example/dashboard", "/overleg", "/dashboard\\..", None):
        assert web.page_set(10).safe_return(elsewhere) == "/dashboard"
    assert web.read_quarter("2026", "3") == (2026, 3)
    for jaar, kwartaal, field in (("26", "3", "jaar"), ("2026", "5", "kwartaal"), ("2026", None, "kwartaal")):
        with pytest.raises(filters.FilterError) as caught:
            web.read_quarter(jaar, kwartaal)
        assert caught.value.field == field
    with pytest.raises(filters.FilterError):
        web.requested_area("GM9999")
    assert web.requested_area("") is None and web.requested_area("GM0505") == "GM0505"


def test_a_key_of_one_municipality_can_choose_only_that_one() -> None:
    dordrecht = Principal("k1", "dordrecht-bi", frozenset({"analyst"}), "GM0505")
    assert web.choices(dordrecht) == [("GM0505", "Dordrecht")]
    region = web.choices(Principal("k2", "regio", frozenset({"council"})))
    assert region[0] == ("", "Hele regio") and ("GM0642", "Zwijndrecht") in region


def test_a_hidden_score_or_median_says_too_few_and_a_count_stays_a_count() -> None:
    score = Statistic("experience_score_average", "Rapportcijfer", 7.5, (4,))
    median = Statistic("hours_to_assigned_median", "Uren tot een ondersteuner", 12.0, (3,), "uur")
    waiting = Statistic("waiting_list_size", "Op de wachtlijst", 4.0, (4,))
    assert views.statistic_text(score, 10) == "te weinig antwoorden"
    assert views.statistic_text(median, 10) == "te weinig gegevens"
    assert views.statistic_text(waiting, 10) == "<10"


def test_less_than_an_hour_is_said_in_words() -> None:
    quick = Statistic("hours_to_assigned_median", "Uren tot een ondersteuner", 0.0, (40,), "uur")
    assert views.statistic_text(quick, 10) == "minder dan 1 uur"
    assert views.statistic_text(quick, 10, unit=False) == "minder dan 1"
    assert views.statistic_text(Statistic("x", "x", 3.0, (40,), "uur"), 10) == "3 uur"


def test_a_past_period_says_its_capacity_is_todays() -> None:
    published = publish(sample_report(), 10)
    period = published.report.period
    later = period.end + timedelta(days=1)
    [tile] = [t for t in views.tiles(published, later) if t.key == "utilisation_percent"]
    assert views.CAPACITY_TODAY in tile.note
    [current] = [t for t in views.tiles(published, period.end) if t.key == "utilisation_percent"]
    assert views.CAPACITY_TODAY not in current.note
    [chart] = [c for c in views.all_charts(published, later) if c.key == "bezetting"]
    assert views.CAPACITY_TODAY in chart.title


def test_the_legend_explains_every_sign() -> None:
    signs = [m.sign for m in views.markers(10)]
    assert signs == ["<10", "×", "te weinig antwoorden", "te weinig gegevens", "–"]
