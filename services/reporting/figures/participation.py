"""What residents and councils bring in: signals by theme, experiences with support, and who took part
compared with who was supported (representativeness)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from contracts.codes import AGE_BANDS, LIFE_DOMAINS, SIGNAL_STATUSES
from contracts.labels import (
    AGE_BAND_LABELS,
    AGREEMENT_LABELS,
    LIFE_DOMAIN_LABELS,
    SIGNAL_STATUS_LABELS,
    SIGNAL_THEME_LABELS,
    STATEMENT_LABELS,
)
from services.kit.region import current_region
from services.reporting.figures.categories import (
    AGREEMENT,
    NOT_KNOWN,
    PARTICIPATION,
    PARTICIPATION_LABELS,
    STATEMENTS,
    UNKNOWN,
)
from services.reporting.figures.shapes import rounded
from services.reporting.tables import CountTable, Statistic

# --- signals ----------------------------------------------------------------------------------------


def signals_by_theme(counts: Mapping[tuple[str, str], int]) -> CountTable:
    """Signals raised in the period by ``(theme, status)``: reports, not people."""
    return CountTable(
        key="signals_by_theme",
        title="Signalen per thema",
        row_label="Thema",
        rows=tuple(SIGNAL_THEME_LABELS),
        columns=SIGNAL_STATUSES,
        column_label="Stand",
        counts=counts,
        labels=SIGNAL_THEME_LABELS | SIGNAL_STATUS_LABELS,
        people=False,
    )


def signal_days_to_answer(median_days: float | None) -> Statistic:
    return Statistic(
        "signal_days_to_answer_median",
        "Dagen tot een antwoord op een signaal (mediaan)",
        rounded(median_days),
        (),
        "dagen",
    )


# --- experiences ------------------------------------------------------------------------------------


def experience_statements(
    answers: Mapping[tuple[str, str], int], sharing_answer: Mapping[str, int], answering: int
) -> CountTable:
    """Answers by ``(statement, answer)``. A resident answers several statements, so the totals are counts
    of their own: ``sharing_answer[answer]`` experiences gave that answer at least once, and ``answering``
    experiences answered any statement."""
    return CountTable(
        key="experience_statements",
        title="Wat inwoners vinden van de ondersteuning",
        row_label="Stelling",
        rows=STATEMENTS,
        columns=AGREEMENT,
        column_label="Antwoord",
        counts=answers,
        labels=STATEMENT_LABELS | AGREEMENT_LABELS,
        additive=False,
        row_totals={s: sum(answers.get((s, a), 0) for a in AGREEMENT) for s in STATEMENTS},
        column_totals={answer: sharing_answer.get(answer, 0) for answer in AGREEMENT},
        grand_total=answering,
    )


def experience_score(n: int, average: float | None) -> Statistic:
    return Statistic("experience_score_average", "Rapportcijfer (gemiddeld)", rounded(average), (n,))


# --- representativeness -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """One counted person, coarsely: what representativeness compares."""

    age_band: str | None
    life_domains: tuple[str, ...]
    municipality: str | None


def representativeness(area: str | None, supported: list[Person], took_part: list[Person]) -> list[CountTable]:
    """The people supported and the people who took part (experiences, council meetings), by age band, life
    domain and municipality."""
    groups = {"supported": supported, "took_part": took_part}
    served = current_region().municipality_names
    areas = [area] if area else list(served)
    return [
        participation_table(
            "representativeness_by_age_band",
            "Wie deden mee, naar leeftijd",
            "Leeftijd",
            (*AGE_BANDS, UNKNOWN),
            AGE_BAND_LABELS | {UNKNOWN: NOT_KNOWN},
            groups,
            lambda p: (p.age_band or UNKNOWN,),
        ),
        participation_table(
            "representativeness_by_life_domain",
            "Wie deden mee, naar leefgebied",
            "Leefgebied",
            tuple(LIFE_DOMAINS),
            LIFE_DOMAIN_LABELS,
            groups,
            lambda p: p.life_domains,
        ),
        participation_table(
            "representativeness_by_municipality",
            "Wie deden mee, naar gemeente",
            "Gemeente",
            tuple(areas),
            served,
            groups,
            lambda p: (p.municipality,) if p.municipality else (),
        ),
    ]


def participation_table(
    key: str,
    title: str,
    row_label: str,
    rows: tuple[str, ...],
    labels: Mapping[str, str],
    groups: Mapping[str, list[Person]],
    categories: Callable[[Person], Iterable[str]],
) -> CountTable:
    """People supported and people who took part, by a category (a person may have several).

    Column totals count each person once, even when they fall in several rows.
    """
    counts: dict[tuple[str, str], int] = {}
    column_totals: dict[str, int] = {}
    for column, people in groups.items():
        counted = 0
        for person in people:
            found = [c for c in categories(person) if c in rows]
            counted += bool(found)
            for category in found:
                counts[(category, column)] = counts.get((category, column), 0) + 1
        column_totals[column] = counted
    return CountTable(
        key=key,
        title=title,
        row_label=row_label,
        rows=rows,
        columns=PARTICIPATION,
        column_label="Groep",
        counts=counts,
        labels=dict(labels) | PARTICIPATION_LABELS,
        additive=False,
        row_totals={row: sum(counts.get((row, c), 0) for c in PARTICIPATION) for row in rows},
        column_totals=column_totals,
        grand_total=sum(column_totals.values()),
    )
