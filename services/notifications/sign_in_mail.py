"""The sign-in mail's rules, without I/O: which links may be mailed, and what the mail says."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final

TEMPLATE: Final = "supporter_sign_in"
#: The path of a sign-in link on matching's pages (``/mijn-vragen/inloggen/<token>``).
LINK_PATH: Final = re.compile(r"^/mijn-vragen/inloggen/[A-Za-z0-9_-]{20,100}$")


def link_allowed(url: str, bases: list[str]) -> bool:
    """Whether ``url`` is a sign-in link of matching (one of ``bases``), and nothing else."""
    for base in bases:
        base = base.rstrip("/")
        if base and url.startswith(base + "/") and LINK_PATH.match(url[len(base) :]):
            return True
    return False


def sign_in_context(supporter_name: str, url: str, expires_at: datetime, now: datetime, loket: str) -> dict[str, Any]:
    minutes = max(1, round((expires_at - now).total_seconds() / 60))
    return {"supporter_name": supporter_name, "sign_in_url": url, "minutes": minutes, "loket_name": loket}
