"""Reading a posted form: text values only, bounded in size and number."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from fastapi import Request

#: Far more than any honest form needs (the longest text is 4,000 characters).
MAX_BODY_BYTES: Final = 64 * 1024

#: A posted form: every text value by field name (repeated names keep every value).
FormValues = dict[str, list[str]]


async def read_form(request: Request, max_bytes: int = MAX_BODY_BYTES) -> FormValues | None:
    """The posted form, or None when it is larger than ``max_bytes``. Files are refused."""
    if int(request.headers.get("content-length") or 0) > max_bytes:
        return None
    form = await request.form(max_files=0, max_fields=100)
    return {name: [v for v in form.getlist(name) if isinstance(v, str)] for name in form}


def first(values: Mapping[str, Sequence[str]], name: str) -> str:
    """The first value of field ``name``, stripped; ``""`` when it is missing."""
    found = values.get(name) or [""]
    return found[0].strip()
