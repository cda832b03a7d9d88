"""The figures of how assignments went (first contact, declines, ends) and how the dashboard shows them."""

from __future__ import annotations

from datetime import date

from services.reporting import views
from services.reporting.figures import outcomes
from services.reporting.suppression import publish
from services.reporting.tables import Period, Report

NAMES = {"mee-plus": "MEE Plus", "ouderplatform-zhz": "Ouderplatform ZHZ", "humanitas": "Humanitas"}
QUARTER = Period(date(2026, 4, 1), date(2026, 6, 30))


def report(contact: dict[tuple[str, str], int], declines: dict[tuple[str, str], int] | None = None) -> Report:
    """A report with only the outcome tables and the first contact statistics (``contact`` by organisation)."""
    by_kind: dict[tuple[str, str], int] = {}
    for (org, column), n in contact.items():
        kind = "volunteer" if org != "mee-plus" else "professional"
        by_kind[(kind, column)] = by_kind.get((kind, column), 0) + n
    declines = declines or {}
    declines_by_kind = {("professional", c): n for (_, c), n in declines.items()}
    within = sum(n for (_, c), n in contact.items() if c == "within")
    late = sum(n for (_, c), n in contact.items() if c in ("later", "missing"))
    contacted = sum(n for (_, c), n in contact.items() if c in ("within", "later"))
    return Report(
        None,
        QUARTER,
        (
            *outcomes.first_contact_tables(contact, by_kind, NAMES),
            *outcomes.decline_tables(declines, declines_by_kind, {"no_capacity": "Geen plek."}, NAMES),
            *outcomes.outcome_tables({}, {}, NAMES),
        ),
        tuple(outcomes.first_contact_statistics(contacted, 1.0, within, late)),
    )


def test_organisations_are_rows_by_name_with_their_id_as_the_code() -> None:
    org, kind = outcomes.first_contact_tables(
        {("ouderplatform-zhz", "within"): 3, ("mee-plus", "later"): 2, ("humanitas", "within"): 1},
        {("professional", "later"): 2, ("unknown", "within"): 4},
        NAMES,
    )
    assert org.rows == ("humanitas", "mee-plus", "ouderplatform-zhz")
    assert [org.label(r) for r in org.rows] == ["Humanitas", "MEE Plus", "Ouderplatform ZHZ"]
    assert [org.label(c) for c in org.columns] == ["Binnen 3 werkdagen", "Later", "Geen contact", "Nog binnen termijn"]
    assert org.label("unnamed-org") == "unnamed-org"  # no name known: the id
    assert kind.rows == ("professional", "volunteer", "experience_expert", "unknown")
    assert kind.label("unknown") == "Niet bekend" and kind.label("professional") == "Beroepskracht"


def test_reasons_are_columns_in_the_standard_order_and_unknown_codes_keep_their_sentence() -> None:
    by_org, by_kind = outcomes.decline_tables(
        {("mee-plus", "language"): 1, ("mee-plus", "no_capacity"): 2, ("mee-plus", "no_time"): 3},
        {("professional", "no_time"): 3},
        {"no_capacity": "De ondersteuner heeft nu geen plek."},
        NAMES,
    )
    assert by_org.columns == ("no_time", "language", "no_capacity")
    assert [by_org.label(c) for c in by_org.columns] == ["Geen tijd", "Taal", "De ondersteuner heeft nu geen plek."]
    assert by_kind.columns == by_org.columns  # both tables show the same reasons
    ended, _ = outcomes.outcome_tables({("mee-plus", "unknown"): 1, ("mee-plus", "completed"): 4}, {}, NAMES)
    assert ended.columns == ("completed", "unknown")
    assert [ended.label(c) for c in ended.columns] == ["Klaar", "Niet bekend"]


def test_the_share_within_3_working_days_counts_what_it_reveals_and_the_median_its_people() -> None:
    median, share = outcomes.first_contact_statistics(42, 1.5, 32, 20)
    assert (median.key, median.counts, median.display(10)) == (
        "first_contact_working_days_median",
        (42,),
        "1,5 werkdagen",
    )
    assert (share.counts, share.display(10)) == ((32, 20), "61,5 %")
    single, _ = outcomes.first_contact_statistics(12, 1.0, 12, 0)
    assert single.display(10) == "1 werkdag"
    small, small_share = outcomes.first_contact_statistics(4, 2.0, 3, 1)
    assert (small.display(10), small_share.display(10)) == ("<10", "<10")


def test_the_dashboard_shows_first_contact_tiles_tables_a_chart_and_sentences() -> None:
    published = publish(
        report({("mee-plus", "within"): 20, ("mee-plus", "later"): 10, ("humanitas", "within"): 12}), 10
    )
    tiles = {t.key: t for t in views.tiles(published)}
    assert tiles["first_contact_within_rate"].display == "76,2 %"  # 32 of 42
    assert tiles["first_contact_working_days_median"].display == "1"  # the unit is in the note
    assert tiles["first_contact_working_days_median"].note == "werkdagen (mediaan)"
    first, by_kind, declined, *_ = views.outcome_tables(published)
    assert by_kind.rows[:2] == (
        ("Beroepskracht", ("20", "10", "0", "0", "30")),
        ("Vrijwilliger", ("12", "0", "0", "0", "12")),
    )
    assert first.headers == (
        "Organisatie",
        "Binnen 3 werkdagen",
        "Later",
        "Geen contact",
        "Nog binnen termijn",
        "Totaal",
    )
    assert first.rows[0] == ("Humanitas", ("12", "0", "0", "0", "12"))
    assert declined.empty == "Er zijn in deze periode geen koppelingen afgewezen." and declined.rows == ()
    chart = next(c for c in views.all_charts(published) if c.key == "eerste-contact")
    assert chart.data.rows == (("Humanitas", ("12", "0", "0", "0")), ("MEE Plus", ("20", "10", "0", "0")))
    assert "Humanitas" in chart.svg and "mee-plus" not in chart.svg
    lines = views.first_contact_summary(published)
    assert lines == [
        "Bij 76,2 % van de koppelingen was er binnen 3 werkdagen contact met de inwoner.",
        "De helft van de inwoners had binnen 1 werkdag contact met hun ondersteuner.",
    ]


def test_small_first_contact_figures_are_hidden_in_the_tables_and_not_named_in_the_sentences() -> None:
    published = publish(report({("mee-plus", "within"): 20, ("mee-plus", "later"): 3}), 10)
    [first] = views.count_tables(published, ["first_contact_by_organisation"])
    assert first.rows[0][1][:2] == ("×", "<10")  # the 20 beside the 23 would give the 3 away
    tiles = {t.key: t.display for t in views.tiles(published)}
    assert tiles["first_contact_within_rate"] == "te weinig gegevens"  # a hidden rate is not a count "<10"
    text = " ".join(views.first_contact_summary(published))
    assert "te weinig mensen" in text and "%" not in text
