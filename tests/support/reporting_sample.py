"""A hand-made report for unit tests of the dashboard's rendering (tests only; the service builds real ones)."""

from __future__ import annotations

from datetime import date

from contracts.codes import LIFE_DOMAINS
from services.reporting.tables import CountTable, Period, Report, Statistic

PERIOD = Period(date(2026, 7, 1), date(2026, 9, 30))
#: Counts below the threshold in this report: they must never be shown.
SMALL_COUNTS = (3, 4, 7)


def sample_report() -> Report:
    months = CountTable(
        key="questions_by_month",
        title="Vragen per maand",
        row_label="Maand",
        rows=("2026-07", "2026-08", "2026-09"),
        counts={("2026-07", "n"): 40, ("2026-08", "n"): 3, ("2026-09", "n"): 7},
    )
    domains = CountTable(
        key="questions_by_life_domain",
        title="Vragen per leefgebied",
        row_label="Leefgebied",
        rows=tuple(LIFE_DOMAINS),
        counts={("wmo", "n"): 30, ("youth", "n"): 25, ("debts", "n"): 4, ("housing", "n"): 12},
        labels=dict(LIFE_DOMAINS),
        additive=False,
        grand_total=67,
    )
    signals = CountTable(
        key="signals_by_theme",
        title="Signalen per thema",
        row_label="Thema",
        rows=("waiting_times", "rules"),
        columns=("raised", "acknowledged", "answered"),
        counts={("waiting_times", "raised"): 4, ("waiting_times", "answered"): 2, ("rules", "acknowledged"): 1},
        labels={
            "waiting_times": "Wachttijden",
            "rules": "Regels",
            "raised": "gemeld",
            "acknowledged": "in behandeling",
            "answered": "beantwoord",
        },
        people=False,
    )
    ages = CountTable(
        key="representativeness_by_age_band",
        title="Wie deden mee, naar leeftijd",
        row_label="Leeftijd",
        rows=("18_26", "27_44", "45_66"),
        columns=("supported", "took_part"),
        counts={
            ("18_26", "supported"): 20,
            ("18_26", "took_part"): 10,
            ("27_44", "supported"): 30,
            ("27_44", "took_part"): 15,
            ("45_66", "supported"): 50,
            ("45_66", "took_part"): 7,
        },
        labels={"supported": "ondersteund", "took_part": "deden mee", "18_26": "18 tot en met 26"},
    )
    active = CountTable(
        key="assignments_by_organisation",
        title="Actieve trajecten per organisatie",
        row_label="Organisatie",
        rows=("mee", "wijkteam"),
        columns=("professional", "volunteer"),
        counts={("mee", "professional"): 15, ("mee", "volunteer"): 12, ("wijkteam", "professional"): 0},
        labels={"mee": "MEE Plus", "wijkteam": "Sociaal Wijkteam"},
    )
    capacity = CountTable(
        key="capacity_by_organisation",
        title="Capaciteit per organisatie",
        row_label="Organisatie",
        rows=("mee", "wijkteam"),
        columns=("professional", "volunteer"),
        counts={("mee", "professional"): 20, ("mee", "volunteer"): 20, ("wijkteam", "professional"): 6},
        labels={"mee": "MEE Plus", "wijkteam": "Sociaal Wijkteam"},
        people=False,
    )
    statistics = (
        Statistic("hours_to_assigned_median", "Tijd tot een ondersteuner (mediaan)", 12.5, (27,), "uur"),
        Statistic("waiting_list_size", "Op de wachtlijst", 4, (4,)),
        Statistic("utilisation_percent", "Bezetting", 58.7, (27,), "%"),
        Statistic("experience_score_average", "Rapportcijfer", 7.8, (7,)),
    )
    trend = (
        Statistic("2026-07", "Mediaan", 10.0, (15,), "uur"),
        Statistic("2026-08", "Mediaan", 99.0, (3,), "uur"),
        Statistic("2026-09", "Mediaan", 20.0, (12,), "uur"),
    )
    return Report(
        area="GM0505",
        period=PERIOD,
        tables=(months, domains, signals, ages, active, capacity),
        statistics=statistics,
        trends={"hours_to_assigned_median": trend},
    )
