"""Experiences per supporting organisation (issue 16): how residents rate each organisation's support and
how they answered the statements, for that organisation's client council and for the region. Count
tables of people like every other, so small counts are suppressed the same way, and so is any figure
from which a small one could be worked out (a row or column total minus the other cells)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from contracts.labels import AGREEMENT_LABELS, STATEMENT_LABELS
from services.reporting.figures.categories import NOT_KNOWN, UNKNOWN
from services.reporting.figures.outcomes import organisation_rows
from services.reporting.tables import CountTable

Counts = dict[tuple[str, str], int]

#: Report marks in three bands: enough words to read, few enough columns for a phone.
SCORE_BANDS: Final[dict[str, str]] = {"low": "1 tot en met 5", "middle": "6 of 7", "high": "8 tot en met 10"}
#: A statement's answer as one column: ``<statement>:<answer>``.
STATEMENT_COLUMNS: Final[tuple[str, ...]] = tuple(
    f"{statement}:{answer}" for statement in STATEMENT_LABELS for answer in AGREEMENT_LABELS
)
STATEMENT_COLUMN_LABELS: Final[dict[str, str]] = {
    f"{statement}:{answer}": f"{STATEMENT_LABELS[statement]}: {AGREEMENT_LABELS[answer]}"
    for statement in STATEMENT_LABELS
    for answer in AGREEMENT_LABELS
}


def experience_tables(scores: Counts, statements: Counts, names: Mapping[str, str]) -> list[CountTable]:
    labels = {**names, UNKNOWN: NOT_KNOWN}
    return [
        CountTable(
            key="experience_scores_by_organisation",
            title="Rapportcijfer per organisatie",
            row_label="Organisatie",
            rows=organisation_rows(scores, names),
            columns=tuple(SCORE_BANDS),
            column_label="Rapportcijfer",
            counts=scores,
            labels={**labels, **SCORE_BANDS},
        ),
        CountTable(
            key="experience_statements_by_organisation",
            title="Wat inwoners vinden van de ondersteuning, per organisatie",
            row_label="Organisatie",
            rows=organisation_rows(statements, names),
            columns=STATEMENT_COLUMNS,
            column_label="Stelling en antwoord",
            counts=statements,
            labels={**labels, **STATEMENT_COLUMN_LABELS},
        ),
    ]
