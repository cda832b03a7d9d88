"""Merging optional values whatever their order: the smaller or larger one, ignoring ``None``."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeVar

_T = TypeVar("_T", str, datetime, date)


def least(a: _T | None, b: _T | None) -> _T | None:
    """The smaller of two optional values, ignoring ``None`` (like SQL's ``LEAST``)."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def greatest(a: _T | None, b: _T | None) -> _T | None:
    """The larger of two optional values, ignoring ``None`` (like SQL's ``GREATEST``)."""
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
