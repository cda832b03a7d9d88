"""How assignments went, per organisation and per supporter kind: how soon the supporter first reached the
resident (the promise: within 3 working days), why assignments were declined and how support ended.

Counts of assignments are counts of people (one resident per assignment) and are suppressed like every
other figure. Organisations are rows named by their display name (``names``); ids stay the row codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from contracts.codes import SUPPORTER_KINDS
from contracts.labels import DECLINE_REASON_LABELS, END_REASON_LABELS, SUPPORTER_KIND_LABELS
from services.reporting.figures.categories import FIRST_CONTACT, FIRST_CONTACT_LABELS, NOT_KNOWN, UNKNOWN
from services.reporting.figures.shapes import rate, rounded
from services.reporting.tables import CountTable, Statistic

#: The keys of the tables made here, by what they count: the dashboard and the report group them.
FIRST_CONTACT_TABLES: Final = ("first_contact_by_organisation", "first_contact_by_kind")
DECLINE_TABLES: Final = ("declines_by_organisation", "declines_by_kind")
OUTCOME_TABLES: Final = ("outcomes_by_organisation", "outcomes_by_kind")

Counts = Mapping[tuple[str, str], int]


def organisation_rows(counts: Counts, names: Mapping[str, str]) -> tuple[str, ...]:
    """The organisations that have a count, in the order of their names."""
    return tuple(sorted({org for org, _ in counts}, key=lambda org: (names.get(org, org).lower(), org)))


def kind_rows(counts: Counts) -> tuple[str, ...]:
    """Every supporter kind, and "not known" only when an assignment's kind is not known (yet)."""
    return (*SUPPORTER_KINDS, *((UNKNOWN,) if any(kind == UNKNOWN for kind, _ in counts) else ()))


def two_tables(
    keys: tuple[str, str],
    titles: tuple[str, str],
    column_label: str,
    columns: tuple[str, ...],
    labels: Mapping[str, str],
    by_organisation: Counts,
    by_kind: Counts,
    names: Mapping[str, str],
) -> list[CountTable]:
    """The same count per organisation and per supporter kind."""
    return [
        CountTable(
            key=keys[0],
            title=titles[0],
            row_label="Organisatie",
            rows=organisation_rows(by_organisation, names),
            columns=columns,
            column_label=column_label,
            counts=by_organisation,
            labels={**names, **labels},
        ),
        CountTable(
            key=keys[1],
            title=titles[1],
            row_label="Ondersteuner",
            rows=kind_rows(by_kind),
            columns=columns,
            column_label=column_label,
            counts=by_kind,
            labels={**SUPPORTER_KIND_LABELS, UNKNOWN: NOT_KNOWN, **labels},
        ),
    ]


# --- first contact ---------------------------------------------------------------------------------


def first_contact_tables(by_organisation: Counts, by_kind: Counts, names: Mapping[str, str]) -> list[CountTable]:
    """Assignments made in the period by how soon first contact came (``FIRST_CONTACT``)."""
    return two_tables(
        FIRST_CONTACT_TABLES,
        ("Eerste contact per organisatie", "Eerste contact per soort ondersteuner"),
        "Eerste contact",
        FIRST_CONTACT,
        FIRST_CONTACT_LABELS,
        by_organisation,
        by_kind,
        names,
    )


def first_contact_statistics(contacted: int, median_days: float | None, within: int, late: int) -> list[Statistic]:
    """The median working days to first contact over the ``contacted`` assignments, and the share reached within
    3 working days of those whose term is over (``within`` against ``late``: later, or no contact)."""
    return [
        Statistic(
            "first_contact_working_days_median",
            "Werkdagen tot het eerste contact (mediaan)",
            rounded(median_days),
            (contacted,),
            "werkdagen",
        ),
        rate("first_contact_within_rate", "Eerste contact binnen 3 werkdagen", within, late),
    ]


# --- declines and ends -----------------------------------------------------------------------------


def ordered(seen: Iterable[str], known: Iterable[str]) -> tuple[str, ...]:
    """The codes seen: known ones in their own order, then unknown ones alphabetically."""
    found = set(seen)
    first = [code for code in known if code in found]
    return (*first, *sorted(found - set(first)))


def decline_tables(
    by_organisation: Counts, by_kind: Counts, texts: Mapping[str, str], names: Mapping[str, str]
) -> list[CountTable]:
    """Assignments declined in the period by reason (the reasons given, in the standard order); ``texts`` name
    reason codes that have no short label."""
    columns = ordered((c for _, c in (*by_organisation, *by_kind)), DECLINE_REASON_LABELS)
    return two_tables(
        DECLINE_TABLES,
        ("Afgewezen koppelingen per organisatie", "Afgewezen koppelingen per soort ondersteuner"),
        "Reden",
        columns,
        {**texts, **DECLINE_REASON_LABELS},
        by_organisation,
        by_kind,
        names,
    )


def outcome_tables(by_organisation: Counts, by_kind: Counts, names: Mapping[str, str]) -> list[CountTable]:
    """Support that ended in the period by how it ended (an end without a reason: not known)."""
    columns = ordered((c for _, c in (*by_organisation, *by_kind)), (*END_REASON_LABELS, UNKNOWN))
    return two_tables(
        OUTCOME_TABLES,
        ("Afloop van de ondersteuning per organisatie", "Afloop van de ondersteuning per soort ondersteuner"),
        "Afloop",
        columns,
        {**END_REASON_LABELS, UNKNOWN: NOT_KNOWN},
        by_organisation,
        by_kind,
        names,
    )
